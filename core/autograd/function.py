"""The custom-function API: subclass :class:`Function` with ``forward``/``backward``."""
from __future__ import annotations

from typing import Any

from ..tensor import Tensor, wrap
from .engine import check_grad
from .grad_mode import _State
from .node import Node

__all__ = ["Function", "FunctionCtx"]


class FunctionCtx:
    """The ``ctx`` passed to a custom Function's ``forward`` and ``backward``."""

    def __init__(self) -> None:
        self._saved: tuple = ()
        self._versions: tuple = ()
        self.needs_input_grad: tuple = ()
        self.materialize_grads = True
        self._non_diff: set[int] = set()

    def save_for_backward(self, *tensors: Any) -> None:
        """Keep tensors for backward; in-place changes to them are detected."""
        self._saved = tensors
        self._versions = tuple(t._version if isinstance(t, Tensor) else None for t in tensors)

    @property
    def saved_tensors(self) -> tuple:
        for t, v in zip(self._saved, self._versions):
            if isinstance(t, Tensor) and t._version != v:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: [{t.dtype.name} tensor of shape {list(t.shape)}] is "
                    f"at version {t._version}; expected version {v} instead.")
        return self._saved

    def mark_non_differentiable(self, *tensors: Tensor) -> None:
        """Declare outputs that have no gradient."""
        self._non_diff.update(id(t) for t in tensors)

    def set_materialize_grads(self, value: bool) -> None:
        """Whether missing output gradients are passed as zeros (True) or None."""
        self.materialize_grads = value

    def mark_dirty(self, *tensors: Tensor) -> None:
        """Accepted for compatibility; xgrad functions should return new tensors."""


class Function:
    """Base class for custom differentiable operations, as ``torch.autograd.Function``::

        class Exp(Function):
            @staticmethod
            def forward(ctx, x):
                y = x.exp()
                ctx.save_for_backward(y)
                return y

            @staticmethod
            def backward(ctx, grad):
                (y,) = ctx.saved_tensors
                return grad * y

        y = Exp.apply(x)

    ``forward`` runs with grad recording off; ``backward`` is written with Tensor ops, so
    it is itself differentiable when ``create_graph=True``.
    """

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("custom Function must implement forward")

    @staticmethod
    def backward(ctx: FunctionCtx, *grads: Any) -> Any:
        raise NotImplementedError("custom Function must implement backward")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run ``forward`` and record a node whose backward calls ``cls.backward``."""
        ctx = FunctionCtx()
        tensor_args = [a for a in args if isinstance(a, Tensor)]
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._rg for a in args)
        prev = _State.enabled
        _State.enabled = False
        try:
            outputs = cls.forward(ctx, *args, **kwargs)
        finally:
            _State.enabled = prev
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        if prev and any(t._rg for t in tensor_args):
            inputs = tuple(a if isinstance(a, Tensor) else None for a in args)
            shapes = [(o._data.shape, o._backend, o.dtype) if isinstance(o, Tensor) else None
                      for o in outs]
            node = Node(cls.__name__, inputs, (cls, ctx, shapes), n_out=len(outs))
            node.bwd = _function_bwd  # its own backward, whatever its name
            new_outs = []
            for i, o in enumerate(outs):
                if isinstance(o, Tensor) and id(o) not in ctx._non_diff and \
                        o.dtype.is_floating_point:
                    if o._node is not None or any(o is a for a in tensor_args):
                        o = o.detach()
                    o._node = node
                    o._rg = True
                    if i:
                        o._oidx = i
                new_outs.append(o)
            outs = tuple(new_outs)
        return outs[0] if single else outs


def _function_bwd(node: Node, g: Any) -> tuple:
    cls, ctx, shapes = node.saved
    grads = [g] if node.n_out == 1 else list(g)
    if ctx.materialize_grads:
        for i, gi in enumerate(grads):
            if gi is None and shapes[i] is not None:
                shape, be, dt = shapes[i]
                grads[i] = wrap(be.full(shape, 0, dt), be)
    result = cls.backward(ctx, *grads)
    if not isinstance(result, tuple):
        result = (result,)
    n = len(node.inputs)
    if len(result) < n:
        raise RuntimeError(f"function {cls.__name__}Backward returned an incorrect number of "
                           f"gradients (expected {n}, got {len(result)})")
    result = tuple(result[:n])
    for i, (t, g) in enumerate(zip(node.inputs, result)):
        if t is not None and g is not None:
            if not isinstance(g, Tensor):
                raise TypeError(f"function {cls.__name__}Backward returned a {type(g).__name__} "
                                f"as gradient {i}; expected a Tensor or None")
            check_grad(node, i, t, g)
    return result
