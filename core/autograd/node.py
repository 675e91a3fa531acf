"""Graph nodes (``grad_fn``) and the dispatch state shared by every op."""
from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

__all__ = ["Node", "Dispatch", "FREED_MESSAGE"]

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)


class Dispatch:
    """Process-wide dispatch switches, read on every op (class attributes: cheapest lookup)."""

    #: True while some plugin wraps ``xgrad_dispatch``; ops then go through the hook.
    active = False
    #: Set by anomaly detection: nodes remember the stack of their forward call.
    record_stack = False
    #: The hook caller (pluggy's ``pm.hook.xgrad_dispatch``) when active.
    call: Callable[..., Any] | None = None


_next_seq = itertools.count().__next__


class Node:
    """One recorded op: the ``grad_fn`` of its output tensor(s).

    ``inputs`` are the op's inputs (Tensors, or None for non-tensor arguments), ``bwd`` is
    ``bwd(node, grad_output) -> tuple of input gradients`` written with differentiable
    Tensor ops, ``saved`` holds whatever else ``bwd`` needs, ``check`` the (tensor, version)
    pairs whose in-place modification would make the gradient wrong.
    """

    __slots__ = ("name", "bwd", "inputs", "saved", "check", "seq", "__dict__", "__weakref__")
    n_out = 1
    hooks = None
    stack = None

    def __init__(self, name: str, bwd: Callable, inputs: tuple, saved: Any = None,
                 check: tuple | None = None, n_out: int = 1) -> None:
        self.name = name
        self.bwd = bwd
        self.inputs = inputs
        self.saved = saved
        self.check = check
        self.seq = _next_seq()  # creation order: resolves edges to tensors modified in place
        if n_out != 1:
            self.n_out = n_out
        if Dispatch.record_stack:
            self.stack = _forward_stack()

    def name_(self) -> str:
        return self.name

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
