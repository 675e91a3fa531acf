"""SummaryWriter's event files, read back with TensorBoard's own event reader."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import xgrad
from xgrad import nn

pytest.importorskip("tensorboard", reason="the 'tensorboard' extra is not installed")
from tensorboard.backend.event_processing import event_accumulator  # noqa: E402
from xgrad.utils.tensorboard import SummaryWriter  # noqa: E402


def _read(path: str) -> event_accumulator.EventAccumulator:
    acc = event_accumulator.EventAccumulator(
        str(path), size_guidance={event_accumulator.SCALARS: 0, event_accumulator.IMAGES: 0,
                                  event_accumulator.HISTOGRAMS: 0, event_accumulator.TENSORS: 0})
    acc.Reload()
    return acc


def test_scalars_round_trip(tmp_path):
    with SummaryWriter(log_dir=str(tmp_path)) as w:
        for step in range(5):
            w.add_scalar("loss", 1.0 / (step + 1), step)
        w.add_scalar("acc", xgrad.tensor(0.75), 7)
    acc = _read(tmp_path)
    got = [(e.step, e.value) for e in acc.Scalars("loss")]
    assert [s for s, _ in got] == list(range(5))
    np.testing.assert_allclose([v for _, v in got], [1.0 / (s + 1) for s in range(5)], rtol=1e-6)
    assert acc.Scalars("acc")[0].value == pytest.approx(0.75)
    assert acc.Scalars("acc")[0].step == 7


def test_add_scalars_writes_one_run_per_key(tmp_path):
    with SummaryWriter(str(tmp_path)) as w:
        w.add_scalars("run", {"train": 1.5, "val": 2.5}, 3)
    for key, value in (("train", 1.5), ("val", 2.5)):
        acc = _read(tmp_path / f"run_{key}")
        (ev,) = acc.Scalars("run")
        assert (ev.step, ev.value) == (3, value)


def test_histogram_matches_numpy(tmp_path):
    values = np.random.default_rng(0).normal(size=1000).astype(np.float32)
    with SummaryWriter(str(tmp_path)) as w:
        w.add_histogram("w", xgrad.tensor(values), 1, bins=10)
    (ev,) = _read(tmp_path).Histograms("w")
    h = ev.histogram_value
    counts, edges = np.histogram(values.astype(np.float64), bins=10)
    assert h.num == 1000
    assert h.min == pytest.approx(values.min()) and h.max == pytest.approx(values.max())
    assert h.sum == pytest.approx(float(values.astype(np.float64).sum()), rel=1e-6)
    np.testing.assert_allclose(h.bucket, [0, *counts])
    np.testing.assert_allclose(h.bucket_limit, edges)


def _hparams(acc, kind: str) -> dict:
    """The HParams plugin data of a run, times cleared (they differ between writers)."""
    from google.protobuf.json_format import MessageToDict
    from tensorboard.plugins.hparams import plugin_data_pb2

    meta = acc.SummaryMetadata(f"_hparams_/{kind}")
    assert meta.plugin_data.plugin_name == "hparams"
    data = plugin_data_pb2.HParamsPluginData.FromString(meta.plugin_data.content)
    assert data.WhichOneof("data") == kind
    field = getattr(data, kind)
    for t in ("time_created_secs", "start_time_secs", "end_time_secs"):
        if t in field.DESCRIPTOR.fields_by_name:
            field.ClearField(t)
    return MessageToDict(data)


def test_same_records_as_pytorch_writer(tmp_path):
    """What TensorBoard reads from xgrad's files equals what it reads from PyTorch's."""
    torch = pytest.importorskip("torch")
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    values = np.random.default_rng(0).normal(size=500).astype(np.float32)
    values[values > 2.5] = 0.0  # empty buckets at the top end
    img = np.random.default_rng(1).random((3, 4, 5)).astype(np.float32)
    seen = {}
    for name, writer, conv in (("torch", TorchWriter, torch.tensor), ("xgrad", SummaryWriter, xgrad.tensor)):
        d = tmp_path / name
        with writer(str(d)) as w:
            w.add_scalar("s", conv(1.5), 2)
            w.add_histogram("h", conv(values), 1, bins=12)
            w.add_text("t", "hi *there*", 0)
            w.add_image("i", conv(img), 0)
            w.add_hparams({"lr": 0.1, "opt": "sgd", "n": 3}, {"m": 0.5}, run_name="r")
        acc, run = _read(d), _read(d / "r")
        h = acc.Histograms("h")[0].histogram_value
        seen[name] = dict(
            tags=acc.Tags(), run_tags=run.Tags(), scalar=[(e.step, e.value) for e in acc.Scalars("s")],
            hist=(h.min, h.max, h.num, list(h.bucket), np.round(h.bucket_limit, 5).tolist()),
            text=acc.Tensors("t/text_summary")[0].tensor_proto.string_val,
            image=(acc.Images("i")[0].height, acc.Images("i")[0].width),
            metric=[e.value for e in run.Scalars("m")],
            hparams=[_hparams(run, t) for t in ("experiment", "session_start_info", "session_end_info")])
    for key in seen["torch"]:
        assert seen["xgrad"][key] == seen["torch"][key], key


def test_images_decode_to_the_pixels(tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib (the 'examples' extra) decodes the PNG")
    import io

    import matplotlib.image as mpimg

    img = np.zeros((3, 4, 5), dtype=np.float32)
    img[0, :2] = 1.0
    img[2, :, 3] = 0.5
    batch = np.random.default_rng(1).random((3, 1, 2, 2)).astype(np.float32)
    with SummaryWriter(str(tmp_path)) as w:
        w.add_image("img", xgrad.tensor(img), 0)
        w.add_image("hwc", (img.transpose(1, 2, 0) * 255).astype(np.uint8), 0, dataformats="HWC")
        w.add_images("batch", xgrad.tensor(batch), 0)
    acc = _read(tmp_path)
    (ev,) = acc.Images("img")
    assert (ev.height, ev.width) == (4, 5)
    decoded = mpimg.imread(io.BytesIO(ev.encoded_image_string), format="png")
    np.testing.assert_allclose(decoded[..., :3].transpose(2, 0, 1), np.round(img * 255) / 255, atol=1e-6)
    (ev,) = acc.Images("hwc")
    decoded = mpimg.imread(io.BytesIO(ev.encoded_image_string), format="png")
    np.testing.assert_allclose(decoded[..., :3].transpose(2, 0, 1),
                               (img * 255).astype(np.uint8) / 255, atol=1e-6)
    (ev,) = acc.Images("batch")
    assert (ev.height, ev.width) == (2, 6)  # three images side by side


def test_text_and_hparams(tmp_path):
    from tensorboard.plugins.hparams import plugin_data_pb2

    with SummaryWriter(str(tmp_path)) as w:
        w.add_text("notes", "hello **world**", 2)
        w.add_hparams({"lr": 0.1, "bs": 32, "opt": "sgd", "nesterov": True}, {"hparam/loss": 0.25},
                      run_name="trial")
    acc = _read(tmp_path)
    (ev,) = acc.Tensors("notes/text_summary")
    assert ev.tensor_proto.string_val == [b"hello **world**"]
    assert acc.SummaryMetadata("notes/text_summary").plugin_data.plugin_name == "text"
    trial = _read(tmp_path / "trial")
    assert trial.Scalars("hparam/loss")[0].value == pytest.approx(0.25)
    meta = trial.SummaryMetadata("_hparams_/session_start_info")
    assert meta.plugin_data.plugin_name == "hparams"
    data = plugin_data_pb2.HParamsPluginData.FromString(meta.plugin_data.content)
    hp = data.session_start_info.hparams
    assert hp["lr"].number_value == pytest.approx(0.1) and hp["bs"].number_value == 32
    assert hp["opt"].string_value == "sgd" and hp["nesterov"].bool_value is True
    exp = plugin_data_pb2.HParamsPluginData.FromString(
        trial.SummaryMetadata("_hparams_/experiment").plugin_data.content).experiment
    assert [m.name.tag for m in exp.metric_infos] == ["hparam/loss"]


def test_graph_of_the_autograd_ops(tmp_path):
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    with SummaryWriter(str(tmp_path)) as w, xgrad.no_grad():
        w.add_graph(model, xgrad.randn(5, 4))
    graph = _read(tmp_path).Graph()
    by_name = {n.name: n for n in graph.node}
    ops = sorted(n.op for n in graph.node)
    assert ops.count("linear") == 2 and ops.count("relu") == 1
    assert {"param/0.weight", "param/0.bias", "param/2.weight", "param/2.bias", "input/0",
            "output/0"} <= set(by_name)
    relu = next(n for n in graph.node if n.op == "relu")
    assert by_name[relu.input[0]].op == "linear"
    assert set(by_name["linear_0"].input) == {"input/0", "param/0.weight", "param/0.bias"}
    assert by_name["output/0"].input == ["linear_1"]


def test_embedding_projector_files(tmp_path):
    mat = np.arange(12, dtype=np.float32).reshape(4, 3)
    with SummaryWriter(str(tmp_path)) as w:
        w.add_embedding(xgrad.tensor(mat), metadata=["a", "b", "c", "d"], global_step=1, tag="emb")
    sub = tmp_path / "00001" / "emb"
    np.testing.assert_array_equal(np.loadtxt(sub / "tensors.tsv", delimiter="\t"), mat)
    assert (sub / "metadata.tsv").read_text().split() == ["a", "b", "c", "d"]
    cfg = (tmp_path / "projector_config.pbtxt").read_text()
    assert 'tensor_path: "00001/emb/tensors.tsv"' in cfg


def test_default_log_dir_and_purge_step(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_exp", purge_step=3, filename_suffix=".v2")
    w.close()
    (run,) = os.listdir(tmp_path / "runs")
    assert run.endswith("_exp")
    (f,) = os.listdir(tmp_path / "runs" / run)
    assert f.startswith("events.out.tfevents.") and f.endswith(".v2")


def test_bad_input_errors(tmp_path):
    with SummaryWriter(str(tmp_path)) as w:
        with pytest.raises(ValueError, match="expected a scalar"):
            w.add_scalar("x", xgrad.ones(3))
        with pytest.raises(TypeError, match="expected text_string to be a str"):
            w.add_text("t", 3)
        with pytest.raises(ValueError, match="dataformats"):
            w.add_image("i", np.zeros((2, 2)), dataformats="CHW")


def test_missing_extra_error_names_it():
    code = ("import sys; sys.modules['tensorboard'] = None\n"
            "import xgrad.utils.tensorboard as tb\n"
            "try:\n    tb.SummaryWriter('x')\nexcept ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'xgrad[tensorboard]'" in out.stdout
