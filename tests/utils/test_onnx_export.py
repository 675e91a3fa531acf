"""xgrad.onnx.export: every exported model passes onnx.checker and ONNX Runtime computes
what xgrad computes (within float32 tolerance), also at a batch size other than the traced one."""
from __future__ import annotations

import ast
import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xgrad
import xgrad.onnx
from xgrad import nn
from xgrad.nn import functional as F

onnx = pytest.importorskip("onnx", reason="the 'onnx' extra is not installed")
ort = pytest.importorskip("onnxruntime", reason="the 'onnx' extra is not installed")

ROOT = Path(__file__).resolve().parents[2]


def _run(model, args, *, dynamic=True, atol=1e-5, rtol=1e-4, other_batch=None, **kw):
    """Export, check, run in onnxruntime at the traced batch and at ``other_batch``."""
    model.eval()
    args = args if isinstance(args, tuple) else (args,)
    names = [f"in{i}" for i in range(len(args))]
    buf = io.BytesIO()
    out = model(*args)
    outs = out if isinstance(out, tuple) else (out,)
    flat = []
    for o in outs:
        flat.extend(o if isinstance(o, tuple) else (o,))
    out_names = [f"out{i}" for i in range(len(flat))]
    axes = {n: {0: "batch"} for n in names + out_names} if dynamic else None
    proto = xgrad.onnx.export(model, args, buf, input_names=names, output_names=out_names,
                              dynamic_axes=axes, **kw)
    onnx.checker.check_model(proto, full_check=True)
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    batches = [args] + ([other_batch] if other_batch is not None else [])
    for batch in batches:
        ref = model(*batch)
        ref = ref if isinstance(ref, tuple) else (ref,)
        ref_flat = []
        for o in ref:
            ref_flat.extend(o if isinstance(o, tuple) else (o,))
        got = sess.run(None, {n: a.numpy() for n, a in zip(names, batch)})
        assert len(got) == len(ref_flat)
        for g, r in zip(got, ref_flat):
            np.testing.assert_allclose(g, r.detach().numpy(), atol=atol, rtol=rtol)
    return proto


def _ops(proto) -> set[str]:
    return {n.op_type for n in proto.graph.node}


class Residual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(6, 6)

    def forward(self, x):
        h = self.fc(x)
        a, b = h.split(3, dim=-1)
        y = xgrad.cat([a.tanh(), b.sigmoid() * 2.0 - 1.0], dim=-1) + x
        y = (y.exp() / 3 + y.abs().sqrt()).clamp(-2, 2)
        return y[:, 1:5].permute(1, 0).reshape(-1, 4).mean(0, keepdim=True).sum(-1) + y.amax(1).sum()


LAYERS = {
    "linear": (lambda: nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3)), (2, 5), None),
    "linear_3d": (lambda: nn.Sequential(nn.Linear(5, 4), nn.GELU(), nn.Linear(4, 2, bias=False)),
                  (2, 3, 5), None),
    "gelu_tanh": (lambda: nn.Sequential(nn.Linear(4, 4), nn.GELU("tanh")), (3, 4), None),
    "activations": (lambda: nn.Sequential(nn.LeakyReLU(0.2), nn.ELU(0.7), nn.Softplus(), nn.Tanh(),
                                          nn.Hardtanh(-0.5, 0.5), nn.SiLU(), nn.Mish(), nn.ReLU6(),
                                          nn.Softmax(-1)), (3, 6), None),
    "log_softmax_dropout": (lambda: nn.Sequential(nn.Linear(4, 5), nn.Dropout(0.5), nn.LogSoftmax(1)),
                            (3, 4), None),
    "conv2d": (lambda: nn.Sequential(nn.Conv2d(3, 6, 3, stride=2, padding=1), nn.ReLU(),
                                     nn.Conv2d(6, 6, 3, groups=3, dilation=2, padding="same"),
                                     nn.MaxPool2d(2), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(24, 2)),
               (2, 3, 16, 16), None),
    "conv1d": (lambda: nn.Sequential(nn.Conv1d(3, 4, 3, padding=2, dilation=2), nn.MaxPool1d(2),
                                     nn.AvgPool1d(2), nn.Conv1d(4, 4, 1, groups=2)), (2, 3, 12), None),
    "conv_transpose": (lambda: nn.Sequential(nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1,
                                                                output_padding=1), nn.Sigmoid()),
                       (2, 3, 5, 5), None),
    "batchnorm": (lambda: nn.Sequential(nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4), nn.ReLU(),
                                        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.BatchNorm1d(4)),
                  (3, 2, 6, 6), "bn"),
    "layernorm_groupnorm": (lambda: nn.Sequential(nn.GroupNorm(2, 4), nn.LayerNorm([5, 5])), (2, 4, 5, 5),
                            None),
    "residual_glue": (Residual, (3, 6), None),  # batch 3: unlike any other dim
}


