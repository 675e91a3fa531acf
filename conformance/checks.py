"""The per-case checks: forward, gradients, second order, reentrancy, zero gradient, input
mutation, fused vs decomposed, forward on special values. Each raises
:class:`ConformanceFailure` with a reproducer."""
from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .repro import reproducer
from .sampling import build, draw, flat_tensors, in_budget, round_through, seed_for, shape_budget
from .spec import OpCase, T
from .special import ZERO_SIGN_FREE, special_kind, special_samples
from .tolerances import fd_eps, tolerance

__all__ = ["ConformanceFailure", "ConformanceSkip", "Run", "CHECKS"]

_FULL_MAX_IN = 16
_FULL_MAX_OUT = 64
_DIAG_MAX = 20000


class ConformanceFailure(AssertionError):
    """A backend disagreed with the reference or with finite differences."""


class ConformanceSkip(Exception):
    """The check does not apply (e.g. the backend has no fused kernel for the op)."""


@dataclass
class Run:
    """One case checked on one backend in one dtype."""

    case: OpCase
    backend: str
    dtype: str
    mode: str = "auto"
    tol_hook: Callable[[str], Any] | None = None
    be: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        from xgrad.backends import get_backend
        from xgrad.dtypes import float64

        self.be = get_backend(self.backend)
        self.has64 = float64 in self.be.dtypes
        self.num_dtype = "float64" if self.has64 else "float32"

    def tol(self, check: str) -> tuple[float, float]:
        if self.tol_hook is not None:
            got = self.tol_hook(check)
            if got is not None:
                return tuple(got)
        for key in (f"{check}:{self.dtype}", check):  # a dtype-specific override first
            if key in self.case.tol:
                return self.case.tol[key]
        if check == "special":  # finite results on special inputs: the forward tolerance
            return self.tol("forward")
        return tolerance(check, self.dtype, self.has64)

    def samples(self) -> Iterator[tuple[int, tuple, list]]:
        inputs = list(enumerate(self.case.inputs))
        if shape_budget():  # the samples within the budget; the first one if none is
            inputs = [p for p in inputs if in_budget(p[1])] or inputs[:1]
        for i, sample in inputs:
            rng = np.random.default_rng(seed_for(self.case.name, i, self.dtype))
            yield i, sample, round_through(draw(self.case, sample, rng), sample, self.dtype)

    def rng(self, i: int, what: str) -> np.random.Generator:
        return np.random.default_rng(seed_for(self.case.name, i, self.dtype, what))

    def call(self, sample: tuple, vals: list, device: str, dtype: str, grad: bool) -> tuple:
        args, leaves = build(sample, vals, device, dtype, grad)
        return flat_tensors(self.case.callable(len(sample))(*args)), leaves

    def fail(self, i: int, sample: tuple, vals: list, check: str, msg: str) -> None:
        raise ConformanceFailure(
            f"{self.case.name} [{check}] on backend {self.backend!r}, dtype {self.dtype}, "
            f"sample {i} ({_describe(sample)}): {msg}\n\n"
            f"--- reproducer ---\n{reproducer(self.case, sample, vals, self.backend, self.dtype, check)}"
            "\n--- end reproducer ---")


def _describe(sample: tuple) -> str:
    parts = []
    for s in sample:
        if isinstance(s, T):
            parts.append(f"T{list(s.shape)}" + (f" {s.view}" if s.view else ""))
        else:
            parts.append(type(s).__name__ if hasattr(s, "__dataclass_fields__") else repr(s))
    return ", ".join(parts)


def _host(t: Any) -> np.ndarray:
    return np.array(t.numpy(), copy=True)


def _mismatch_rows(got: np.ndarray, want: np.ndarray, bad: np.ndarray, limit: int = 10) -> str:
    rows = []
    got, want, bad = np.atleast_1d(got), np.atleast_1d(want), np.atleast_1d(bad)
    for idx in list(zip(*np.nonzero(bad)))[:limit]:
        g, w = got[idx], want[idx]
        rows.append(f"    at {tuple(int(k) for k in idx)}: got {g!r}, expected {w!r}, "
                    f"diff {abs(float(g) - float(w)):.3g}")
    return "\n".join(rows)


