"""Fused-op patterns: pairs of kernels in a program that one backend kernel computes together.

Eager mode cannot fuse a forward kernel with the backward kernel that reads the same inputs
later: when the forward runs, nobody knows a backward will follow. A captured program
knows. Each row of :data:`PAIRS` names a first kernel, a second kernel reading the same
arguments plus more, and the backend's optional fused kernel (an entry of
``xgrad.backend.FUSED_OPS``) returning both results. :func:`fuse_pairs` puts the fused
kernel where the first one was and drops the second, when

* the backend has the fused kernel (``backend.has``),
* the second's arguments are the first's plus values already known at the first
  (constants, program inputs, or results of earlier kernels),
* no kernel between them may write into its arguments (only ``PURE_KERNELS`` run there).

The fused kernel is specified to give both results bit for bit, so results stay those of
eager mode.
"""
from __future__ import annotations

from .capture import Op, Slot
from .program import PURE_KERNELS, Program

__all__ = ["PAIRS", "fuse_pairs"]

#: (first kernel, second kernel, fused kernel, how many leading arguments they share).
PAIRS: tuple[tuple[str, str, str, int], ...] = (
    ("cross_entropy", "cross_entropy_grad", "cross_entropy_with_grad", 2),
)


def fuse_pairs(prog: Program) -> int:
    """Apply :data:`PAIRS` to ``prog`` in place; returns how many pairs were fused."""
    be = prog.backend
    if be is None:
        return 0
    rows = [r for r in PAIRS if be.has(r[2])]
    if not rows:
        return 0
    fused = 0
    ops = prog.ops
    for first, second, name, shared in rows:
        i = 0
        while i < len(ops):
            a = ops[i]
            if a.name != first or a.seq is not None or a.guard is not None:
                i += 1
                continue
            j = _partner(ops, i, second, shared)
            if j is None:
                i += 1
                continue
            b = ops[j]
            op = Op(a.backend, name, getattr(a.backend, name), b.args, (a.outs, b.outs), tuple)
            ops[i] = op
            del ops[j]
            fused += 1
            i += 1
    return fused


def _partner(ops: list[Op], i: int, second: str, shared: int) -> int | None:
    """The index of the kernel ``second`` that ``ops[i]`` can be fused with, or None."""
    a = ops[i]
    between: set[int] = {a.outs}  # slots computed after the first kernel's arguments
    for j in range(i + 1, len(ops)):
        b = ops[j]
        if b.name == second and b.seq is None and b.guard is None and \
                len(b.args) > shared and _same_args(a.args[:shared], b.args[:shared]):
            # slots are written once: an argument not computed in between is known at i (the
            # shared ones are the first kernel's own arguments)
            return j if not any(n in between for n in b.slots_read()) else None
        if b.name not in PURE_KERNELS:
            return None
        between.update(b.slots_written())
    return None


def _same_args(xs: tuple, ys: tuple) -> bool:
    return len(xs) == len(ys) and all(
        (type(x) is Slot and type(y) is Slot and x.n == y.n) or x is y for x, y in zip(xs, ys))
