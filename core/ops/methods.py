"""Tensor methods and ``xgrad.*`` functions that are more than one backend primitive's op:
``add``/``sub`` with ``alpha``, ``div`` rounding modes, ``to``, the autograd methods, the
in-place fills and copies, and small adapters where a method's signature differs from its
function form. Every name here is exposed through the op table (:mod:`.table`)."""
from __future__ import annotations

import weakref
from typing import Any

from ..autograd.engine import backward as _backward
from ..autograd.grad_mode import _State, no_grad
from ..creation import full
from ..device import resolve
from ..dtypes import DType, bool_, dtype_from_name
from ..shapes import int_sizes, wrap_dim
from ..tensor import Tensor, from_data
from . import elementwise as E
from . import linalg as L
from . import shape as S
from . import views as V
from .inplace import apply_inplace


def _alpha(other: Any, alpha: Any) -> Any:
    return other if alpha == 1 else other * alpha


def add(a: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    """``a + alpha * other``."""
    return E.add(a, _alpha(other, alpha))


def sub(a: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    """``a - alpha * other``."""
    E.check_bool_sub(a, other)
    return E.sub(a, _alpha(other, alpha))


def div(a: Tensor, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """True division, or ``'floor'``/``'trunc'`` rounding."""
    if rounding_mode is not None and not isinstance(rounding_mode, str):
        raise TypeError(f"div(): argument 'rounding_mode' must be str, not "
                        f"{type(rounding_mode).__name__}")
    if rounding_mode is None:
        return E.div(a, other)
    if rounding_mode == "floor":
        return E.floordiv(a, other)
    if rounding_mode == "trunc":
        E.check_int_divisor(a, other)
        q = E.div(a, other)
        out = q.sign() * q.abs().floor()
        return out.to(a.dtype) if not a.dtype.is_floating_point else out
    raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                     f"found {rounding_mode!r}")


def to(a: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """Cast and/or move: ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``;
    returns ``self`` when nothing changes (unless ``copy=True``)."""
    device, dtype, copy = parse_to_args(*args, **kwargs)
    out = a
    if device is not None:
        out = E.to_backend(out, resolve(device))
    if dtype is not None:
        out = E.cast(out, dtype)
    if copy and out is a:
        out = E.clone(a)
    return out


def backward(a: Tensor, gradient: Tensor | None = None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs: Any = None) -> None:
    """Accumulate d(a)/d(leaf) into every leaf's ``.grad``."""
    _backward([a], None if gradient is None else [gradient], retain_graph, create_graph,
              inputs=inputs)


def register_hook(a: Tensor, hook: Any) -> Any:
    """Call ``hook(grad)`` when the gradient of ``a`` is computed; it may return a new grad."""
    if not a._rg:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if a._node is not None:
        a._node.add_hook(a._oidx, hook)
        node, entry = a._node, (a._oidx, hook)
        return RemovableHandle(lambda: node.hooks.remove(entry) if entry in node.hooks else None)
    if a._hooks is None:
        a._hooks = []
    a._hooks.append(hook)
    return RemovableHandle(lambda: a._hooks.remove(hook) if hook in a._hooks else None)


def register_post_accumulate_grad_hook(a: Tensor, hook: Any) -> Any:
    """Call ``hook(tensor)`` after a leaf's ``.grad`` was updated."""
    if a._post_hooks is None:
        a._post_hooks = []
    a._post_hooks.append(hook)
    return RemovableHandle(lambda: a._post_hooks.remove(hook))


class RemovableHandle:
    def __init__(self, fn: Any) -> None:
        self._fn = fn

    def remove(self) -> None:
        self._fn()


def retain_grad(a: Tensor) -> None:
    """Keep ``.grad`` on a non-leaf tensor after backward."""
    if not a._rg:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    if a._node is None or a.__dict__.get("_retains"):
        return
    ref = weakref.ref(a)

    def keep(g: Tensor) -> None:
        t = ref()
        if t is not None:
            t.grad = g if t.grad is None else t.grad + g

    a._node.add_hook(a._oidx, keep)
    a._retains = True


def copy_(a: Tensor, src: Any) -> Tensor:
    """Copy ``src``'s values into ``a`` (broadcast, cast to ``a``'s dtype)."""
    # Without a graph and without views the backend's assign is the one copy (a mutable
    # backend writes into ``a``'s storage; an immutable one may share the immutable array).
    # Otherwise ``a`` may take the result's array as its own, so it must not be ``src``'s.
    fresh = _State.enabled or a._vbase is not None or bool(a._views and V.live_views(a))

    def fn(x: Tensor) -> Tensor:
        s = src if isinstance(src, Tensor) else Tensor(src)
        if s._backend is not x._backend:
            s = E.to_backend(s, x._backend)
        s = s.to(x.dtype)
        out = S.expand(s, x._data.shape)
        return E.clone(out) if out is s and fresh else out
    return apply_inplace(a, fn, src)


def fill_(a: Tensor, value: Any) -> Tensor:
    """Fill with ``value``."""
    return apply_inplace(a, lambda x: full(x._data.shape, value.item() if isinstance(value, Tensor)
                                           else value, dtype=x.dtype, device=x._backend))


def zero_(a: Tensor) -> Tensor:
    """Fill with zeros."""
    return fill_(a, 0)


def eq_operator(a: Tensor, b: Any) -> Any:
    if not isinstance(b, (Tensor, int, float, bool)) and not hasattr(b, "__array__"):
        return NotImplemented
    return E.eq(a, b)


def ne_operator(a: Tensor, b: Any) -> Any:
    if not isinstance(b, (Tensor, int, float, bool)) and not hasattr(b, "__array__"):
        return NotImplemented
    return E.ne(a, b)


def rmatmul(a: Tensor, b: Any) -> Tensor:
    return L.matmul(from_data(b, None if isinstance(b, Tensor) else a.dtype, a._backend), a)


def parse_to_args(*args: Any, **kwargs: Any) -> tuple[Any, DType | None, bool]:
    """``(device, dtype, copy)`` from the arguments of ``Tensor.to`` / ``Module.to``:
    ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other_tensor)``, keywords
    ``dtype=``, ``device=``, ``copy=``, ``non_blocking=`` (accepted, ignored)."""
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, Tensor):
            dtype, device = arg.dtype, arg._backend
        elif isinstance(arg, DType):
            dtype = arg
        elif isinstance(arg, str) and arg.replace("torch.", "").replace("xgrad.", "") in _DTYPE_NAMES:
            dtype = dtype_from_name(arg.replace("torch.", "").replace("xgrad.", ""))
        elif arg is not None:
            device = arg
    return device, (None if dtype is None else dtype_from_name(dtype)), bool(copy)


_DTYPE_NAMES = ("float16", "float32", "float64", "int32", "int64", "bool", "half", "float",
                "double", "long", "int")


def where_method(a: Tensor, condition: Tensor, other: Any) -> Tensor:
    """``self`` where ``condition`` holds, else ``other`` (``xgrad.where(condition, self, other)``)."""
    return E.where(condition, a, other)


def clone(a: Tensor, *, memory_format: Any = None) -> Tensor:
    """A copy with its own storage; gradients flow back to ``self``."""
    return E.clone(a)


def contiguous(a: Tensor, memory_format: Any = None) -> Tensor:
    """``self`` when it is contiguous, else a contiguous copy (differentiable)."""
    return a if V.is_contiguous(a) else E.clone(a)


def is_contiguous(a: Tensor, memory_format: Any = None) -> bool:
    """Whether the elements are laid out densely in row-major order (a view made by
    ``transpose``, a stepped slice or ``expand`` usually is not)."""
    return V.is_contiguous(a)


def stride(a: Tensor, dim: int | None = None) -> tuple | int:
    """Elements to skip in storage to move one step along each dimension (or ``dim``)."""
    _, strides, _ = V.layout(a)
    if dim is None:
        return tuple(strides)
    return strides[wrap_dim(dim, len(strides))]


def storage_offset(a: Tensor) -> int:
    """Offset of the first element in the base's storage, in elements."""
    return V.layout(a)[2]


class UntypedStorage:
    """The storage a tensor and its views share, as far as identity goes: ``data_ptr()`` is
    equal for every view of one base and differs between bases."""

    __slots__ = ("_root",)

    def __init__(self, root: Tensor) -> None:
        self._root = root

    def data_ptr(self) -> int:
        """An address-like identity of the storage (not a real pointer)."""
        return id(self._root) * 16

    def nbytes(self) -> int:
        """Bytes of the base's elements."""
        return self._root.numel() * self._root.element_size()

    def size(self) -> int:
        """As :meth:`nbytes` (an untyped storage counts bytes)."""
        return self.nbytes()


def untyped_storage(a: Tensor) -> UntypedStorage:
    """The storage shared by ``a``, its base and the base's views."""
    return UntypedStorage(a._vbase if a._vbase is not None else a)


def data_ptr(a: Tensor) -> int:
    """``untyped_storage().data_ptr()`` plus the storage offset in bytes."""
    return untyped_storage(a).data_ptr() + storage_offset(a) * a.element_size()


def is_view(a: Tensor) -> bool:
    """Whether ``a`` is a view of another tensor (``_base`` is set); ``detach()`` and ``.data``
    share storage but are not views, as in PyTorch."""
    return a._vbase is not None and not a._untracked


def view_as(a: Tensor, other: Tensor) -> Tensor:
    """``self.view(other.shape)``."""
    return S.reshape(a, other._data.shape)


def reshape_as(a: Tensor, other: Tensor) -> Tensor:
    """``self.reshape(other.shape)``."""
    return S.reshape(a, other._data.shape)


def clamp_min(a: Tensor, min: Any) -> Tensor:
    """``max(self, min)`` elementwise (gradient passes where ``self > min``)."""
    return E.clamp(a, min=min)


def clamp_max(a: Tensor, max: Any) -> Tensor:
    """``min(self, max)`` elementwise (gradient passes where ``self < max``)."""
    return E.clamp(a, max=max)


def positive(a: Tensor) -> Tensor:
    """``+self``: the tensor itself."""
    return a


def resize_(a: Tensor, *sizes: Any, memory_format: Any = None) -> Tensor:
    """Give ``a`` the shape ``sizes`` in place, keeping its elements in memory order: a smaller
    size keeps the first elements, a larger one appends zeros (PyTorch leaves them
    uninitialised). A view takes the shape over its base's storage from its own offset."""
    shape = int_sizes("resize_", "size", sizes)
    if any(s < 0 for s in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(shape)}: "
                           f"{list(shape)}")
    if a.requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    if tuple(shape) == tuple(a._data.shape):
        return a
    numel = 1
    for s in shape:
        numel *= s
    root = a._vbase
    if root is not None:
        _, _, offset = V.layout(a)
        storage = root.numel()
        if offset + numel > storage:
            raise RuntimeError(
                f"resize_(): cannot grow the storage a view shares with its base: the view "
                f"needs {offset + numel} elements from its offset {offset}, the storage has "
                f"{storage}; clone() the view first")
        V.rebase_view(a, (("reshape", (storage,)), ("index", (slice(offset, offset + numel),)),
                          ("reshape", tuple(shape))))
        a._version = a._version + 1
        return a
    if a._views and V.live_views(a):
        raise RuntimeError("resize_(): cannot resize a tensor whose storage is shared with "
                           "live views; clone() it first")
    with no_grad():
        flat = S.reshape(a.detach(), -1)
        have = flat.numel()
        if numel <= have:
            flat = flat[:numel]
        else:
            flat = S.cat([flat, full((numel - have,), 0, dtype=a.dtype, device=a._backend)])
        a._data = S.reshape(E.clone(flat), tuple(shape))._data
    a._version = a._version + 1
    return a


def resize_as_(a: Tensor, other: Tensor, *, memory_format: Any = None) -> Tensor:
    """:meth:`resize_` to ``other``'s shape."""
    return resize_(a, tuple(other.shape))


_BOOL_OPS = {"and": ("logical_and", "&"), "or": ("logical_or", "|"), "xor": ("logical_xor", "^")}


def bitwise(kind: str) -> Any:
    """The ``&`` / ``|`` / ``^`` operator: logical on bool tensors and bools (PyTorch's result).
    Float tensors are refused, as PyTorch; so are integer ones (xgrad has no bitwise kernels:
    a logical result there would be a wrong answer)."""
    name, sym = _BOOL_OPS[kind]
    logical = getattr(E, name)

    def op(a: Tensor, other: Any) -> Tensor:
        for x in (a, other):
            dt = x.dtype if isinstance(x, Tensor) else None
            if dt is bool_ or (dt is None and x.__class__ is bool):
                continue
            what = dt.name if dt is not None else type(x).__name__
            raise RuntimeError(f'"bitwise_{kind}" (the `{sym}` operator) is only supported on '
                               f"bool tensors in xgrad, got {what}")
        return logical(a, other)

    op.__name__ = f"__{kind}__"
    op.__doc__ = f"``input {sym} other`` on bool tensors (logical {kind.upper()})."
    return op