# ---- forward ------------------------------------------------------------------------------
def check_forward(run: Run) -> None:
    """Values vs the reference backend's float64 result; dtype and shape vs the reference."""
    rtol, atol = run.tol("forward")
    is_ref = run.be.name == "reference"
    for i, sample, vals in run.samples():
        got, _ = run.call(sample, vals, run.backend, run.dtype, False)
        ref_d = got if is_ref else run.call(sample, vals, "reference", run.dtype, False)[0]
        ref64 = ref_d if run.dtype == "float64" else run.call(sample, vals, "reference", "float64",
                                                              False)[0]
        if len(got) != len(ref_d):
            run.fail(i, sample, vals, "forward", f"{len(got)} outputs, the reference gives {len(ref_d)}")
        for k, (g, rd, r64) in enumerate(zip(got, ref_d, ref64)):
            if tuple(g.shape) != tuple(rd.shape):
                run.fail(i, sample, vals, "forward", f"output {k} has shape {list(g.shape)}, the "
                         f"reference gives {list(rd.shape)}")
            if g.dtype != rd.dtype:
                run.fail(i, sample, vals, "forward", f"output {k} has dtype {g.dtype.name}, the "
                         f"reference gives {rd.dtype.name}")
            gv, wv = _host(g), _host(r64)
            if g.dtype.is_floating_point:
                bad = ~np.isclose(gv.astype(np.float64), wv.astype(np.float64), rtol=rtol, atol=atol,
                                  equal_nan=True)
            else:
                bad = gv != wv.astype(gv.dtype)
            if np.any(bad):
                run.fail(i, sample, vals, "forward",
                         f"output {k} ({g.dtype.name} {list(g.shape)}) differs from the reference in "
                         f"{int(bad.sum())} of {bad.size} elements (rtol={rtol}, atol={atol}):\n"
                         + _mismatch_rows(gv, wv, bad))


# ---- gradients ------------------------------------------------------------------------------
def _grad_positions(sample: tuple) -> list[int]:
    return [j for j, s in enumerate(sample) if isinstance(s, T) and s.grad]


def _tensor(arr: np.ndarray, device: str, dtype: str) -> Any:
    import xgrad
    from xgrad.dtypes import dtype_from_name

    return xgrad.tensor(arr.astype(dtype), dtype=dtype_from_name(dtype), device=device)


def _first_order(run: Run, sample: tuple, vals: list, dtype: str, vhost: list | str | None,
                 rng: np.random.Generator | None = None, **kw: Any) -> tuple:
    """Forward + ``autograd.grad`` of ``sum_k <v_k, out_k>``: ``(outs, leaves, mask, vhost,
    grads)``; ``vhost`` is drawn from ``rng`` when ``None``."""
    import xgrad

    outs, leaves = run.call(sample, vals, run.backend, dtype, True)
    mask = [bool(o.requires_grad) for o in outs]
    if isinstance(vhost, str):  # "zeros"
        vhost = [np.zeros(tuple(o.shape)) if m else None for o, m in zip(outs, mask)]
    elif vhost is None:
        vhost = [rng.standard_normal(tuple(o.shape)).astype(dtype).astype(np.float64) if m else None
                 for o, m in zip(outs, mask)]
    pos = _grad_positions(sample)
    diff = [o for o, m in zip(outs, mask) if m]
    if not diff:
        return outs, leaves, mask, vhost, [None] * len(pos)
    gos = [_tensor(v, run.backend, dtype) for v, m in zip(vhost, mask) if m]
    grads = xgrad.autograd.grad(diff, [leaves[j] for j in pos], gos, allow_unused=True, **kw)
    return outs, leaves, mask, vhost, list(grads)


def _loss(run: Run, sample: tuple, vals: list, mask: list, vhost: list) -> float:
    outs, _ = run.call(sample, vals, run.backend, run.num_dtype, False)
    return float(sum((_host(o).astype(np.float64) * v).sum() for o, m, v in zip(outs, mask, vhost) if m))