def _randomize_bn(model):
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            n = m.num_features
            m.running_mean.copy_(xgrad.randn(n))
            m.running_var.copy_(xgrad.rand(n) + 0.5)
            with xgrad.no_grad():
                m.weight.copy_(xgrad.randn(n))
                m.bias.copy_(xgrad.randn(n))


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_models_match_onnxruntime(name):
    xgrad.manual_seed(0)
    make, shape, extra = LAYERS[name]
    model = make()
    if extra == "bn":
        _randomize_bn(model)
    other = (xgrad.randn(shape[0] + 3, *shape[1:]),)
    proto = _run(model, xgrad.randn(*shape), other_batch=other)
    if name == "batchnorm":
        assert "BatchNormalization" in _ops(proto)
    if name == "conv1d":
        assert {"Conv", "MaxPool", "AveragePool"} <= _ops(proto)
    if name == "activations":
        assert {"LeakyRelu", "Elu", "Softplus"} <= _ops(proto)
    if name == "log_softmax_dropout":
        assert "Dropout" not in _ops(proto) and "LogSoftmax" in _ops(proto)


@pytest.mark.parametrize("opset", [17, 18, 20])
def test_opsets(opset):
    xgrad.manual_seed(0)
    model = nn.Sequential(nn.Conv1d(2, 3, 3), nn.GroupNorm(1, 3), nn.Flatten(), nn.Linear(18, 4),
                          nn.Softmax(-1))
    proto = _run(model, xgrad.randn(3, 2, 8), other_batch=(xgrad.randn(5, 2, 8),), opset_version=opset)
    assert proto.opset_import[0].version == opset


def test_reference_backend_model():
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.LayerNorm(3)).to("reference")
    x = xgrad.randn(2, 4, device="reference")
    buf = io.BytesIO()
    xgrad.onnx.export(model, x, buf)
    (got,) = ort.InferenceSession(buf.getvalue()).run(None, {"input": x.cpu().numpy()})
    np.testing.assert_allclose(got, model(x).detach().cpu().numpy(), atol=1e-5, rtol=1e-4)


def test_training_mode_keeps_dropout_random():
    model = nn.Sequential(nn.Dropout(0.5))
    buf = io.BytesIO()
    proto = xgrad.onnx.export(model, xgrad.ones(64, 64), buf, training=xgrad.onnx.TrainingMode.TRAINING)
    assert "Dropout" in _ops(proto)
    assert model.training  # the module's mode is restored after the export
    (got,) = ort.InferenceSession(buf.getvalue()).run(None, {"input": np.ones((64, 64), np.float32)})
    assert set(np.unique(got)) <= {0.0, 2.0}
    assert 0.3 < (got == 0).mean() < 0.7
    proto = xgrad.onnx.export(model, xgrad.ones(2, 2), io.BytesIO())  # default: eval mode
    assert "Dropout" not in _ops(proto) and model.training


def test_export_under_no_grad_still_traces():
    xgrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh())
    buf = io.BytesIO()
    with xgrad.no_grad():
        xgrad.onnx.export(model, xgrad.randn(2, 3), buf, dynamic_axes={"input": [0], "output": [0]})
    x = xgrad.randn(5, 3)
    (got,) = ort.InferenceSession(buf.getvalue()).run(None, {"input": x.numpy()})
    np.testing.assert_allclose(got, model(x).detach().numpy(), atol=1e-6, rtol=1e-5)


