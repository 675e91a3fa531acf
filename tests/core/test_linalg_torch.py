# ruff: noqa: B023  (the lambdas built in loops are called at once)
"""xgrad.linalg against torch.linalg: values, batching, gradients (torch's and finite
differences, first and second order), error types and texts, and the error of a backend
without the linalg group. Eigenvector and singular-vector signs are arbitrary, so those are
compared squared (a sign-invariant function)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import xgrad
from xgrad import registry
from xgrad.autograd import gradcheck, gradgradcheck
from xgrad.backends.numpy import NumpyBackend
from xgrad.registry import BackendSpec

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)
XL, TL = xgrad.linalg, torch.linalg


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _both(a, grad=True):
    return (xgrad.tensor(a, dtype=xgrad.float64, requires_grad=grad),
            torch.tensor(a, dtype=torch.float64, requires_grad=grad))


def _same(x, t, tol=1e-9):
    if isinstance(t, (tuple, list)):
        assert len(x) == len(t)
        for a, b in zip(x, t):
            _same(a, b, tol)
        return
    assert tuple(x.shape) == tuple(t.shape), (x.shape, t.shape)
    np.testing.assert_allclose(_np(x), _np(t), rtol=tol, atol=tol)


def _square(*batch, n=3):
    return rng.standard_normal(batch + (n, n)) * 0.4 + 2 * np.eye(n)


def _sym(*batch, n=3):
    a = rng.standard_normal(batch + (n, n))
    return a + np.swapaxes(a, -1, -2)


# ---- ops, each as (xgrad fn, torch fn, input arrays); outputs compared, then gradients ----
def _eigh(L, uplo="L"):
    return lambda a: (lambda r: (r[0], r[1] ** 2))(L.eigh(a, UPLO=uplo))


def _svd(L, full):
    return lambda a: (lambda r: (r[0] ** 2, r[1], r[2] ** 2))(L.svd(a, full_matrices=full))


def _spd_of(L, f):
    return lambda x: f(L)(x @ x.mT + 3 * _eye_like(x))


def _eye_like(x):
    if isinstance(x, xgrad.Tensor):
        return xgrad.eye(x.shape[-1], dtype=x.dtype, device=x.device)
    return torch.eye(x.shape[-1], dtype=x.dtype)


OPS = {
    "inv": (lambda L: L.inv, [_square(2)]),
    "inv.batch2": (lambda L: L.inv, [_square(2, 2)]),
    "det": (lambda L: L.det, [_square(2)]),
    "slogdet": (lambda L: (lambda a: tuple(L.slogdet(a))), [_square(3)]),
    "solve": (lambda L: L.solve, [_square(2), rng.standard_normal((2, 3, 2))]),
    "solve.vector": (lambda L: L.solve, [_square(), rng.standard_normal(3)]),
    "solve.batch_vectors": (lambda L: L.solve, [_square(2), rng.standard_normal((2, 3))]),
    "solve.broadcast": (lambda L: L.solve, [_square(2, 1), rng.standard_normal((3, 3, 2))]),
    "solve.right": (lambda L: (lambda a, b: L.solve(a, b, left=False)),
                    [_square(2), rng.standard_normal((2, 4, 3))]),
    "cholesky": (lambda L: _spd_of(L, lambda L: L.cholesky), [rng.standard_normal((2, 3, 3))]),
    "cholesky.upper": (lambda L: _spd_of(L, lambda L: (lambda a: L.cholesky(a, upper=True))),
                       [rng.standard_normal((3, 3))]),
    "qr.tall": (lambda L: (lambda a: tuple(L.qr(a))), [rng.standard_normal((2, 5, 3))]),
    "qr.wide": (lambda L: (lambda a: tuple(L.qr(a))), [rng.standard_normal((3, 5))]),
    "qr.complete": (lambda L: (lambda a: tuple(L.qr(a, mode="complete"))),
                    [rng.standard_normal((3, 4))]),
    "eigh": (lambda L: (lambda a: _eigh(L)(a + a.mT)), [rng.standard_normal((2, 4, 4))]),
    "eigh.U": (lambda L: (lambda a: _eigh(L, "U")(a + a.mT)), [rng.standard_normal((3, 3))]),
    "eigvalsh": (lambda L: (lambda a: L.eigvalsh(a + a.mT)), [rng.standard_normal((2, 3, 3))]),
    "svd.tall": (lambda L: _svd(L, False), [rng.standard_normal((2, 4, 3))]),
    "svd.wide": (lambda L: _svd(L, False), [rng.standard_normal((3, 5))]),
    "svd.full_square": (lambda L: _svd(L, True), [rng.standard_normal((3, 3))]),
    "svdvals": (lambda L: L.svdvals, [rng.standard_normal((2, 4, 3))]),
    "pinv": (lambda L: L.pinv, [rng.standard_normal((2, 4, 3))]),
    "pinv.hermitian": (lambda L: _spd_of(L, lambda L: (lambda a: L.pinv(a, hermitian=True))),
                       [rng.standard_normal((3, 3))]),
    "lstsq": (lambda L: (lambda a, b: L.lstsq(a, b).solution),
              [rng.standard_normal((5, 3)), rng.standard_normal((5, 2))]),
    "matrix_exp": (lambda L: L.matrix_exp, [rng.standard_normal((2, 3, 3))]),
    "matrix_exp.scaled": (lambda L: L.matrix_exp, [4 * rng.standard_normal((3, 3))]),
    "norm": (lambda L: L.norm, [rng.standard_normal((3, 4))]),
    "norm.nuc": (lambda L: (lambda a: L.norm(a, "nuc")), [rng.standard_normal((3, 4))]),
    "matrix_norm.2": (lambda L: (lambda a: L.matrix_norm(a, 2)), [rng.standard_normal((2, 3, 4))]),
    "matrix_norm.-2": (lambda L: (lambda a: L.matrix_norm(a, -2, dim=(0, 2), keepdim=True)),
                       [rng.standard_normal((3, 2, 4))]),
    "vector_norm.3": (lambda L: (lambda a: L.vector_norm(a, 3, dim=1)),
                      [rng.standard_normal((3, 4))]),
}


def _call(key, lib, args):
    L = XL if lib == "x" else TL
    return OPS[key][0](L)(*args)


@pytest.mark.parametrize("key", sorted(OPS))
def test_values_and_gradients_match_torch(key: str) -> None:
    arrays = OPS[key][1]
    pairs = [_both(a) for a in arrays]
    xs, ts = [p[0] for p in pairs], [p[1] for p in pairs]
    out_x, out_t = _call(key, "x", xs), _call(key, "t", ts)
    _same(out_x, out_t)
    outs_x = out_x if isinstance(out_x, tuple) else (out_x,)
    outs_t = out_t if isinstance(out_t, tuple) else (out_t,)
    ws = [rng.standard_normal(tuple(o.shape)) for o in outs_t]
    keep = [i for i, o in enumerate(outs_t) if o.requires_grad]
    lx = sum((outs_x[i] * xgrad.tensor(ws[i], dtype=xgrad.float64)).sum() for i in keep)
    lt = sum((outs_t[i] * torch.tensor(ws[i], dtype=torch.float64)).sum() for i in keep)
    gx = xgrad.autograd.grad(lx, xs)
    gt = torch.autograd.grad(lt, ts)
    _same(gx, gt, 1e-7)


@pytest.mark.parametrize("key", sorted(OPS))
def test_gradients_by_finite_differences_first_and_second_order(key: str) -> None:
    xs = [xgrad.tensor(a, dtype=xgrad.float64, requires_grad=True) for a in OPS[key][1]]
    op = OPS[key][0](XL)

    def f(*args):  # the differentiable outputs (slogdet's sign is not)
        out = op(*args)
        return tuple(o for o in out if o.requires_grad) if isinstance(out, tuple) else out

    assert gradcheck(f, xs)
    assert gradgradcheck(f, xs)


@pytest.mark.parametrize("key", ["inv", "det", "solve", "cholesky", "qr.tall", "eigh",
                                 "svd.tall", "pinv", "matrix_exp"])
def test_float32_matches_torch(key: str) -> None:
    arrays = OPS[key][1]
    xs = [xgrad.tensor(a, dtype=xgrad.float32) for a in arrays]
    ts = [torch.tensor(a, dtype=torch.float32) for a in arrays]
    out = _call(key, "x", xs)
    for o in out if isinstance(out, tuple) else (out,):
        assert o.dtype is xgrad.float32
    _same(out, _call(key, "t", ts), 2e-4)


def test_named_results_and_modes_match_torch() -> None:
    a = rng.standard_normal((2, 5, 3))
    x, t = _both(a, grad=False)
    for mode in ("reduced", "complete", "r"):
        _same(tuple(XL.qr(x, mode=mode)), tuple(torch.linalg.qr(t, mode=mode)))
    r = XL.qr(x)
    assert r.Q is r[0] and r.R is r[1]
    u, s, vh = XL.svd(x)  # full_matrices=True by default: U is 5 x 5
    tu, ts_, tvh = torch.linalg.svd(t)
    assert tuple(u.shape) == tuple(tu.shape) == (2, 5, 5)
    _same(s, ts_)
    rec = (u[..., :3] * s.unsqueeze(-2)) @ vh
    _same(rec, t)
    e = XL.eigh(xgrad.tensor(_sym(2), dtype=xgrad.float64))
    assert e.eigenvalues is e[0] and e.eigenvectors is e[1]
    sd = XL.slogdet(x[:, :3])
    assert sd.sign is sd[0] and sd.logabsdet is sd[1]


@pytest.mark.parametrize("driver", [None, "gels", "gelsy", "gelsd", "gelss"])
def test_lstsq_fields_follow_torch_per_driver(driver) -> None:
    a, b = rng.standard_normal((2, 6, 3)), rng.standard_normal((2, 6, 2))
    (xa, ta), (xb, tb) = _both(a, False), _both(b, False)
    rx, rt = XL.lstsq(xa, xb, driver=driver), TL.lstsq(ta, tb, driver=driver)
    fields = ("solution", "residuals", "rank", "singular_values")
    assert rx._fields == fields
    for fx, ft in ((getattr(rx, f), getattr(rt, f)) for f in fields):
        assert tuple(fx.shape) == tuple(ft.shape)
        if ft.numel():
            np.testing.assert_allclose(_np(fx), _np(ft), rtol=1e-8, atol=1e-10)
    vx = XL.lstsq(xa[0], xb[0, :, 0]).solution
    _same(vx, TL.lstsq(ta[0], tb[0, :, 0]).solution)


def test_rank_deficient_pinv_and_lstsq_rank() -> None:
    a = np.outer(rng.standard_normal(4), rng.standard_normal(3))
    x, t = _both(a, False)
    _same(XL.pinv(x), TL.pinv(t), 1e-8)
    assert int(XL.lstsq(x, x).rank) == int(TL.lstsq(t, t).rank) == 1
    _same(XL.pinv(x, atol=0.5, rtol=0.1), TL.pinv(t, atol=0.5, rtol=0.1))


@pytest.mark.parametrize("ord_dim", [(None, None), (2, None), (1, 0), (math.inf, 1), (-math.inf, 1),
                                     (0, 1), (0.5, -1), (-1, 1), ("fro", (0, 1)),
                                     ("nuc", (1, 0)), (1, (0, 1)), (-1, (0, 1)),
                                     (math.inf, (1, 0)), (-math.inf, (0, 1)), (2, (0, 1)),
                                     (-2, (1, 0))])
@pytest.mark.parametrize("keepdim", [False, True])
def test_norm_orders_dims_and_keepdim_match_torch(ord_dim, keepdim) -> None:
    ord_, dim = ord_dim
    a = rng.standard_normal((3, 4))
    x, t = _both(a, False)
    _same(XL.norm(x, ord_, dim, keepdim), TL.norm(t, ord_, dim, keepdim))
    if not isinstance(ord_, str) and (dim is None or isinstance(dim, int)):
        _same(XL.vector_norm(x, 2 if ord_ is None else ord_, dim, keepdim),
              TL.vector_norm(t, 2 if ord_ is None else ord_, dim, keepdim))


def test_vector_norm_dtype_empty_and_zero_gradient() -> None:
    x = xgrad.ones(2, 3)
    assert XL.vector_norm(x, dtype=xgrad.float64).dtype is xgrad.float64
    assert float(XL.vector_norm(xgrad.ones(0))) == float(TL.vector_norm(torch.ones(0))) == 0.0
    z = xgrad.zeros(3, requires_grad=True)
    XL.vector_norm(z).backward()
    assert z.grad.tolist() == [0.0, 0.0, 0.0]


def test_tensor_methods_and_top_level_functions() -> None:
    a = _square()
    x, t = _both(a, False)
    _same(x.inverse(), t.inverse())
    _same(xgrad.inverse(x), torch.inverse(t))
    _same(x.det(), t.det())
    _same(tuple(x.slogdet()), tuple(t.slogdet()))
    _same(xgrad.logdet(x), torch.logdet(t))
    _same(x.pinverse(), t.pinverse())
    _same(x.matrix_exp(), t.matrix_exp())
    neg = np.diag([-1.0, 2.0, 3.0])
    assert math.isnan(float(xgrad.logdet(xgrad.tensor(neg)))) and \
        math.isnan(float(torch.logdet(torch.tensor(neg))))


def test_singular_input_slogdet_and_det() -> None:
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    x, t = _both(a, False)
    _same(tuple(XL.slogdet(x)), tuple(TL.slogdet(t)))
    _same(XL.det(x), TL.det(t))


def _bad_calls(L, T):
    sing = T([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    eye = T([[1.0, 0.0], [0.0, 1.0]])
    batch = T([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, -1.0]]])
    return [
        lambda: L.inv(sing),
        lambda: L.inv(T([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
                          [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]]])),
        lambda: L.inv(T([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])),
        lambda: L.inv(T([1.0, 2.0])),
        lambda: L.inv(T([[1, 0], [0, 1]], int_=True)),
        lambda: L.inv(T([[1.0, 0.0], [0.0, 1.0]], half=True)),
        lambda: L.inv([[1.0]]),
        lambda: L.solve(sing, T([1.0, 2.0, 3.0])),
        lambda: L.solve(eye, T([[1.0], [2.0], [3.0]])),
        lambda: L.solve(eye, T([1.0, 2.0]), left=False),
        lambda: L.solve(eye, T([1.0, 2.0], double=True)),
        lambda: L.cholesky(T([[4.0, 2.0], [2.0, 1.0]])),
        lambda: L.cholesky(batch),
        lambda: L.eigh(eye, UPLO="X"),
        lambda: L.qr(eye, mode="x"),
        lambda: L.svd(eye, driver="gesvd"),
        lambda: L.det(T([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])),
        lambda: L.qr(T([1.0, 2.0])),
        lambda: L.matrix_exp(T([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])),
        lambda: L.matrix_norm(eye, ord=3),
        lambda: L.matrix_norm(eye, dim=(0, 0)),
        lambda: L.matrix_norm(T([1.0, 2.0])),
        lambda: L.norm(T([[[1.0]]]), ord=2),
        lambda: L.norm(eye, dim=(0, 1, 0)),
        lambda: L.vector_norm(T([1, 2], int_=True)),
        lambda: L.vector_norm(T([1.0, 2.0]), dim=(0, 0)),
        lambda: L.vector_norm(T([[]]), ord=math.inf),
        lambda: L.lstsq(eye, T([[1.0], [2.0], [3.0]])),
        lambda: L.lstsq(eye, eye, driver="foo"),
    ]


def _maker(lib):
    def make(v, int_=False, half=False, double=False):
        if lib == "x":
            dt = xgrad.int64 if int_ else xgrad.float16 if half else \
                xgrad.float64 if double else xgrad.float32
            return xgrad.tensor(v, dtype=dt)
        dt = torch.int64 if int_ else torch.float16 if half else \
            torch.float64 if double else torch.float32
        return torch.tensor(v, dtype=dt)
    return make


def test_errors_match_torch() -> None:
    xs, ts = _bad_calls(XL, _maker("x")), _bad_calls(TL, _maker("t"))
    for i, (fx, ft) in enumerate(zip(xs, ts)):
        with pytest.raises(Exception) as et:
            ft()
        with pytest.raises(Exception) as ex:
            fx()
        assert str(ex.value).split("\n")[0] == str(et.value).split("\n")[0], i
        assert isinstance(ex.value, RuntimeError) == isinstance(et.value, RuntimeError), i
        assert isinstance(ex.value, TypeError) == isinstance(et.value, TypeError), i
    with pytest.raises(XL.LinAlgError):
        XL.inv(xgrad.zeros(2, 2))


def test_backward_errors_match_torch() -> None:
    x = xgrad.randn(4, 3, dtype=xgrad.float64, requires_grad=True)
    t = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    for mode in ("r", "complete"):
        with pytest.raises(RuntimeError) as et:
            torch.linalg.qr(t, mode=mode).R.sum().backward()
        with pytest.raises(RuntimeError) as ex:
            XL.qr(x, mode=mode).R.sum().backward()
        assert str(ex.value) == str(et.value)


def test_dropped_outputs_still_differentiate_twice() -> None:
    """svdvals and eigvalsh keep only one output of their node; the rule rebuilds the
    others (with history under create_graph), so second derivatives stay right."""
    a = rng.standard_normal((3, 3))
    x, t = _both(a)
    gx, = xgrad.autograd.grad(XL.svdvals(x).sum() + XL.eigvalsh(x @ x.mT).sum(), x,
                              create_graph=True)
    gt, = torch.autograd.grad(TL.svdvals(t).sum() + TL.eigvalsh(t @ t.mT).sum(), t,
                              create_graph=True)
    _same(gx, gt, 1e-8)
    _same(xgrad.autograd.grad((gx * gx).sum(), x), torch.autograd.grad((gt * gt).sum(), t), 1e-7)


def test_backend_without_the_linalg_group_names_op_and_backend() -> None:
    class Bare(NumpyBackend):
        name = device = "nolinalg_test"
        linalg_ops = frozenset({"linalg_det"})

    class Plugin:
        @xgrad.hookimpl
        def xgrad_register_backends(self) -> list[BackendSpec]:
            return [BackendSpec("nolinalg_test", lambda index: Bare())]

    with registry.REGISTRY.isolated():
        registry.register_plugin(Plugin())
        x = xgrad.tensor([[2.0, 1.0], [1.0, 3.0]], device="nolinalg_test")
        assert float(XL.det(x)) == pytest.approx(5.0)
        with pytest.raises(NotImplementedError, match=r"^linalg\.svd is not supported by backend "
                           r"'nolinalg_test' \(it does not implement the optional linalg "
                           r"primitive 'linalg_svd'\)$"):
            XL.svd(x)
        with pytest.raises(NotImplementedError, match="linalg.inv is not supported"):
            x.inverse()
        assert float(XL.matrix_norm(x, 1)) == 4.0  # derived without the group


@pytest.mark.parametrize("key", ["inv", "solve", "det", "cholesky", "qr.wide", "eigh",
                                 "svd.tall", "lstsq"])
def test_reference_backend_agrees_with_numpy(key: str) -> None:
    arrays = OPS[key][1]
    f = OPS[key][0](XL)
    got = f(*[xgrad.tensor(a, dtype=xgrad.float64, device="reference") for a in arrays])
    want = f(*[xgrad.tensor(a, dtype=xgrad.float64) for a in arrays])
    for g, w in zip(got if isinstance(got, tuple) else (got,),
                    want if isinstance(want, tuple) else (want,)):
        np.testing.assert_allclose(g.to("numpy").numpy(), w.numpy(), rtol=1e-9, atol=1e-10)


def test_in_place_change_of_the_input_after_the_op_follows_torch() -> None:
    """inv's gradient reads only its output (no error, as torch); det's reads the input (an
    error, as torch)."""
    for lib in ("x", "t"):
        mk = (lambda: xgrad.tensor(_square(), requires_grad=True)) if lib == "x" else \
            (lambda: torch.tensor(_square(), requires_grad=True))
        L = XL if lib == "x" else TL
        a = mk()
        b = a * 1.0
        y = L.inv(b)
        with (xgrad.no_grad() if lib == "x" else torch.no_grad()):
            b.add_(1.0)
        y.sum().backward()
        assert a.grad is not None
        a = mk()
        b = a * 1.0
        d = L.det(b)
        with (xgrad.no_grad() if lib == "x" else torch.no_grad()):
            b.add_(1.0)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            d.backward()
