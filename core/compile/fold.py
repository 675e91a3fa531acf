"""Constant folding: run once, at compile time, the kernels of a program whose arguments are
all constants.

A training step computes some values from nothing but constants, the same at every replay:
``loss.backward()`` seeds the gradient with ``full((), 1)``, scales and broadcasts it;
``zeros`` and ``arange`` make index and mask arrays. :func:`fold_constants` calls such a
kernel when the program is built and puts its result into the argument lists of the kernels
that read it, so a replay no longer calls it. The values are the ones replay would compute
(the same kernel on the same arguments), so results stay bit for bit.

A result is folded only where sharing one array across replays cannot be seen: it is not an
output (the caller would hold it), and no kernel that may write into its arguments
(``assign``, the optimizer steps: anything outside ``PURE_KERNELS``) reads it or a view of
it. Views are told apart by the backend's :meth:`~xgrad.backend.Backend.buffer_of`; on a
mutable backend that does not say which arrays share memory, nothing is folded.
"""
from __future__ import annotations

from collections.abc import Container
from typing import Any

from ..backend import Backend
from .capture import Dyn, Seq, Slot
from .program import PURE_KERNELS, Program

__all__ = ["fold_constants"]


def _const_args(a: Any, known: Container[int]) -> bool:
    """Whether argument ``a`` is known at compile time (no slot outside ``known``, no Dyn)."""
    t = type(a)
    if t is Slot:
        return a.n in known
    if t is Seq:
        return all(_const_args(x, known) for x in a.items)
    return t is not Dyn


def _substitute(a: Any, folded: dict[int, Any]) -> Any:
    """``a`` with the folded slots replaced by their values (a sequence left without slots
    becomes a plain list or tuple, as the capture records constant sequences)."""
    t = type(a)
    if t is Slot:
        return folded.get(a.n, a)
    if t is Seq:
        items = tuple(_substitute(x, folded) for x in a.items)
        if any(type(x) in (Slot, Seq, Dyn) for x in items):
            return Seq(a.kind, items)
        return a.kind(items)
    return a


def _shares_memory_safely(be: Any) -> bool:
    return not getattr(be, "mutable", True) or type(be).buffer_of is not Backend.buffer_of


def fold_constants(prog: Program, values: list[Any]) -> int:
    """Fold the constant kernels of ``prog`` in place (see the module docstring); ``values``
    maps slot numbers to the arrays the capture saw (for telling views apart). Returns how
    many kernels were folded."""
    be = prog.backend
    if be is None or not _shares_memory_safely(be):
        return 0
    ops = prog.ops
    candidates: set[int] = set()
    for op in ops:  # pure single-result kernels over constants and earlier candidates
        if op.name in PURE_KERNELS and op.guard is None and op.seq is None and \
                all(_const_args(a, candidates) for a in op.args):
            candidates.add(op.outs)
    if not candidates:
        return 0
    owner = {n: be.buffer_of(values[n])[0] for op in ops for n in op.slots_written()}
    for n in prog.inputs:
        owner[n] = be.buffer_of(values[n])[0]
    exposed = {owner[n] for n in prog.outputs}
    for op in ops:
        if op.name not in PURE_KERNELS:
            exposed.update(owner[n] for n in op.slots_read())
    folded: dict[int, Any] = {}
    kept = []
    for op in ops:
        n = op.outs
        if n in candidates and owner[n] not in exposed and \
                all(_const_args(a, folded) for a in op.args):
            folded[n] = op.fn(*[_substitute(a, folded) for a in op.args])
            continue
        op.args = tuple(_substitute(a, folded) for a in op.args)
        kept.append(op)
    prog.ops = kept
    prog.constants = list(folded.values())
    return len(folded)
