"""xgrad.utils.summary against hand-counted parameters and hand-derived output shapes."""
from __future__ import annotations

import pytest
import xgrad
from xgrad import nn
from xgrad.utils import summary


class CNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))

    def forward(self, x):
        return self.head(self.features(x))


class Tagger(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(20, 8)
        self.lstm = nn.LSTM(8, 16, num_layers=2, batch_first=True)
        self.out = nn.Linear(16, 5)

    def forward(self, x):
        h, _ = self.lstm(self.emb(x))
        return self.out(h)


def test_cnn_counts_and_shapes(capsys):
    stats = summary(CNN(), input_size=(4, 1, 8, 8), col_names=("output_size", "num_params", "trainable"))
    table = capsys.readouterr().out
    # conv 8*1*9+8, batchnorm 2*8, conv 16*8*9+16, linear 64*10+10
    assert stats.total_params == 80 + 16 + 1168 + 650 == 1914
    assert stats.trainable_params == 1914
    rows = {(r.class_name, r.depth, r.depth_index): r for r in stats.summary_list}
    assert rows[("Conv2d", 2, 1)].output_size == [4, 8, 8, 8]
    assert rows[("MaxPool2d", 2, 4)].output_size == [4, 8, 4, 4]
    assert rows[("Conv2d", 2, 5)].output_size == [4, 16, 4, 4]
    assert rows[("Flatten", 2, 8)].output_size == [4, 64]
    assert rows[("Linear", 2, 9)].output_size == [4, 10]
    assert rows[("Sequential", 1, 1)].output_size == [4, 16, 2, 2]
    assert str(stats) in table
    assert "├─Sequential: 1-1" in table and "└─Sequential: 1-2" in table
    assert "│    ├─Conv2d: 2-1" in table and "│    └─MaxPool2d: 2-7" in table
    assert "     └─Linear: 2-9" in table
    assert "Total params: 1,914" in table and "Non-trainable params: 0" in table
    assert "1,168" in table and "Estimated Total Size (MB)" in table
    # params size: 1914 float32 values
    assert stats.total_param_bytes == 1914 * 4


def test_lstm_counts_and_partial_training():
    model = Tagger()
    model.emb.weight.requires_grad_(False)
    x = xgrad.randint(0, 20, (3, 7))
    stats = summary(model, input_data=x, col_names=("input_size", "output_size", "num_params",
                                                    "trainable"), verbose=0)
    # embedding 20*8; LSTM layer 0: 4*16*(8+16) + 2*4*16, layer 1: 4*16*(16+16) + 2*4*16; linear 16*5+5
    assert stats.total_params == 160 + 1664 + 2176 + 85 == 4085
    assert stats.trainable_params == 4085 - 160
    assert stats.non_trainable_params == 160
    rows = {r.class_name: r for r in stats.summary_list}
    assert rows["Embedding"].output_size == [3, 7, 8]
    assert rows["LSTM"].output_size[0] == [3, 7, 16]
    assert rows["Linear"].output_size == [3, 7, 5]
    assert rows["Embedding"].trainable() == "False" and rows["Tagger"].trainable() == "Partial"
    text = str(stats)
    assert "Total params: 4,085" in text and "Trainable params: 3,925" in text
    assert "3,840" in text  # the LSTM's own row


def test_depth_limits_rows_and_folds_params():
    stats = summary(CNN(), input_size=(2, 1, 8, 8), depth=1, verbose=0)
    text = str(stats)
    assert "Conv2d" not in text
    assert "1,264" in text  # features' convs + batchnorm, folded into its row


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown col_names"):
        summary(CNN(), input_size=(1, 1, 8, 8), col_names=("shape",), verbose=0)
    with pytest.raises(TypeError, match="expected model to be an xgrad.nn.Module"):
        summary(lambda x: x, input_size=(1,))