def _grad_arrays(grads: list, vals: list, pos: list) -> list[np.ndarray]:
    return [np.zeros(vals[j].shape) if g is None else _host(g).astype(np.float64)
            for g, j in zip(grads, pos)]


def _check_grad_meta(run: Run, i: int, sample: tuple, vals: list, leaves: list, grads: list,
                     pos: list, check: str) -> None:
    for g, j in zip(grads, pos):
        if g is None:
            continue
        if tuple(g.shape) != tuple(leaves[j].shape) or g.dtype != leaves[j].dtype:
            run.fail(i, sample, vals, check, f"gradient of input {j} has shape {list(g.shape)} and "
                     f"dtype {g.dtype.name}; expected {list(leaves[j].shape)} {leaves[j].dtype.name}")


def _shifted(vals: list, pos: list, dirs: dict, h: float, dtype: str) -> list:
    out = list(vals)
    for j in pos:
        out[j] = (vals[j] + h * dirs[j]).astype(dtype).astype(np.float64)
    return out


def _numeric_grad(fun: Callable[[list], float], vals: list, pos: list, eps: float,
                  dtype: str) -> list[np.ndarray]:
    """Central differences of a scalar function of the inputs at ``pos``, one array each."""
    from xgrad.autograd.gradcheck import numeric_jacobian

    row = numeric_jacobian(lambda x: [np.asarray(fun(x))], vals, pos, eps, dtype=dtype)[0]
    out, start = [], 0
    for j in pos:
        out.append(row[start:start + vals[j].size].reshape(vals[j].shape))
        start += vals[j].size
    return out


def _jacobian_report(run: Run, sample: tuple, vals: list, pos: list, mask: list,
                     rtol: float, atol: float) -> tuple[bool, str]:
    from xgrad.autograd.gradcheck import jacobian_mismatch, numeric_jacobian, reverse_jacobian

    eps = fd_eps(run.num_dtype)

    def on_host(x: list) -> list[np.ndarray]:
        outs, _ = run.call(sample, x, run.backend, run.num_dtype, False)
        return [_host(o) for o, m in zip(outs, mask) if m]

    num = numeric_jacobian(on_host, vals, pos, eps, dtype=run.num_dtype)
    outs, leaves = run.call(sample, vals, run.backend, run.dtype, True)
    ana = reverse_jacobian([o for o in outs if o.requires_grad], [leaves[j] for j in pos])
    msg = jacobian_mismatch(num, ana, rtol=rtol, atol=atol,
                            columns=[(j, e) for j in pos for e in range(vals[j].size)])
    if msg is None:
        return True, ""
    inputs = "\n".join(f"    input {j}: {vals[j].tolist()}" for j in pos)
    return False, f"{msg}\n  eps={eps}, numerics in {run.num_dtype}; inputs:\n{inputs}"


def check_grad(run: Run) -> None:
    """First-order gradients vs central finite differences."""
    rtol, atol = run.tol("grad")
    eps = fd_eps(run.num_dtype)
    for i, sample, vals in run.samples():
        pos = _grad_positions(sample)
        outs, leaves, mask, vhost, grads = _first_order(run, sample, vals, run.dtype, None,
                                                        run.rng(i, "v"))
        if not any(mask):
            run.fail(i, sample, vals, "grad", "no output requires grad although the inputs do")
        _check_grad_meta(run, i, sample, vals, leaves, grads, pos, "grad")
        n_in = sum(vals[j].size for j in pos)
        n_out = sum(o.numel() for o, m in zip(outs, mask) if m)
        full = run.mode == "full" or (run.mode == "auto" and n_in <= _FULL_MAX_IN
                                      and n_out <= _FULL_MAX_OUT)
        if full:
            ok, msg = _jacobian_report(run, sample, vals, pos, mask, rtol, atol)
            if not ok:
                run.fail(i, sample, vals, "grad", msg)
            continue
        ana = _grad_arrays(grads, vals, pos)
        r = run.rng(i, "u")
        dirs = {j: r.standard_normal(vals[j].shape) for j in pos}
        norm = np.sqrt(sum(float((d * d).sum()) for d in dirs.values())) or 1.0
        dirs = {j: d / norm for j, d in dirs.items()}
        xp = _shifted(vals, pos, dirs, eps, run.num_dtype)
        xm = _shifted(vals, pos, dirs, -eps, run.num_dtype)
        numeric = (_loss(run, sample, xp, mask, vhost) - _loss(run, sample, xm, mask, vhost)) / (2 * eps)
        analytic = sum(float((a * (xp[j] - xm[j])).sum()) for a, j in zip(ana, pos)) / (2 * eps)
        gnorm = np.sqrt(sum(float((a * a).sum()) for a in ana))
        if abs(numeric - analytic) <= atol * np.sqrt(max(n_in, 1)) + rtol * gnorm:
            continue
        head = (f"directional derivative <grad, u> for a random unit u: numeric {numeric:.8g}, "
                f"analytic {analytic:.8g} (eps={eps}, rtol={rtol}, atol={atol})")
        if n_in * max(n_out, 1) <= _DIAG_MAX:
            _, msg = _jacobian_report(run, sample, vals, pos, mask, rtol, atol)
            head += "\n" + msg
        run.fail(i, sample, vals, "grad", head)


