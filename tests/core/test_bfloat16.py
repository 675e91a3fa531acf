"""xgrad.bfloat16 on the numpy backend (through ml_dtypes) against torch.bfloat16: rounding,
promotion, arithmetic, reductions, matmul, fused kernels, autograd, casts and save/load; the
clear errors when ml_dtypes is missing and on backends without bfloat16."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import xgrad

ml_dtypes = pytest.importorskip("ml_dtypes")
torch = pytest.importorskip("torch")

BF = xgrad.bfloat16
TB = torch.bfloat16
EPS = 2.0 ** -7  # bfloat16's machine epsilon: one ulp at 1.0

X_DT = {"bfloat16": xgrad.bfloat16, "float16": xgrad.float16, "float32": xgrad.float32,
        "float64": xgrad.float64, "int32": xgrad.int32, "int64": xgrad.int64, "bool": xgrad.bool}
T_DT = {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32,
        "float64": torch.float64, "int32": torch.int32, "int64": torch.int64, "bool": torch.bool}


def _f(t) -> np.ndarray:
    """float64 values of an xgrad or torch tensor (bfloat16 widens exactly)."""
    if isinstance(t, torch.Tensor):
        return t.detach().double().numpy()
    return t.detach().to(xgrad.float64).numpy()


def _pair(values: np.ndarray):
    return xgrad.tensor(values, dtype=BF), torch.tensor(values, dtype=TB)


def _close(x, t, ulps: float = 1.0, scale: float = 0.0) -> None:
    """Equal up to ``ulps`` bfloat16 ulps of each value (or of ``scale`` where larger)."""
    a = _f(x)
    b = t if isinstance(t, np.ndarray) else _f(t)
    np.testing.assert_allclose(a, b, rtol=ulps * EPS, atol=ulps * EPS * scale + 1e-30)


def test_dtype_object_and_names():
    assert xgrad.bfloat16 is xgrad.dtypes.dtype_from_name("bfloat16")
    assert xgrad.dtypes.dtype_from_name("torch.bfloat16") is BF
    assert BF.is_floating_point and BF.itemsize == 2 and repr(BF) == "xgrad.bfloat16"
    fi = xgrad.finfo(BF)
    assert fi.eps == torch.finfo(TB).eps and fi.max == torch.finfo(TB).max


@pytest.mark.parametrize("a", list(X_DT))
@pytest.mark.parametrize("b", list(X_DT))
def test_promotion_matches_torch(a, b):
    want = torch.promote_types(T_DT[a], T_DT[b])
    assert xgrad.promote_types(X_DT[a], X_DT[b]).name == str(want).split(".")[1]


def test_tensor_promotion_in_ops_matches_torch():
    xb, tb = xgrad.ones(3, dtype=BF), torch.ones(3, dtype=TB)
    others = [("int64", [1, 2, 3]), ("int32", [1, 2, 3]), ("bool", [True, False, True]),
              ("float16", [1.0, 2.0, 3.0]), ("float32", [1.0, 2.0, 3.0]),
              ("float64", [1.0, 2.0, 3.0])]
    for name, vals in others:
        xo = xgrad.tensor(vals, dtype=X_DT[name])
        to = torch.tensor(vals, dtype=T_DT[name])
        assert (xb + xo).dtype.name == str((tb + to).dtype).split(".")[1], name
    # Python scalars and 0-d tensors do not upcast
    assert (xb * 2.5).dtype is BF and (xb + 3).dtype is BF
    assert (xb + xgrad.tensor(1.0, dtype=xgrad.float64)).dtype is BF
    assert (tb + torch.tensor(1.0, dtype=torch.float64)).dtype is TB


def test_creation_rounds_like_torch(rng):
    vals = np.concatenate([rng.standard_normal(200) * 10.0 ** rng.integers(-40, 38, 200),
                           [0.0, -0.0, 1.0, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 65504.0, 3.4e38,
                            1e-40, -1e-42, np.inf, -np.inf]])
    x, t = _pair(vals)
    assert x.dtype is BF and x.element_size() == 2
    np.testing.assert_array_equal(_f(x), _f(t))  # round to nearest even, subnormals, overflow
    np.testing.assert_array_equal(np.signbit(_f(x)), np.signbit(_f(t)))
    assert np.isnan(_f(xgrad.tensor([np.nan], dtype=BF))).all()
    for xf in (xgrad.zeros(2, 3, dtype=BF), xgrad.ones(4, dtype="bfloat16"),
               xgrad.full((2,), 0.1, dtype=BF), xgrad.arange(0, 3, dtype=BF),
               xgrad.randn(3, 4, dtype=BF), xgrad.empty(2, dtype=BF)):
        assert xf.dtype is BF
    assert xgrad.full((1,), 0.1, dtype=BF).item() == torch.full((1,), 0.1, dtype=TB).item()


def test_casts_match_torch(rng):
    vals = rng.standard_normal(300) * 100
    xf, tf = xgrad.tensor(vals, dtype=xgrad.float32), torch.tensor(vals, dtype=torch.float32)
    xb, tb = xf.to(BF), tf.to(TB)
    assert xb.dtype is BF
    np.testing.assert_array_equal(_f(xb), _f(tb))
    for name in ("float16", "float32", "float64", "int32", "int64", "bool"):
        np.testing.assert_array_equal(_f(xb.to(X_DT[name])), _f(tb.to(T_DT[name])), err_msg=name)
    assert xb.float().dtype is xgrad.float32
    np.testing.assert_array_equal(_f(xgrad.tensor([1, 300, 257]).to(BF)),
                                  _f(torch.tensor([1, 300, 257]).to(TB)))


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "maximum", "pow"])
def test_binary_arithmetic_matches_torch(op, rng):
    a = rng.standard_normal(500) * 4
    b = rng.standard_normal(500) * 4
    if op == "pow":
        a = np.abs(a) + 0.1
    (xa, ta), (xb, tb) = _pair(a), _pair(b)
    xo, to = getattr(xgrad, op)(xa, xb), getattr(torch, op)(ta, tb)
    assert xo.dtype is BF
    np.testing.assert_array_equal(_f(xo), _f(to))  # one float32 op, rounded once
    np.testing.assert_array_equal(_f(xa * 0.3), _f(ta * 0.3))


@pytest.mark.parametrize("op", ["exp", "log", "tanh", "sqrt", "sin", "sigmoid", "abs", "neg",
                                "relu", "erf"])
def test_unary_math_matches_torch(op, rng):
    v = rng.standard_normal(500) * 3
    if op in ("log", "sqrt"):
        v = np.abs(v) + 1e-3
    x, t = _pair(v)
    xo, to = getattr(x, op)(), getattr(t, op)()
    assert xo.dtype is BF
    a, b = _f(xo), _f(to)
    # libm and torch's vectorised kernels can differ in the last float32 bit, which flips a
    # rounding now and then: almost all equal, none more than one ulp apart
    assert np.mean(a == b) > 0.97, op
    _close(xo, to, 1.0)


def test_reductions_and_matmul_accumulate_in_float32(rng):
    v = rng.standard_normal((64, 48))
    x, t = _pair(v)
    for xo, to in ((x.sum(), t.sum()), (x.sum(0), t.sum(0)), (x.mean(1), t.mean(1)),
                   (x.max(1)[0], t.max(1)[0]), (x.cumsum(1), t.cumsum(1))):
        assert xo.dtype is BF
        _close(xo, to, 1.0)
    # torch multiplies in bfloat16 step by step; ours rounds the float32 product once
    _close(x.prod(0), np.prod(_f(x), 0), 1.0)
    w = _pair(rng.standard_normal((48, 32)))
    xo, to = x @ w[0], t @ w[1]
    assert xo.dtype is BF
    _close(xo, to, 1.0)
    # 4096 ones summed in bfloat16 would stall at 256; float32 accumulation gives the answer
    assert xgrad.ones(4096, dtype=BF).sum().item() == 4096 == torch.ones(4096, dtype=TB).sum()


def test_fused_kernels_and_modules_match_torch(rng):
    import xgrad.nn.functional as F

    tf = torch.nn.functional
    v = rng.standard_normal((8, 10)) * 3
    x, t = _pair(v)
    exact = torch.tensor(_f(x))
    for name in ("softmax", "log_softmax"):
        xo, to = getattr(F, name)(x, dim=1), getattr(tf, name)(t, dim=1)
        assert xo.dtype is BF
        # computed in float32 and rounded once: within an ulp of the exact value (torch
        # itself rounds an intermediate, so it is only close on the row's scale)
        _close(xo, getattr(tf, name)(exact, dim=1).numpy(), 1.0)
        _close(xo, to, 2.0, scale=np.abs(v).max())
    target = rng.integers(0, 10, 8)
    xl = F.cross_entropy(x, xgrad.tensor(target))
    tl = tf.cross_entropy(t, torch.tensor(target))
    assert xl.dtype is BF
    _close(xl, tl, 2.0)
    lin = xgrad.nn.Linear(10, 4).to(BF)
    tlin = torch.nn.Linear(10, 4).to(TB)
    with torch.no_grad():
        tlin.weight.copy_(torch.from_numpy(_f(lin.weight)))
        tlin.bias.copy_(torch.from_numpy(_f(lin.bias)))
    xo, to = lin(x), tlin(t)
    assert xo.dtype is BF and lin.weight.dtype is BF
    _close(xo, to, 2.0)
    _close(F.gelu(x), tf.gelu(t), 2.0)


def test_autograd_in_bfloat16_matches_torch(rng):
    v = rng.standard_normal((5, 6))
    w = rng.standard_normal((6, 3))
    (xv, tv), (xw, tw) = _pair(v), _pair(w)
    for a in (xv, tv, xw, tw):
        a.requires_grad_(True)
    xgrad.tanh(xv @ xw).pow(2).sum().backward()
    torch.tanh(tv @ tw).pow(2).sum().backward()
    assert xv.grad.dtype is BF and xw.grad.dtype is BF
    # each op rounds its output to bfloat16, in a different order in each library's backward
    _close(xv.grad, tv.grad, 4.0, scale=np.abs(_f(tv.grad)).max())
    _close(xw.grad, tw.grad, 4.0, scale=np.abs(_f(tw.grad)).max())


def test_training_step_in_bfloat16_reduces_loss(rng):
    model = xgrad.nn.Sequential(xgrad.nn.Linear(4, 16), xgrad.nn.Tanh(),
                                xgrad.nn.Linear(16, 1)).to(BF)
    opt = xgrad.optim.Adam(model.parameters(), lr=0.05)
    x = xgrad.tensor(rng.standard_normal((64, 4)), dtype=BF)
    y = (x.float().sum(1, keepdim=True) > 0).float().to(BF)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = xgrad.nn.functional.binary_cross_entropy_with_logits(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert all(p.dtype is BF for p in model.parameters())
    assert losses[-1] < 0.5 * losses[0]


def test_save_load_round_trip_and_torch_interop(tmp_path, rng):
    from safetensors.torch import load_file, save_file

    v = rng.standard_normal((3, 4))
    x, t = _pair(v)
    path = tmp_path / "bf16.safetensors"
    xgrad.save({"w": x, "n": xgrad.ones(2)}, path)
    back = xgrad.load(path)
    assert back["w"].dtype is BF
    np.testing.assert_array_equal(_f(back["w"]), _f(x))
    theirs = load_file(str(path))  # a real BF16 entry that PyTorch reads
    assert theirs["w"].dtype is TB
    np.testing.assert_array_equal(_f(theirs["w"]), _f(t))
    path2 = tmp_path / "from_torch.safetensors"
    save_file({"w": t}, str(path2))
    mine = xgrad.load(path2)["w"]
    assert mine.dtype is BF
    np.testing.assert_array_equal(_f(mine), _f(t))
    sd_path = tmp_path / "model.safetensors"
    lin = xgrad.nn.Linear(3, 2).to(BF)
    xgrad.save(lin.state_dict(), sd_path)
    fresh = xgrad.nn.Linear(3, 2).to(BF)
    fresh.load_state_dict(xgrad.load(sd_path))
    np.testing.assert_array_equal(_f(fresh.weight), _f(lin.weight))


def test_backends_without_bfloat16_refuse_clearly():
    with pytest.raises(TypeError, match="backend 'reference' does not support dtype bfloat16"):
        xgrad.ones(2, dtype=BF, device="reference")
    with pytest.raises(TypeError, match="bfloat16"):
        xgrad.ones(2, dtype=BF).to("reference")


def test_missing_ml_dtypes_names_the_extra(monkeypatch, tmp_path):
    from xgrad.backends.numpy import NumpyBackend

    path = tmp_path / "bf16.safetensors"
    xgrad.save({"w": xgrad.ones(2, dtype=BF)}, path)
    monkeypatch.setitem(sys.modules, "ml_dtypes", None)  # import ml_dtypes now fails
    be = NumpyBackend()
    with pytest.raises(ImportError, match=r"needs the ml_dtypes package.*xgrad\[bfloat16\]"):
        be.full((2,), 1.0, BF)
    assert be.full((2,), 1.0, xgrad.float32).dtype == np.float32  # other dtypes unaffected
    with pytest.raises(ImportError, match=r"tensor 'w' is bfloat16.*xgrad\[bfloat16\]"):
        xgrad.load(path)


def test_importing_xgrad_and_float_math_do_not_import_ml_dtypes():
    code = ("import sys, xgrad; x = xgrad.randn(3, 3); (x.exp() @ x).sum().backward; "
            "xgrad.nn.Linear(3, 2)(x).softmax(1); print('ml_dtypes' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
