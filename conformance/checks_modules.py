"""Layer and optimizer checks: the backend under test agrees with the reference backend."""
from __future__ import annotations

from typing import Any

import numpy as np

from .checks import ConformanceFailure, ConformanceSkip, _decomposed, _host
from .sampling import build, draw, flat_tensors, round_through, seed_for
from .spec import ModuleCase, OptimCase
from .tolerances import tolerance

__all__ = ["check_module", "check_optim", "check_optim_fused"]

_FORWARD_SEED = 1234


def _has64(backend: str) -> bool:
    from xgrad.backends import get_backend
    from xgrad.dtypes import float64

    return float64 in get_backend(backend).dtypes


def _tol(tol_hook: Any, check: str, dtype: str, backend: str) -> tuple[float, float]:
    got = tol_hook(check) if tol_hook is not None else None
    return tuple(got) if got is not None else tolerance(check, dtype, _has64(backend))


def _compare(what: str, got: np.ndarray, want: np.ndarray, rtol: float, atol: float) -> str | None:
    if got.shape != want.shape:
        return f"{what}: shape {got.shape}, the reference gives {want.shape}"
    bad = ~np.isclose(got.astype(np.float64), want.astype(np.float64), rtol=rtol, atol=atol,
                      equal_nan=True)
    if not bad.any():
        return None
    got, want, bad = np.atleast_1d(got), np.atleast_1d(want), np.atleast_1d(bad)
    rows = [f"    at {tuple(int(k) for k in idx)}: got {got[idx]!r}, expected {want[idx]!r}"
            for idx in list(zip(*np.nonzero(bad)))[:8]]
    return (f"{what} differs from the reference in {int(bad.sum())} of {bad.size} elements "
            f"(rtol={rtol}, atol={atol}):\n" + "\n".join(rows))


def _repro(table: str, check: str, name: str, backend: str, dtype: str) -> str:
    return ("\n\n--- reproducer ---\n"
            f"from xgrad.conformance.spec import {table}\n"
            f"from xgrad.conformance.checks_modules import {check}\n"
            f"{check}({table}()[{name!r}], {backend!r}, {dtype!r})  # raises with the details\n"
            "--- end reproducer ---")


def _module_pair(case: ModuleCase, backend: str, dtype: str) -> tuple[Any, Any]:
    import xgrad
    from xgrad.dtypes import dtype_from_name

    xgrad.manual_seed(seed_for("module", case.name))
    test = case.make().to(backend).to(dtype_from_name(dtype))
    xgrad.manual_seed(seed_for("module", case.name))
    ref = case.make().to("reference").to(xgrad.float64)
    for (_, t), (_, r) in zip(list(test.named_parameters()) + list(test.named_buffers()),
                              list(ref.named_parameters()) + list(ref.named_buffers())):
        host = _host(t)
        if np.issubdtype(host.dtype, np.floating):
            host = host.astype(np.float64)
        r.data = xgrad.tensor(host, dtype=xgrad.float64 if t.dtype.is_floating_point else t.dtype,
                              device="reference")
    return test, ref


def _forward_backward(module: Any, case: ModuleCase, vals: list, device: str, dtype: str,
                      vhost: list | None, rng: np.random.Generator) -> tuple:
    import xgrad

    args, leaves = build(case.inputs, vals, device, dtype, True)
    xgrad.manual_seed(_FORWARD_SEED)
    outs = flat_tensors(module(*args))
    diff = [o for o in outs if o.requires_grad]
    if vhost is None:
        vhost = [rng.standard_normal(tuple(o.shape)).astype(dtype).astype(np.float64) for o in diff]
    named = [(f"input {i}", t) for i, t in enumerate(leaves) if t is not None and t.requires_grad]
    named += [(f"parameter {n}", p) for n, p in module.named_parameters() if p.requires_grad]
    gos = [xgrad.tensor(v.astype(dtype), dtype=o.dtype, device=device) for v, o in zip(vhost, diff)]
    grads = xgrad.autograd.grad(diff, [t for _, t in named], gos, allow_unused=True) if diff else []
    return outs, vhost, [(n, g) for (n, _), g in zip(named, grads)]