def check_gradgrad(run: Run) -> None:
    """Second order: d/dx <w, grad(x; v)> vs finite differences of the first-order gradient."""
    import xgrad

    rtol, atol = run.tol("gradgrad")
    eps = fd_eps(run.num_dtype)
    for i, sample, vals in run.samples():
        pos = _grad_positions(sample)
        outs, leaves, mask, vhost, grads = _first_order(run, sample, vals, run.dtype, None,
                                                        run.rng(i, "v"), create_graph=True)
        r = run.rng(i, "w")
        whost = [r.standard_normal(vals[j].shape) for j in pos]
        terms = [(g * _tensor(w, run.backend, run.dtype)).sum() for g, w in zip(grads, whost)
                 if g is not None and g.requires_grad]
        ana = [np.zeros(vals[j].shape) for j in pos]
        if terms:
            h = terms[0]
            for t in terms[1:]:
                h = h + t
            g2 = xgrad.autograd.grad([h], [leaves[j] for j in pos], allow_unused=True)
            _check_grad_meta(run, i, sample, vals, leaves, list(g2), pos, "gradgrad")
            ana = _grad_arrays(list(g2), vals, pos)

        def first(x: list, sample: tuple = sample, vhost: list = vhost, pos: list = pos,
                  whost: list = whost) -> float:
            gs = _first_order(run, sample, x, run.num_dtype, vhost)[4]
            return float(sum((a * w).sum() for a, w in zip(_grad_arrays(gs, x, pos), whost)))

        n_in = sum(vals[j].size for j in pos)
        if run.mode == "full" or (run.mode == "auto" and n_in <= _FULL_MAX_IN):
            num = _numeric_grad(first, vals, pos, eps, run.num_dtype)
            for a, n, j in zip(ana, num, pos):
                bad = ~np.isclose(a, n, rtol=rtol, atol=atol, equal_nan=True)
                if bad.any():
                    run.fail(i, sample, vals, "gradgrad",
                             f"second-order gradient of input {j}: analytic vs numeric "
                             f"(eps={eps}, rtol={rtol}, atol={atol}) differ in {int(bad.sum())} "
                             f"of {bad.size} elements:\n" + _mismatch_rows(a, n, bad))
            continue
        dirs = {j: r.standard_normal(vals[j].shape) for j in pos}
        norm = np.sqrt(sum(float((d * d).sum()) for d in dirs.values())) or 1.0
        dirs = {j: d / norm for j, d in dirs.items()}
        xp = _shifted(vals, pos, dirs, eps, run.num_dtype)
        xm = _shifted(vals, pos, dirs, -eps, run.num_dtype)
        numeric = (first(xp) - first(xm)) / (2 * eps)
        analytic = sum(float((a * (xp[j] - xm[j])).sum()) for a, j in zip(ana, pos)) / (2 * eps)
        gnorm = np.sqrt(sum(float((a * a).sum()) for a in ana))
        if abs(numeric - analytic) > atol * np.sqrt(max(n_in, 1)) + rtol * gnorm:
            num = _numeric_grad(first, vals, pos, eps, run.num_dtype) if n_in <= 256 else None
            detail = ""
            if num is not None:
                for a, n, j in zip(ana, num, pos):
                    bad = ~np.isclose(a, n, rtol=rtol, atol=atol, equal_nan=True)
                    if bad.any():
                        detail += f"\n  input {j}:\n" + _mismatch_rows(a, n, bad)
            run.fail(i, sample, vals, "gradgrad",
                     f"directional second derivative: numeric {numeric:.8g}, analytic "
                     f"{analytic:.8g} (eps={eps}, rtol={rtol}, atol={atol}){detail}")


