"""Graph nodes (``grad_fn``) and how an op records one on its output."""
from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from ..dispatch import Dispatch
from .grad_mode import _State

__all__ = ["Node", "RULES", "FREED_MESSAGE", "record", "needs_grad"]

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)


_next_seq = itertools.count().__next__

#: The derivatives table: recorded op name -> ``rule(node, grad_output) -> tuple of input
#: gradients``. Filled by :mod:`xgrad.derivatives` (which sits above the ops it calls); the
#: engine looks a node's rule up here when the node has no backward of its own.
RULES: dict[str, Callable] = {}


class Node:
    """One recorded op: the ``grad_fn`` of its output tensor(s).

    ``name`` is the op's name, which keys its backward rule in :data:`RULES`; ``inputs``
    are the op's inputs (Tensors, or None for non-tensor arguments), ``saved`` holds whatever
    else the rule needs, ``check`` the (tensor, version) pairs whose in-place modification
    would make the gradient wrong.
    """

    __slots__ = ("name", "inputs", "saved", "check", "seq", "__dict__", "__weakref__")
    n_out = 1
    hooks = None
    stack = None
    #: A backward of the node's own, ``bwd(node, grad_output)`` (custom Functions, freed
    #: graphs); None: the rule ``RULES[name]``.
    bwd = None

    def __init__(self, name: str, inputs: tuple, saved: Any = None,
                 check: tuple | None = None, n_out: int = 1) -> None:
        self.name = name
        self.inputs = inputs
        self.saved = saved
        self.check = check
        self.seq = _next_seq()  # creation order: resolves edges to tensors modified in place
        if n_out != 1:
            self.n_out = n_out
        if Dispatch.record_stack:
            self.stack = _forward_stack()

    def __repr__(self) -> str:
        return f"<{_pretty(self.name)}Backward0>"

    @property
    def next_functions(self) -> tuple:
        """``((node_or_None, output_index), ...)`` for each input, as PyTorch reports."""
        if self.inputs is None:
            return ()
        return tuple((getattr(t, "_node", None), getattr(t, "_oidx", 0)) for t in self.inputs)

    def register_hook(self, fn: Callable) -> None:
        """Call ``fn(grad_inputs, grad_outputs)`` after this node's backward runs."""
        self.add_hook(-1, fn)

    def add_hook(self, index: int, fn: Callable) -> None:
        if self.hooks is None:
            self.hooks = []
        self.hooks.append((index, fn))


def _forward_stack() -> list[str]:
    """The formatted Python stack of the op being recorded, without xgrad's dispatch frames."""
    import os
    import traceback

    core = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    internal = (os.path.join(core, "ops", ""), os.path.join(core, "autograd", ""),
                os.path.join(core, "tensor.py"))
    frames = traceback.extract_stack()[:-2]
    while frames and frames[-1].filename.startswith(internal):
        frames.pop()
    return traceback.format_list(frames)


def _pretty(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def record(out: Any, name: str, inputs: tuple, saved: Any = None,
           check: tuple | None = None) -> Any:
    """Attach a graph node of op ``name`` to tensor ``out`` (call only when grad mode is on
    and an input needs grad); returns ``out``. Its backward is ``RULES[name]``."""
    out._node = Node(name, inputs, saved, check)
    out._rg = True
    return out


def needs_grad(*ts: Any) -> bool:
    """Whether an op on ``ts`` (tensors, or None and numbers) must be recorded."""
    if not _State.enabled:
        return False
    for t in ts:
        if t is not None and t.__class__ is not int and getattr(t, "_rg", False):
            return True
    return False
