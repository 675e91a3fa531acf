"""Fused-op machinery: a composite op that runs the backend's fused kernel when it has one
and its decomposition into primitives otherwise (or inside :func:`decomposed_only`, which
the conformance suite uses to compare both paths). Every fallback is counted."""
from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable, Iterator
from typing import Any

from ..autograd.grad_mode import _State
from ..autograd.node import RULES, record
from ..dispatch import run
from ..registry import count_fallback
from ..tensor import Tensor, wrap
from .inplace import store_
from .operands import device_mismatch

__all__ = ["FusedOp", "FUSED", "apply_fused", "apply_fused_", "use_fused", "decomposed_only",
           "register_fused"]


class fusion_mode:
    """Whether fused ops are forced onto their decompositions (see :func:`decomposed_only`)."""

    force_decomposition = False


@contextlib.contextmanager
def decomposed_only() -> Iterator[None]:
    """Within the block, every fused op runs its decomposition (for comparisons)."""
    prev = fusion_mode.force_decomposition
    fusion_mode.force_decomposition = True
    try:
        yield
    finally:
        fusion_mode.force_decomposition = prev


class FusedOp:
    """One fusable op: ``name`` (the backend method and the recorded op name), ``decompose``
    (the same op in primitives) and ``saves_output`` (whether the backward rule reads the
    output). Its backward rule is the derivatives table's entry for ``name``.

    An in-place op (run by :func:`apply_fused_`) names in ``mutates`` the positions of its
    tensor arguments that its outputs are written into, one per output. ``hints_output``
    gives the backward rule an :class:`OutputHint` (the output while unwritten) instead."""

    def __init__(self, name: str, decompose: Callable, saves_output: bool = False,
                 mutates: tuple[int, ...] = (), hints_output: bool = False) -> None:
        self.name = name
        self.decompose = decompose
        self.saves_output = saves_output
        self.mutates = mutates
        self.hints_output = hints_output

    @property
    def backward(self) -> Callable:
        """``backward(node, g)``: the op's rule in :mod:`xgrad.derivatives`."""
        return RULES[self.name]


class OutputHint:
    """What a fused op with ``hints_output`` saves: a weak reference to its output that the
    backward rule may use to save work while the output is alive and has not been written.
    Unlike a saved output, writing the output in place stays allowed (the rule then does
    without it)."""

    __slots__ = ("_ref",)

    def __init__(self, out: Tensor) -> None:
        self._ref = weakref.ref(out)

    def get(self) -> Tensor | None:
        """The output, or None when it was freed or written in place since."""
        out = self._ref()
        return out if out is not None and out._version == 0 else None


FUSED: dict[str, FusedOp] = {}


def use_fused(be: Any, name: str) -> bool:
    """Whether ``be`` runs its fused kernel ``name`` now (else: count a fallback)."""
    if not fusion_mode.force_decomposition and be.has(name):
        return True
    count_fallback(name, be)
    return False


def register_fused(op: FusedOp) -> FusedOp:
    """Add ``op`` to the table of fused ops (the conformance suite checks each one)."""
    FUSED[op.name] = op
    return op


def apply_fused(op: FusedOp, tensors: tuple, params: tuple) -> Tensor:
    """Run ``op`` on ``tensors`` with extra ``params``, fused if the backend can."""
    be = tensors[0]._backend
    rg = False
    for t in tensors:
        if t._backend is not be:
            raise device_mismatch(op.name, tensors[0], t)
        rg = rg or t._rg
    name = op.name
    if fusion_mode.force_decomposition or not be.has(name):
        count_fallback(name, be)
        return op.decompose(*tensors, *params)
    out = wrap(run(name, be, *[t._data for t in tensors], *params), be)
    if rg and _State.enabled:
        saved = (params, weakref.ref(out) if op.saves_output else
                 OutputHint(out) if op.hints_output else None)
        record(out, name, tensors, saved, [(t, t._version) for t in tensors])
    return out


def apply_fused_(op: FusedOp, tensors: tuple, params: tuple) -> tuple:
    """Run the in-place fused op ``op`` on ``tensors`` (``None`` for an absent optional
    tensor) with extra ``params``; return its outputs as Tensors.

    Fused, each output array is written into the tensor at its ``op.mutates`` position (the
    backend's storage when it is mutable, every alias seeing the change) and that tensor's
    version is bumped; an output whose position holds ``None`` comes back as a new tensor.
    Otherwise ``op.decompose(*tensors, *params)`` runs and returns the same tuple. Neither
    path records a graph: call it under :func:`xgrad.no_grad` when the tensors require grad.
    """
    be = tensors[0]._backend
    for t in tensors:
        if t is not None and t._backend is not be:
            raise device_mismatch(op.name, tensors[0], t)
    name = op.name
    if fusion_mode.force_decomposition or not be.has(name):
        count_fallback(name, be)
        return op.decompose(*tensors, *params)
    arrays = [None if t is None else t._data for t in tensors]
    results = run(name, be, *arrays, *params)
    outs = []
    for i, data in zip(op.mutates, results):
        t = tensors[i]
        if t is None:
            outs.append(None if data is None else wrap(data, be))
        else:
            store_(t, data)
            outs.append(t)
    return tuple(outs)