# ---- backward-pass properties ----------------------------------------------------------------
def check_reentrant(run: Run) -> None:
    """Two backward passes over one graph give bit-identical gradients."""
    import xgrad

    for i, sample, vals in run.samples():
        pos = _grad_positions(sample)
        outs, leaves, mask, vhost, _ = _first_order(run, sample, vals, run.dtype, None,
                                                    run.rng(i, "v"), retain_graph=True)
        diff = [o for o, m in zip(outs, mask) if m]
        gos = [_tensor(v, run.backend, run.dtype) for v, m in zip(vhost, mask) if m]
        first = second = None
        for rep in range(2):
            gs = xgrad.autograd.grad(diff, [leaves[j] for j in pos], gos, retain_graph=True,
                                     allow_unused=True)
            arrs = [None if g is None else _host(g) for g in gs]
            if rep == 0:
                first = arrs
            else:
                second = arrs
        for a, b, j in zip(first, second, pos):
            same = (a is None and b is None) or (
                a is not None and b is not None and a.shape == b.shape
                and np.array_equal(a, b, equal_nan=True))
            if not same:
                run.fail(i, sample, vals, "reentrant",
                         f"two backward passes gave different gradients for input {j}:\n"
                         f"  first:  {a}\n  second: {b}")


def check_zero_grad(run: Run) -> None:
    """A zero upstream gradient gives exact zeros of each input's shape and dtype."""
    for i, sample, vals in run.samples():
        pos = _grad_positions(sample)
        _, leaves, mask, _, grads = _first_order(run, sample, vals, run.dtype, "zeros")
        _check_grad_meta(run, i, sample, vals, leaves, grads, pos, "zero_grad")
        for g, j in zip(grads, pos):
            if g is None:
                continue
            arr = _host(g)
            if not np.all(arr == 0):
                run.fail(i, sample, vals, "zero_grad", f"a zero upstream gradient gave a "
                         f"non-zero gradient for input {j}: {arr}")


def check_no_mutation(run: Run) -> None:
    """Forward and backward leave every input bit-identical."""
    import xgrad

    for i, sample, vals in run.samples():
        args, leaves = build(sample, vals, run.backend, run.dtype, run.case.grad)
        before = [None if t is None else _host(t) for t in leaves]
        out = flat_tensors(run.case.callable(len(sample))(*args))
        after_fwd = [None if t is None else _host(t) for t in leaves]
        diff = [o for o in out if o.requires_grad]
        pos = [j for j in _grad_positions(sample)] if run.case.grad else []
        after_bwd = after_fwd
        if diff and pos:
            xgrad.autograd.grad(diff, [leaves[j] for j in pos], [xgrad.ones_like(o) for o in diff],
                                allow_unused=True)
            after_bwd = [None if t is None else _host(t) for t in leaves]
        for when, snap in (("forward", after_fwd), ("backward", after_bwd)):
            for j, (b, a) in enumerate(zip(before, snap)):
                if b is not None and not np.array_equal(b, a, equal_nan=True):
                    run.fail(i, sample, vals, "no_mutation", f"the {when} pass modified input {j}:"
                             f"\n  before: {b}\n  after:  {a}")
        _check_outputs_own_storage(run, i, sample, vals, leaves, out, after_bwd)


