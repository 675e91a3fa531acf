"""``xgrad.autograd.functional``: derivatives of whole functions, as PyTorch's.

:func:`vjp`, :func:`jvp`, :func:`jacobian`, :func:`hessian`, :func:`vhp` and :func:`hvp` take
a function of Tensors (one or a tuple) and evaluate it at ``inputs``; the derivatives come
from reverse mode (``jvp`` and ``hvp`` by the double-backward trick, as PyTorch computes
them). A single Tensor in gives Tensors out; a tuple in gives tuples.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..ops.shape import stack
from ..tensor import Tensor
from .engine import grad
from .grad_mode import enable_grad

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]


def _tup(x: Any, what: str, fn: str) -> tuple[tuple, bool]:
    single = isinstance(x, Tensor)
    xs = (x,) if single else tuple(x)
    for i, t in enumerate(xs):
        if not isinstance(t, Tensor):
            raise TypeError(f"The {what} given to {fn} must be either a Tensor or a tuple of "
                            f"Tensors but the value at index {i} has type {type(t)}.")
    return xs, single


def _prepare(inputs: Any, fn: str, create_graph: bool) -> tuple[tuple, bool]:
    xs, single = _tup(inputs, "inputs", fn)
    return tuple(x if create_graph and x.requires_grad else x.detach().requires_grad_(True)
                 for x in xs), single


def _grads(outs: tuple, ins: tuple, vs: tuple, create_graph: bool, strict: bool,
           fn: str) -> tuple:
    pairs = [(o, v) for o, v in zip(outs, vs) if o.requires_grad]
    if not pairs:
        got = [None] * len(ins)
    else:
        got = list(grad([o for o, _ in pairs], ins, [v for _, v in pairs],
                        create_graph=create_graph, retain_graph=True, allow_unused=True))
    for i, g in enumerate(got):
        if g is None:
            if strict:
                raise RuntimeError(f"The output of the user-provided function is independent of "
                                   f"input {i}. This is not allowed in strict mode.")
            got[i] = ins[i].detach() * 0
    return tuple(got)


def _out(xs: tuple, single: bool, create_graph: bool) -> Any:
    xs = tuple(x if create_graph else x.detach() for x in xs)
    return xs[0] if single else xs


def vjp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """``(func(inputs), v^T J)``; ``v`` may be omitted for a single-element output."""
    ins, single_in = _prepare(inputs, "vjp", create_graph)
    with enable_grad():
        out = func(*ins)
        outs, single_out = _tup(out, "outputs of the user-provided function", "vjp")
        if v is None:
            if len(outs) != 1 or outs[0].numel() != 1:
                raise RuntimeError("The vector v can only be None if the user-provided function "
                                   "returns a single Tensor with a single element.")
            vs = (outs[0].detach() * 0 + 1,)
        else:
            vs, _ = _tup(v, "v", "vjp")
        res = _grads(outs, ins, vs, create_graph, strict, "vjp")
    return _out(outs, single_out, create_graph), _out(res, single_in, create_graph)


def jvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """``(func(inputs), J v)`` by differentiating ``u -> u^T J`` again in ``u``."""
    ins, single_in = _prepare(inputs, "jvp", create_graph)
    if v is None:
        if len(ins) != 1 or ins[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided "
                               "function is a single Tensor with a single element.")
        vs = (ins[0].detach() * 0 + 1,)
    else:
        vs, _ = _tup(v, "v", "jvp")
    with enable_grad():
        out = func(*ins)
        outs, single_out = _tup(out, "outputs of the user-provided function", "jvp")
        us = tuple((o.detach() * 0).requires_grad_(True) for o in outs)
        g = _grads(outs, ins, us, True, strict, "jvp")
        res = _grads(g, us, vs, create_graph, strict, "jvp")
    return _out(outs, single_out, create_graph), _out(res, single_out, create_graph)


def jacobian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """The Jacobian, row by row in reverse mode: ``out.shape + in.shape`` per (output, input)
    pair; nested tuples follow the tuples of outputs and inputs."""
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode". '
                         'Hint: If your function has more outputs than inputs, "forward-mode" '
                         'tends to be more performant. Otherwise, prefer to use "reverse-mode".')
    ins, single_in = _prepare(inputs, "jacobian", create_graph)
    with enable_grad():
        out = func(*ins)
        outs, single_out = _tup(out, "outputs of the user-provided function", "jacobian")
        table = []
        for o in outs:
            flat = o.reshape(-1)
            rows: list[list[Tensor]] = [[] for _ in ins]
            for k in range(flat.numel()):
                if o.requires_grad:
                    gs = grad(flat[k], ins, retain_graph=True, create_graph=create_graph,
                              allow_unused=True)
                else:
                    gs = (None,) * len(ins)
                for i, g in enumerate(gs):
                    if g is None:
                        if strict:
                            raise RuntimeError(f"Output {len(table)} of the user-provided "
                                               f"function is independent of input {i}. This is "
                                               f"not allowed in strict mode.")
                        g = ins[i].detach() * 0
                    rows[i].append(g)
            per_in = []
            for i, x in enumerate(ins):
                j = stack(rows[i], 0) if rows[i] else (x.detach().reshape(-1)[:0] * 0).reshape(
                    (0,) + tuple(x.shape))
                j = j.reshape(tuple(o.shape) + tuple(x.shape))
                per_in.append(j if create_graph else j.detach())
            table.append(per_in[0] if single_in else tuple(per_in))
    return table[0] if single_out else tuple(table)


def hessian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of a function with a single-element output."""
    ins, single_in = _tup(inputs, "inputs", "hessian")

    def gradient(*xs: Tensor) -> Any:
        out = func(*xs)
        if not isinstance(out, Tensor) or out.numel() != 1:
            raise RuntimeError("The function given to hessian should return a single element "
                               "Tensor.")
        g = grad(out, xs, create_graph=True, allow_unused=True)
        g = tuple(x * 0 if gi is None else gi for gi, x in zip(g, xs))
        return g[0] if single_in else g

    return jacobian(gradient, ins[0] if single_in else ins, create_graph, strict)


def vhp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """``(func(inputs), v^T H)`` for a single-element output."""
    ins, single_in = _prepare(inputs, "vhp", create_graph)
    vs = _default_v(ins, v, "vhp")
    with enable_grad():
        out = func(*ins)
        if not isinstance(out, Tensor) or out.numel() != 1:
            raise RuntimeError("The Tensor returned by the function given to hvp should contain "
                               "a single element")
        g = _grads((out,), ins, (out.detach() * 0 + 1,), True, strict, "vhp")
        res = _grads(g, ins, vs, create_graph, strict, "vhp")
    return (out if create_graph else out.detach()), _out(res, single_in, create_graph)


def hvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """``(func(inputs), H v)`` (``H`` is symmetric for twice-differentiable functions, so this
    equals :func:`vhp`)."""
    return vhp(func, inputs, v, create_graph, strict)


def _default_v(ins: tuple, v: Any, fn: str) -> tuple:
    if v is None:
        if len(ins) != 1 or ins[0].numel() != 1:
            raise RuntimeError(f"The vector v can only be None if the input to the user-provided "
                               f"function is a single Tensor with a single element ({fn}).")
        return (ins[0].detach() * 0 + 1,)
    vs, _ = _tup(v, "v", fn)
    return vs