class InPlace(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc, self.act = nn.Linear(3, 4), nn.ReLU(inplace=True)
        self.conv, self.act2 = nn.Conv1d(1, 2, 1), nn.ReLU(inplace=True)

    def forward(self, x):
        h = self.act(self.fc(x))
        h += 1
        h.mul_(2)
        h = self.act2(self.conv(h.unsqueeze(1)))  # in place on a module converter's output
        h.sub_(0.5)
        return h.transpose(1, 2).reshape(x.shape[0], -1)


def test_in_place_ops_are_traced():
    xgrad.manual_seed(0)
    proto = _run(InPlace(), xgrad.randn(3, 3), other_batch=(xgrad.randn(6, 3),))
    assert [n.op_type for n in proto.graph.node if n.op_type in ("Relu", "Add", "Mul", "Sub")] == [
        "Relu", "Add", "Mul", "Relu", "Sub"]


def test_embedding_is_a_gather():
    xgrad.manual_seed(0)
    model = nn.Sequential(nn.Embedding(10, 4), nn.Linear(4, 3))
    idx = xgrad.randint(0, 10, (2, 5))
    proto = _run(model, idx, other_batch=(xgrad.randint(0, 10, (7, 5)),))
    assert "Gather" in _ops(proto)


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("batch_first", [True, False])
def test_recurrent_layers(kind, batch_first):
    xgrad.manual_seed(1)
    cls = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[kind]
    model = cls(4, 5, num_layers=2, bidirectional=True, batch_first=batch_first)
    shape = (3, 6, 4) if batch_first else (6, 3, 4)
    other = (xgrad.randn(5, 6, 4) if batch_first else xgrad.randn(6, 5, 4),)
    dyn_axis = 0 if batch_first else 1
    model.eval()
    x = xgrad.randn(*shape)
    buf = io.BytesIO()
    n_out = 3 if kind == "lstm" else 2
    outs = [f"o{i}" for i in range(n_out)]
    axes = {"x": {dyn_axis: "batch"}, "o0": {dyn_axis: "batch"}, **{o: {1: "batch"} for o in outs[1:]}}
    xgrad.onnx.export(model, (x,), buf, input_names=["x"], output_names=outs, dynamic_axes=axes)
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    for inp in ((x,), other):
        out, h = model(*inp)
        ref = [out] + (list(h) if kind == "lstm" else [h])
        got = sess.run(None, {"x": inp[0].numpy()})
        for g_, r in zip(got, ref):
            np.testing.assert_allclose(g_, r.detach().numpy(), atol=1e-5, rtol=1e-4)


def test_lstm_with_initial_state():
    xgrad.manual_seed(2)
    model = nn.LSTM(3, 4, batch_first=True)
    x, h0, c0 = xgrad.randn(2, 5, 3), xgrad.randn(1, 2, 4), xgrad.randn(1, 2, 4)

    class Wrap(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = model

        def forward(self, x, h0, c0):
            out, (h, c) = self.lstm(x, (h0, c0))
            return out, h, c

    _run(Wrap(), (x, h0, c0), dynamic=False)


def test_multihead_attention_and_transformer_encoder():
    xgrad.manual_seed(3)
    mha = nn.MultiheadAttention(8, 2, batch_first=True)

    class SelfAttn(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.mha = mha

        def forward(self, x):
            return self.mha(x, x, x, need_weights=False)[0]

    _run(SelfAttn(), xgrad.randn(2, 5, 8), other_batch=(xgrad.randn(4, 5, 8),))
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.1, batch_first=True)
    enc = nn.TransformerEncoder(layer, 2)
    _run(enc, xgrad.randn(2, 5, 8), other_batch=(xgrad.randn(3, 5, 8),), atol=1e-4)


def _example_classes(path: Path) -> dict:
    """The module-level imports and classes of an example program, without running it."""
    tree = ast.parse(path.read_text())
    keep = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom, ast.ClassDef, ast.Assign))
            and not (isinstance(n, ast.Assign) and not isinstance(n.value, ast.Constant))]
    ns: dict = {"__name__": "example"}
    exec(compile(ast.Module(body=keep, type_ignores=[]), str(path), "exec"), ns)
    return ns