def _check_outputs_own_storage(run: Run, i: int, sample: tuple, vals: list, leaves: list,
                               out: list, before: list) -> None:
    """A result that is not a view owns its storage: writing into it in place (untracked)
    leaves every input unchanged. Fails a primitive that returns (part of) an input's array
    where the contract asks for a new one, e.g. a cast to the same dtype or a one-piece
    concatenate returning its input, a sum over no axes returning its operand."""
    import xgrad

    # the frontend's own aliases (views, detach) report the storage of their base
    shared = {t.untyped_storage().data_ptr() for t in leaves if t is not None}
    written = []
    with xgrad.no_grad():
        for o in out:
            if o.untyped_storage().data_ptr() in shared or o.numel() == 0:
                continue
            if o.dtype == xgrad.bool:
                o.logical_not_()
            else:
                o.add_(1)
            written.append(o)
    if not written:
        return
    for j, (b, t) in enumerate(zip(before, leaves)):
        if b is not None and not np.array_equal(b, _host(t), equal_nan=True):
            run.fail(i, sample, vals, "no_mutation", f"a result of the op shares storage with "
                     f"input {j}: writing into the result in place changed the input:\n"
                     f"  before: {b}\n  after:  {_host(t)}")


# ---- fused vs decomposed -------------------------------------------------------------------
@contextlib.contextmanager
def _decomposed(be: Any) -> Iterator[None]:
    """Every fused op runs its decomposition, including ops that ask ``backend.has``."""
    from xgrad.ops.fused import decomposed_only

    had = "has" in getattr(be, "__dict__", {})
    prev = be.__dict__.get("has") if had else None
    be.has = lambda op: False
    try:
        with decomposed_only():
            yield
    finally:
        if had:
            be.has = prev
        else:
            del be.has


def check_fused(run: Run) -> None:
    """The backend's fused kernel agrees with the frontend decomposition (values, grads)."""
    name = run.case.fused
    if not run.be.has(name):
        raise ConformanceSkip(f"backend {run.be.name!r} has no fused {name!r} kernel (the "
                              "decomposition is what the other checks test)")
    rtol, atol = run.tol("fused")
    grtol, gatol = run.tol("grad")
    for i, sample, vals in run.samples():
        pos = _grad_positions(sample)
        res = []
        for decompose in (False, True):
            ctx = _decomposed(run.be) if decompose else contextlib.nullcontext()
            with ctx:
                if run.case.grad:
                    outs, _, mask, vhost, grads = _first_order(run, sample, vals, run.dtype, None,
                                                               run.rng(i, "v"))
                    res.append(([_host(o) for o in outs], _grad_arrays(grads, vals, pos)))
                else:
                    outs, _ = run.call(sample, vals, run.backend, run.dtype, False)
                    res.append(([_host(o) for o in outs], []))
        (fo, fg), (do, dg) = res
        for what, a_list, b_list, rt, at in (("output", fo, do, rtol, atol),
                                             ("gradient", fg, dg, grtol, gatol)):
            for k, (a, b) in enumerate(zip(a_list, b_list)):
                if a.shape != b.shape:
                    run.fail(i, sample, vals, "fused", f"fused {what} {k} has shape {a.shape}, the "
                             f"decomposition {b.shape}")
                bad = ~np.isclose(a.astype(np.float64), b.astype(np.float64), rtol=rt, atol=at,
                                  equal_nan=True)
                if bad.any():
                    run.fail(i, sample, vals, "fused",
                             f"fused {name!r} kernel {what} {k} differs from the decomposition in "
                             f"{int(bad.sum())} of {bad.size} elements (rtol={rt}, atol={at}); "
                             "got = fused, expected = decomposition:\n" + _mismatch_rows(a, b, bad))


# ---- special values --------------------------------------------------------------------------
@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Overflow / invalid-value warnings are expected on special inputs."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def _special_kinds(g: np.ndarray, w: np.ndarray) -> str:
    if np.isnan(w):
        return "expected NaN"
    if np.isnan(g):
        return "got NaN"
    if np.isinf(w) or np.isinf(g):
        return "infinity differs"
    return "finite value differs"