def check_module(case: ModuleCase, backend: str, dtype: str, tol_hook: Any = None) -> None:
    """Outputs, input gradients, parameter gradients and buffers vs the reference backend."""
    rtol, atol = _tol(tol_hook, "forward", dtype, backend)
    grtol, gatol = _tol(tol_hook, "grad", dtype, backend)
    rng = np.random.default_rng(seed_for("module", case.name, dtype))
    vals = round_through(draw(case, case.inputs, rng), case.inputs, dtype)
    test, ref = _module_pair(case, backend, dtype)
    outs, vhost, grads = _forward_backward(test, case, vals, backend, dtype, None, rng)
    routs, _, rgrads = _forward_backward(ref, case, vals, "reference", "float64", vhost, rng)
    problems = []
    for k, (o, r) in enumerate(zip(outs, routs)):
        problems.append(_compare(f"output {k}", _host(o), _host(r), rtol, atol))
    for (name, g), (_, rg) in zip(grads, rgrads):
        if (g is None) != (rg is None):
            problems.append(f"gradient of {name}: {'missing' if g is None else 'unexpected'}")
        elif g is not None:
            problems.append(_compare(f"gradient of {name}", _host(g), _host(rg), grtol, gatol))
    for (name, b), (_, rb) in zip(test.named_buffers(), ref.named_buffers()):
        problems.append(_compare(f"buffer {name} after forward", _host(b), _host(rb), rtol, atol))
    problems = [p for p in problems if p]
    if len(outs) != len(routs):
        problems.insert(0, f"{len(outs)} outputs, the reference gives {len(routs)}")
    if problems:
        raise ConformanceFailure(
            f"module {case.name} on backend {backend!r}, dtype {dtype} (inputs "
            f"{[getattr(s, 'shape', s) for s in case.inputs]}, seed "
            f"{seed_for('module', case.name)}):\n" + "\n".join(problems) + _repro(
                "module_cases", "check_module", case.name, backend, dtype))


def _optim_run(case: OptimCase, device: str, dtype: str, p0: list, grads: list) -> list:
    import xgrad
    from xgrad.dtypes import dtype_from_name

    dt = dtype_from_name(dtype)
    params = [xgrad.tensor(p.astype(dtype), dtype=dt, device=device, requires_grad=True) for p in p0]
    opt = case.make(params)
    for step in grads:
        for p, g in zip(params, step):
            p.grad = xgrad.tensor(g.astype(dtype), dtype=dt, device=device)
        opt.step()
    return [_host(p) for p in params]


def _optim_inputs(case: OptimCase, dtype: str) -> tuple[list, list]:
    rng = np.random.default_rng(seed_for("optim", case.name, dtype))
    p0 = [rng.standard_normal(s).astype(dtype).astype(np.float64) for s in case.shapes]
    grads = [[_gradient(rng, s, dtype) for s in case.shapes] for _ in range(3)]
    return p0, grads


def _gradient(rng: np.random.Generator, shape: tuple, dtype: str) -> np.ndarray:
    g = rng.standard_normal(shape)
    if dtype == "float16":
        # Adam's (1 - beta2) * g**2 underflows to 0 in float16 for |g| < ~8e-3, and eps=1e-8
        # rounds to 0 too: g / (sqrt(0) + 0) is inf, a float16 fact rather than a backend bug.
        g = np.sign(g) * (0.25 + np.abs(g))
    return g.astype(dtype).astype(np.float64)


def check_optim(case: OptimCase, backend: str, dtype: str, tol_hook: Any = None) -> None:
    """Three steps on seeded parameters and gradients agree with the reference backend."""
    rtol, atol = _tol(tol_hook, "forward", dtype, backend)
    p0, grads = _optim_inputs(case, dtype)
    got = _optim_run(case, backend, dtype, p0, grads)
    want = _optim_run(case, "reference", "float64", p0, grads)
    problems = [_compare(f"parameter {i} after {len(grads)} steps", g, w, rtol, atol)
                for i, (g, w) in enumerate(zip(got, want))]
    problems = [p for p in problems if p]
    if problems:
        raise ConformanceFailure(f"optimizer {case.name} on backend {backend!r}, dtype {dtype} "
                                 f"(parameter shapes {list(case.shapes)}):\n" + "\n".join(problems)
                                 + _repro("optim_cases", "check_optim", case.name, backend, dtype))


def check_optim_fused(case: OptimCase, backend: str, dtype: str, tol_hook: Any = None) -> None:
    """The backend's fused optimizer kernel agrees with the frontend decomposition."""
    from xgrad.backends import get_backend

    be = get_backend(backend)
    if not case.fused or not be.has(case.fused):
        raise ConformanceSkip(f"backend {be.name!r} has no fused {case.fused!r} kernel")
    rtol, atol = _tol(tol_hook, "fused", dtype, backend)
    p0, grads = _optim_inputs(case, dtype)
    got = _optim_run(case, backend, dtype, p0, grads)
    with _decomposed(be):
        want = _optim_run(case, backend, dtype, p0, grads)
    problems = [_compare(f"parameter {i} (fused = got, decomposed = expected)", g, w, rtol, atol)
                for i, (g, w) in enumerate(zip(got, want))]
    problems = [p for p in problems if p]
    if problems:
        raise ConformanceFailure(f"fused {case.fused!r} kernel of {case.name} on backend "
                                 f"{backend!r}, dtype {dtype}:\n" + "\n".join(problems)
                                 + _repro("optim_cases", "check_optim_fused", case.name, backend,
                                          dtype))
