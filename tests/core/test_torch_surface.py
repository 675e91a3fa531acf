"""The torch.* surface that real training scripts touch: cuda/amp/accelerator/onnx/backends
flags, Tensor.__format__/__index__, legacy constructors. PyTorch (CPU build) is the oracle."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad

torch = pytest.importorskip("torch")


# ---- xgrad.cuda ------------------------------------------------------------------------------
def test_cuda_availability_follows_the_registry():
    status = xgrad.backends.available()["cupy"]
    assert xgrad.cuda.is_available() is status["available"]
    if not status["available"]:
        assert xgrad.cuda.device_count() == 0
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            xgrad.cuda.current_device()
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            xgrad.cuda.get_device_name()


def test_cuda_harmless_calls_without_gpu():
    xgrad.cuda.synchronize()
    xgrad.cuda.empty_cache()
    xgrad.cuda.reset_peak_memory_stats()
    assert isinstance(xgrad.cuda.memory_allocated(), int)
    assert xgrad.cuda.max_memory_allocated() >= xgrad.cuda.memory_allocated()
    assert xgrad.cuda.is_bf16_supported() is False
    if not xgrad.cuda.is_available():
        assert xgrad.cuda.memory_allocated() == torch.cuda.memory_allocated() == 0
        assert xgrad.cuda.max_memory_allocated() == 0


def test_cuda_manual_seed_seeds_the_shared_stream():
    xgrad.cuda.manual_seed(123)
    a = xgrad.rand(5)
    xgrad.cuda.manual_seed_all(123)
    b = xgrad.rand(5)
    xgrad.manual_seed(123)
    c = xgrad.rand(5)
    assert np.array_equal(a.numpy(), b.numpy()) and np.array_equal(a.numpy(), c.numpy())
    assert xgrad.cuda.initial_seed() == 123


def test_accelerator_and_onnx_and_flags():
    import xgrad.accelerator
    import xgrad.onnx

    assert xgrad.accelerator.is_available() is xgrad.cuda.is_available()
    if not xgrad.cuda.is_available():
        assert xgrad.accelerator.current_accelerator() is None
        assert xgrad.accelerator.device_count() == 0 == torch.accelerator.device_count()
    assert xgrad.onnx.is_in_onnx_export() is torch.onnx.is_in_onnx_export() is False
    flags = xgrad.backends
    assert flags.cuda.matmul.allow_tf32 is torch.backends.cuda.matmul.allow_tf32
    flags.cuda.matmul.allow_tf32 = True
    flags.cudnn.benchmark = True
    flags.cudnn.deterministic = True
    assert flags.cudnn.benchmark and flags.cudnn.deterministic and flags.cudnn.enabled
    assert flags.mps.is_available() is False
    flags.cuda.matmul.allow_tf32 = False
    flags.cudnn.benchmark = flags.cudnn.deterministic = False
    # the namespace does not shadow the device alias
    assert xgrad.registry.resolve_name("cuda")[0] == "cupy"
    import importlib

    # importable as modules, as in PyTorch (`import torch.backends.cudnn as cudnn`), with
    # no file behind them: they are flag namespaces, not backend packages
    for name in ("cuda", "cudnn", "mps", "mkldnn", "openmp"):
        assert importlib.import_module(f"torch.backends.{name}") is getattr(torch.backends, name)
        module = importlib.import_module(f"xgrad.backends.{name}")
        assert module is getattr(flags, name) and module.__spec__.origin is None
    import xgrad.backends.cudnn as cudnn

    cudnn.benchmark = True
    assert xgrad.backends.cudnn.benchmark is True
    cudnn.benchmark = False


# ---- amp -----------------------------------------------------------------------------------
def _model_and_opt(lib, seed=0):
    w = np.random.default_rng(seed).standard_normal((3, 2)).astype(np.float32)
    p = lib.tensor(w, requires_grad=True)
    opt = lib.optim.SGD([p], lr=0.1)
    return p, opt


@pytest.mark.parametrize("bad_step", [False, True])
def test_grad_scaler_matches_torch_on_cpu(bad_step):
    results = []
    for lib, scaler in ((torch, torch.amp.GradScaler("cpu", init_scale=8.0, growth_interval=2)),
                        (xgrad, xgrad.amp.GradScaler("cpu", init_scale=8.0, growth_interval=2))):
        p, opt = _model_and_opt(lib)
        scales = []
        for step in range(4):
            opt.zero_grad()
            loss = (p * p).sum()
            if bad_step and step == 1:
                loss = loss * float("inf")
            scaler.scale(loss).backward()
            scaler.unscale_(opt)
            grad = p.grad.detach().clone().numpy()
            scaler.step(opt)
            scaler.update()
            scales.append(scaler.get_scale())
        results.append((p.detach().numpy().copy(), scales, grad, scaler.state_dict()))
    (tp, ts, tg, tsd), (xp, xs, xg, xsd) = results
    assert ts == xs
    np.testing.assert_allclose(xp, tp, rtol=1e-6)
    np.testing.assert_allclose(xg, tg, rtol=1e-6)
    assert tsd == xsd


def test_grad_scaler_without_cuda_warns_and_passes_through():
    if xgrad.cuda.is_available():
        pytest.skip("CUDA present")
    with pytest.warns(UserWarning, match="CUDA is not available"):
        s = xgrad.amp.GradScaler()
    assert not s.is_enabled() and s.state_dict() == {} and s.get_scale() == 1.0
    with pytest.warns(FutureWarning, match="deprecated"), pytest.warns(UserWarning):
        from xgrad.cuda.amp import GradScaler

        GradScaler()
    p, opt = _model_and_opt(xgrad)
    loss = (p * p).sum()
    assert s.scale(loss) is loss
    loss.backward()
    s.step(opt)
    s.update()
    assert not np.allclose(p.detach().numpy(), _model_and_opt(xgrad)[0].detach().numpy())


def test_grad_scaler_errors_match_torch():
    for lib in (torch, xgrad):
        with pytest.raises(AssertionError, match="growth factor"):
            lib.amp.GradScaler("cpu", growth_factor=0.5)
    s = xgrad.amp.GradScaler("cpu")
    p, opt = _model_and_opt(xgrad)
    s.scale((p * p).sum()).backward()
    s.unscale_(opt)
    with pytest.raises(RuntimeError, match="already been called"):
        s.unscale_(opt)
    s.step(opt)
    with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
        s.step(opt)
    s.update()
    s2 = xgrad.amp.GradScaler("cpu")
    s2.load_state_dict(s.state_dict())
    assert s2.get_scale() == s.get_scale()


def test_autocast_is_a_noop_context_and_decorator():
    x = xgrad.ones(2, 2)
    with xgrad.autocast("cuda", dtype=xgrad.float16):
        y = x @ x
    assert y.dtype is xgrad.float32
    with xgrad.amp.autocast(device_type="cpu"):
        pass

    @xgrad.autocast("cpu")
    def f(a):
        return a + 1

    assert f(x).dtype is xgrad.float32
    with pytest.raises(ValueError, match="device_type"):
        xgrad.autocast(0)
    with pytest.warns(FutureWarning):
        with xgrad.cuda.amp.autocast():
            pass


# ---- __format__ / __index__ ----------------------------------------------------------------
@pytest.mark.parametrize("value", [1.23456, 3, True, -0.5])
@pytest.mark.parametrize("spec", ["", ".4f", "8.2e", ">10", "+"])
def test_format_0d_matches_torch(value, spec):
    if isinstance(value, bool) and spec in (".4f", "8.2e", "+"):
        pytest.skip("bool formats as int in both")
    x, t = xgrad.tensor(value), torch.tensor(value)
    try:
        expected = format(t, spec)
    except (TypeError, ValueError) as e:
        with pytest.raises(type(e)):
            format(x, spec)
        return
    assert format(x, spec) == expected


def test_format_multi_element():
    x, t = xgrad.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0])
    assert f"{x}" == str(x)
    for a in (x, t, xgrad.tensor([2.5]), torch.tensor([2.5])):
        with pytest.raises(TypeError, match="unsupported format string"):
            f"{a:.2f}"


def test_index_with_0d_and_int_like_tensors():
    data_x = xgrad.arange(20.0)
    data_t = torch.arange(20.0)
    for i in (xgrad.randint(0, 10, (1,))[0], xgrad.tensor(4), xgrad.tensor([3])):
        j = torch.tensor(int(i.item()))
        np.testing.assert_array_equal(data_x[i:i + 8].numpy(), data_t[j:j + 8].numpy())
        np.testing.assert_array_equal(data_x[i:].numpy(), data_t[j:].numpy())
        assert list(range(10))[i] == int(i.item())
        assert i.__index__() == j.__index__()
    np.testing.assert_array_equal(data_x[xgrad.tensor(4)].numpy(), data_t[torch.tensor(4)].numpy())
    np.testing.assert_array_equal(data_x[np.int64(2):np.int64(9):np.int32(3)].numpy(),
                                  data_t[2:9:3].numpy())
    assert data_x[np.int64(5)].item() == 5.0
    # gradient flows through a tensor-bounded slice
    w = xgrad.arange(6.0, requires_grad=True)
    w[xgrad.tensor(1):xgrad.tensor(4)].sum().backward()
    assert w.grad.tolist() == [0, 1, 1, 1, 0, 0]
    for lib in (torch, xgrad):
        with pytest.raises(TypeError, match="only integer tensors of a single element"):
            lib.tensor(1.5).__index__()
        with pytest.raises(TypeError):
            lib.arange(5)[lib.tensor(1.0):3]
        with pytest.raises(TypeError):
            lib.arange(5)[lib.tensor([1, 2]):3]


# ---- legacy constructors -------------------------------------------------------------------
_LEGACY = [(), (2, 3), (0,), ([1, 2],), ([[1.5, 2.0]],), ((2, 3),), ("size",)]


@pytest.mark.parametrize("args", _LEGACY)
@pytest.mark.parametrize("name", ["Tensor", "FloatTensor", "DoubleTensor", "LongTensor",
                                  "IntTensor", "BoolTensor", "HalfTensor"])
def test_legacy_constructors_match_torch(name, args):
    if args == ("size",):
        args = (torch.Size([2, 2]),)
        xargs = (xgrad.Size([2, 2]),)
    else:
        xargs = args
    t = getattr(torch, name)(*args)
    x = getattr(xgrad, name)(*xargs)
    assert type(x) is xgrad.Tensor
    assert tuple(x.shape) == tuple(t.shape) and x.dtype.name == str(t.dtype).split(".")[1]
    if args and isinstance(args[0], list):
        np.testing.assert_array_equal(x.numpy(), t.numpy())
    elif args and not isinstance(args[0], tuple):
        assert not x.numpy().any()  # zeros (PyTorch's memory is uninitialised)
    assert isinstance(x, getattr(xgrad, name)) and isinstance(t, getattr(torch, name))


@pytest.mark.parametrize("args", [(2.5,), ("abc",), ([1, 2], 3), (True,)])
def test_legacy_constructor_errors_match_torch(args):
    with pytest.raises(TypeError) as te:
        torch.Tensor(*args)
    with pytest.raises(TypeError) as xe:
        xgrad.Tensor(*args)
    assert str(xe.value).split(" - ")[0] == str(te.value).split(" - ")[0]
    with pytest.raises(TypeError):
        xgrad.LongTensor(*args)


def test_tensor_constructor_keeps_keywords():
    x = xgrad.Tensor([1, 2], dtype=xgrad.int64, device="reference", requires_grad=False)
    assert x.dtype is xgrad.int64 and x.device == xgrad.device("reference")
    assert xgrad.Tensor(data=[1.0]).tolist() == [1.0]
    assert xgrad.Tensor(xgrad.tensor([1.0, 2.0])).tolist() == [1.0, 2.0]
    assert xgrad.Tensor(3, device="reference").shape == (3,)
    assert not isinstance(xgrad.ones(2), xgrad.LongTensor)


# ---- finfo / iinfo / settings / grad-mode decorators -----------------------------------------
@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_finfo_matches_torch(name):
    x, t = xgrad.finfo(getattr(xgrad, name)), torch.finfo(getattr(torch, name))
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(x, attr) == getattr(t, attr), attr
    assert repr(x) == repr(t)


@pytest.mark.parametrize("name", ["int32", "int64"])
def test_iinfo_matches_torch(name):
    x, t = xgrad.iinfo(getattr(xgrad, name)), torch.iinfo(getattr(torch, name))
    assert (x.bits, x.max, x.min, x.dtype) == (t.bits, t.max, t.min, t.dtype)
    assert repr(x) == repr(t)


def test_finfo_iinfo_errors_match_torch():
    assert xgrad.finfo().dtype == torch.finfo().dtype == "float32"
    for lib in (torch, xgrad):
        with pytest.raises(TypeError, match="requires a floating point input type"):
            lib.finfo(lib.int64)
        with pytest.raises(TypeError, match="requires an integer input type"):
            lib.iinfo(lib.float32)
        with pytest.raises(TypeError, match="is not supported by"):
            lib.iinfo(lib.bool)
        with pytest.raises(TypeError, match="must be"):
            lib.finfo("float32")


def test_matmul_precision_and_threads():
    assert xgrad.get_float32_matmul_precision() == "highest"
    try:
        xgrad.set_float32_matmul_precision("high")
        assert xgrad.get_float32_matmul_precision() == "high"
        with pytest.warns(UserWarning, match="no effect"):
            xgrad.set_float32_matmul_precision("bad")
        assert xgrad.get_float32_matmul_precision() == "high"
    finally:
        xgrad.set_float32_matmul_precision("highest")
    n = xgrad.get_num_threads()
    assert isinstance(n, int) and n >= 1
    for bad in (0, 1.5):
        with pytest.raises(RuntimeError) as te:
            torch.set_num_threads(bad)
        with pytest.raises(RuntimeError) as xe:
            xgrad.set_num_threads(bad)
        assert str(xe.value) == str(te.value)
    xgrad.set_num_threads(1)
    assert xgrad.get_num_threads() == 1
    xgrad.set_num_threads(n)


def test_grad_mode_decorators_with_and_without_parentheses():
    w = xgrad.ones(2, requires_grad=True)

    @xgrad.inference_mode
    def a(x):
        return x * 2

    @xgrad.inference_mode()
    def b(x):
        return x * 2

    @xgrad.no_grad
    def c(x):
        return x * 2

    assert not a(w).requires_grad and not b(w).requires_grad and not c(w).requires_grad
    assert a.__name__ == "a"
    with xgrad.inference_mode(False):
        assert (w * 2).requires_grad


def test_device_kind_flags_match_torch_on_cpu():
    """``x.is_cpu`` and PyTorch's other device-kind and layout flags (dcgan reads ``is_xpu``):
    every flag torch has on a CPU tensor exists and agrees."""
    t, x = torch.ones(2), xgrad.ones(2)
    flags = [n for n in dir(t) if n.startswith("is_") and not callable(getattr(t, n))]
    assert "is_xpu" in flags and "is_cpu" in flags
    for name in flags:
        assert getattr(x, name) is getattr(t, name), name
    assert x.to("reference").is_cpu is True