def _special_mismatch(got: np.ndarray, want: np.ndarray, dtype: str, rtol: float, atol: float,
                      signed_zero: bool) -> np.ndarray:
    """Where ``got`` differs from the reference ``want``: ``isclose`` with NaN equal, and
    besides, a tiny nonzero reference value must be matched relatively (``rtol`` plus four
    ulps of ``dtype``; ``atol`` alone would accept 0 for ``log1p(1e-10)``), and with
    ``signed_zero`` a zero must carry the reference's sign bit (``abs(-0.0)`` is ``+0.0``)."""
    bad = ~np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    finite = np.isfinite(got) & np.isfinite(want)
    tiny = finite & (want != 0) & (np.abs(want) < atol)
    g, w = np.where(finite, got, 0.0), np.where(finite, want, 0.0)
    ulp = np.spacing(np.abs(w).astype(dtype)).astype(np.float64)
    bad |= tiny & (np.abs(g - w) > rtol * np.abs(w) + 4 * ulp)
    if signed_zero:
        bad |= finite & (got == 0) & (want == 0) & (np.signbit(got) != np.signbit(want))
    return bad


def check_special(run: Run) -> None:
    """Forward values on ±inf, NaN, ±0, huge and tiny inputs vs the reference backend in the
    same dtype: NaN where the reference has NaN, infinities of the same sign, finite values
    within the forward tolerance. Skipped when the reference itself raises on them."""
    rtol, atol = run.tol("special")
    is_ref = run.be.name == "reference"
    samples = special_samples(run.case, run.dtype)
    if not samples:
        raise ConformanceSkip(f"{run.case.name!r} has no sample with plain float inputs to fill "
                              "with special values")
    for i, (sample, vals) in enumerate(samples):
        with _quiet():
            try:
                want = run.call(sample, vals, "reference", run.dtype, False)[0]
            except Exception as exc:  # noqa: BLE001 - any error of the reference: not applicable
                raise ConformanceSkip(f"the reference backend raises on special values: "
                                      f"{type(exc).__name__}: {exc}") from None
            try:
                got = want if is_ref else run.call(sample, vals, run.backend, run.dtype, False)[0]
            except Exception as exc:  # noqa: BLE001 - reported with the reproducer
                run.fail(i, sample, vals, "special", f"raises {type(exc).__name__}: {exc}; the "
                         "reference backend returns a result")
        if len(got) != len(want):
            run.fail(i, sample, vals, "special", f"{len(got)} outputs, the reference gives "
                     f"{len(want)}")
        for k, (g, w) in enumerate(zip(got, want)):
            if tuple(g.shape) != tuple(w.shape) or g.dtype != w.dtype:
                run.fail(i, sample, vals, "special", f"output {k} is {g.dtype.name} "
                         f"{list(g.shape)}, the reference gives {w.dtype.name} {list(w.shape)}")
            gv, wv = _host(g), _host(w)
            if g.dtype.is_floating_point:
                g64, w64 = gv.astype(np.float64), wv.astype(np.float64)
                bad = _special_mismatch(g64, w64, g.dtype.name, rtol, atol,
                                        signed_zero=special_kind(run.case) == "elementwise"
                                        and run.case.name not in ZERO_SIGN_FREE)
            else:
                bad = gv != wv
            if np.any(bad):
                kinds = ""
                if g.dtype.is_floating_point:
                    found = sorted({_special_kinds(a, b) for a, b in zip(g64[bad], w64[bad])})
                    kinds = f" ({', '.join(found)})"
                run.fail(i, sample, vals, "special",
                         f"output {k} ({g.dtype.name} {list(g.shape)}) on special inputs differs "
                         f"from the reference backend in {run.dtype} in {int(bad.sum())} of "
                         f"{bad.size} elements{kinds} (rtol={rtol}, atol={atol}):\n"
                         + _mismatch_rows(gv, wv, bad))


CHECKS: dict[str, Callable[[Run], None]] = {
    "forward": check_forward,
    "grad": check_grad,
    "gradgrad": check_gradgrad,
    "reentrant": check_reentrant,
    "zero_grad": check_zero_grad,
    "no_mutation": check_no_mutation,
    "fused": check_fused,
    "special": check_special,
}