def test_example_simple_net():
    xgrad.manual_seed(0)
    net = _example_classes(ROOT / "examples" / "simple_net.py")["SimpleNet"]()
    proto = _run(net, xgrad.randn(4, 784), other_batch=(xgrad.randn(9, 784),))
    assert _ops(proto) >= {"Gemm", "Relu"}


def test_example_digits_cnn():
    xgrad.manual_seed(0)
    net = _example_classes(ROOT / "examples" / "digits.py")["DigitsCNN"]()
    proto = _run(net, xgrad.randn(4, 1, 8, 8), other_batch=(xgrad.randn(1, 1, 8, 8),))
    assert {"Conv", "MaxPool", "Gemm"} <= _ops(proto)


@pytest.mark.parametrize("cls", ["TransformerSorter", "LSTMSorter"])
def test_example_sequence_models(cls):
    xgrad.manual_seed(0)
    ns = _example_classes(ROOT / "examples" / "sequence_model.py")
    net = ns[cls](6, **({"d_model": 16, "nhead": 2, "num_layers": 1, "dim_feedforward": 32}
                       if cls == "TransformerSorter" else {"hidden": 8}))
    x = xgrad.randint(0, 10, (3, 6))
    _run(net, x, other_batch=(xgrad.randint(0, 10, (5, 6)),), atol=1e-4)


def test_export_to_path_without_params_and_verbose(tmp_path, capsys):
    model = nn.Linear(3, 2)
    path = tmp_path / "m.onnx"
    xgrad.onnx.export(model, xgrad.randn(1, 3), str(path), export_params=False, verbose=True)
    loaded = onnx.load(str(path))
    assert {i.name for i in loaded.graph.input} == {"input", "weight", "bias"}
    assert not loaded.graph.initializer
    assert "Gemm" in capsys.readouterr().out
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = np.ones((1, 3), np.float32)
    (got,) = sess.run(None, {"input": x, "weight": model.weight.detach().numpy(),
                             "bias": model.bias.detach().numpy()})
    np.testing.assert_allclose(got, model(xgrad.tensor(x)).detach().numpy(), rtol=1e-5)


def test_initializers_as_inputs_and_no_file():
    model = nn.Linear(3, 2)
    proto = xgrad.onnx.export(model, (xgrad.randn(1, 3),), None, keep_initializers_as_inputs=True)
    assert {i.name for i in proto.graph.input} == {"input", "weight", "bias"}
    assert {i.name for i in proto.graph.initializer} == {"weight", "bias"}
    with pytest.raises(TypeError):
        xgrad.onnx.export(model, (xgrad.randn(1, 3),), None, ["x"])  # keyword-only, as PyTorch


def test_unsupported_op_names_op_and_module():
    class Bad(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(3, 3)

        def forward(self, x):
            return F.leaky_relu(self.fc(x), 0.1)

    class Outer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.block = Bad()

        def forward(self, x):
            return self.block(x)

    with pytest.raises(RuntimeError, match=r"op 'where' \(in module 'block'\)"):
        xgrad.onnx.export(Outer(), xgrad.randn(2, 3), io.BytesIO())


def test_untraceable_index_raises():
    class ArgMaxPick(nn.Module):
        def forward(self, x):
            return x.max(dim=1)[0]

    with pytest.raises(RuntimeError, match=r"op 'gather' \(in module 'ArgMaxPick'\).*amax"):
        xgrad.onnx.export(ArgMaxPick(), xgrad.randn(2, 3), io.BytesIO())


def test_bad_arguments():
    with pytest.raises(TypeError, match="expected model to be an xgrad.nn.Module"):
        xgrad.onnx.export(lambda x: x, xgrad.randn(1), io.BytesIO())
    with pytest.raises(ValueError, match="dynamic_axes names"):
        xgrad.onnx.export(nn.Linear(2, 2), xgrad.randn(1, 2), io.BytesIO(), dynamic_axes={"x": [0]})


def test_import_works_without_the_extra_and_export_names_it():
    code = ("import sys; sys.modules['onnx'] = None\n"
            "import xgrad, xgrad.onnx\n"
            "try:\n    xgrad.onnx.export(xgrad.nn.Linear(2, 2), xgrad.zeros(1, 2), 'm.onnx')\n"
            "except ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'xgrad[onnx]'" in out.stdout
