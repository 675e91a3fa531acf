"""The Tensor: a native array of one backend, plus its place in the autograd graph."""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np  # host conversion only

from . import device_checks as _device_checks
from . import printing as _printing
from .backend import Backend
from .backend_index import unsupported_dtype_message
from .device import device_cls, resolve
from .device_checks import PENDING as _PENDING_CHECKS
from .dtypes import (
    DType,
    bfloat16,
    bool_,
    dtype_from_name,
    float16,
    float32,
    float64,
    get_default_dtype,
    int32,
    int64,
)
from .shapes import Size, int_sizes, wrap_dim

__all__ = ["Tensor", "Size", "wrap", "from_data"]

_new = object.__new__


_HOST_BACKENDS = frozenset({"numpy", "reference"})


class Tensor:
    """A multi-dimensional array with autograd, PyTorch-style.

    Only four attributes are set on every op (data, backend, graph node, requires-grad);
    the rest live on the class until first written, keeping op dispatch cheap.
    """

    __slots__ = ("_data", "_backend", "_node", "_rg", "__dict__", "__weakref__")
    __array_priority__ = 1000  # numpy defers ``ndarray op Tensor`` to our reflected ops

    grad: Tensor | None = None
    _version = 0
    _oidx = 0
    _hooks = None
    _post_hooks = None
    #: ``[(seq, node, output index), ...]``: the graph positions this tensor held before
    #: in-place ops rebased it; nodes created before ``seq`` still see the old position.
    _inplace_log = None
    #: View bookkeeping (see :mod:`xgrad.ops.views`): the base whose storage a view shares,
    #: the view steps from that base, a base's weak references to its views, and whether
    #: the view tracks history (``detach()``/``.data`` do not).
    _vbase = None
    _steps = ()
    _views = None
    _untracked = False

    def __init__(self, *args: Any, data: Any = None, dtype: DType | None = None,
                 device: Any = None, requires_grad: bool = False) -> None:
        """``Tensor(data)`` copies a sequence/array/tensor (integers become the default float
        dtype); ``Tensor(2, 3)`` or ``Tensor(xgrad.Size([2, 3]))`` makes a tensor of that shape
        (zeros: PyTorch leaves it uninitialised); ``Tensor()`` is empty."""
        data = _legacy_data(args if data is None else (*args, data))
        t = from_data(data, dtype, device, float_default=True)
        self._data = t._data
        self._backend = t._backend
        self._node = None
        self._rg = bool(requires_grad)

    @staticmethod
    def _make_subclass(cls: type, data: Tensor, require_grad: bool = False) -> Any:
        """A new leaf instance of Tensor subclass ``cls`` sharing ``data``'s storage and device,
        with ``requires_grad=require_grad`` (PyTorch's ``Tensor._make_subclass``: how
        ``nn.Parameter`` and ``nn.Buffer`` are built)."""
        if not isinstance(data, Tensor):
            raise TypeError(f"_make_subclass(): expected data to be a Tensor, got "
                            f"{type(data).__name__}")
        if not (isinstance(cls, type) and issubclass(cls, Tensor)):
            raise TypeError(f"_make_subclass(): cls must be a subclass of Tensor, got {cls!r}")
        t = _new(cls)
        t._data = data._data
        t._backend = data._backend
        t._node = None
        t._rg = False
        if require_grad:
            t.requires_grad = True
        return t

    # ---- properties -------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        """The tensor's dimensions, as an :class:`xgrad.Size`."""
        return Size(self._data.shape)

    def size(self, dim: int | None = None) -> Size | int:
        """The shape, or the length of dimension ``dim``."""
        shape = self._data.shape
        if dim is None:
            return Size(shape)
        return shape[wrap_dim(dim, len(shape))]

    @property
    def dtype(self) -> DType:
        """The element type (``xgrad.float32``, ``xgrad.int64``, ...)."""
        return self._backend.dtype(self._data)

    @property
    def device(self) -> device_cls:
        """Where the data lives: the backend, as an :class:`xgrad.device`."""
        d = _new(device_cls)
        d.backend = self._backend
        return d

    @property
    def backend(self) -> Backend:
        """The Backend instance holding this tensor's data."""
        return self._backend

    @property
    def ndim(self) -> int:
        """Number of dimensions (as :meth:`dim`)."""
        return len(self._data.shape)

    def dim(self) -> int:
        """Number of dimensions."""
        return len(self._data.shape)

    def numel(self) -> int:
        """Number of elements."""
        n = 1
        for s in self._data.shape:
            n *= s
        return n

    nelement = numel

    @property
    def is_cuda(self) -> bool:
        """Whether the tensor lives on the cupy (CUDA) backend."""
        return self._backend.name == "cupy"

    @property
    def is_cpu(self) -> bool:
        """Whether the tensor lives in host memory (the numpy or the reference backend)."""
        return self._backend.name in _HOST_BACKENDS

    # PyTorch's flags for device kinds and layouts xgrad has none of: always False
    is_xpu = is_mps = is_meta = is_mkldnn = is_quantized = is_sparse = is_sparse_csr = \
        is_nested = is_ipu = is_xla = is_vulkan = is_mtia = is_maia = property(
            lambda self: False, doc="False: xgrad has no such device kind or layout.")

    @property
    def requires_grad(self) -> bool:
        """Whether autograd records operations on this tensor (settable on leaves)."""
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self._node is not None and not value:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach().")
        if value and not self.dtype.is_floating_point:
            raise RuntimeError(
                f"only Tensors of floating point dtype can require gradients, got {self.dtype}")
        self._rg = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place; returns self."""
        self.requires_grad = requires_grad
        return self

    @property
    def grad_fn(self):
        """The graph node that produced this tensor (None for leaves)."""
        return self._node

    @property
    def is_leaf(self) -> bool:
        """Whether the tensor was not produced by a recorded op (user-created or detached)."""
        return self._node is None

    @property
    def _base(self) -> Tensor | None:
        """The tensor whose storage this view shares (None unless this is a view; the
        aliases ``detach()`` and ``.data`` are not views, as in PyTorch)."""
        return None if self._untracked else self._vbase

    @property
    def data(self) -> Tensor:
        """The same values, detached from autograd (assigning swaps the storage untracked)."""
        return self.detach()

    @data.setter
    def data(self, value: Tensor) -> None:
        self._data = value._data
        self._backend = value._backend

    # ---- conversion -------------------------------------------------------------------
    def numpy(self, *, force: bool = False):
        """The values as a host numpy array.

        On the numpy backend the array shares memory with the tensor, as PyTorch's CPU
        tensors do: later untracked in-place ops (and writes through views) show in it,
        except on ``diagonal``/``unfold`` views, which hold a gathered copy. On every other
        backend (reference, cupy, third-party) it is a copy."""
        if _PENDING_CHECKS:
            _device_checks.raise_pending()
        return self._backend.to_numpy(self._data)

    def item(self) -> float | int | bool:
        """The value of a one-element tensor as a Python number."""
        if self.numel() != 1:
            raise RuntimeError(
                f"a Tensor with {self.numel()} elements cannot be converted to Scalar")
        if _PENDING_CHECKS:
            _device_checks.raise_pending()
        return self._backend.to_numpy(self._data).reshape(()).item()

    def tolist(self) -> Any:
        """Values as (nested) Python lists."""
        if _PENDING_CHECKS:
            _device_checks.raise_pending()
        return self._backend.to_numpy(self._data).tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.numel() != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {self.numel()} elements is ambiguous")
        return bool(self.item())

    def __index__(self) -> int:
        if self.dtype.is_floating_point or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __len__(self) -> int:
        if not self._data.shape:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if not self._data.shape:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    __hash__ = object.__hash__  # identity, as torch.Tensor (== is elementwise)

    def __array__(self, dtype=None, copy=None):
        if _PENDING_CHECKS:
            _device_checks.raise_pending()
        arr = self._backend.to_numpy(self._data)
        return arr.astype(dtype) if dtype is not None else arr

    def __dlpack__(self, **kwargs):
        return self._data.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def __repr__(self) -> str:
        """PyTorch's layout, under the options of :func:`xgrad.set_printoptions`."""
        if _PENDING_CHECKS:
            _device_checks.raise_pending()
        arr = self._backend.to_numpy(self._data)
        dt = self.dtype
        prefix = "tensor("
        suffixes = []
        if self._backend.name != "numpy":
            suffixes.append(f"device='{self._backend.device}'")
        if arr.size == 0:
            if arr.ndim != 1:
                suffixes.append(f"size={tuple(arr.shape)}")
            if dt is not get_default_dtype():
                suffixes.append(f"dtype={dt!r}")
        else:
            if _printing.edgeitems_hidden():
                suffixes.append(f"size={tuple(arr.shape)}")
            if dt not in (get_default_dtype(), int64, bool_):
                suffixes.append(f"dtype={dt!r}")
        if self._node is not None:
            suffixes.append(f"grad_fn={self._node!r}")
        elif self._rg:
            suffixes.append("requires_grad=True")
        body = _printing.format_array(arr, dt.is_floating_point, len(prefix))
        return _printing.add_suffixes(prefix + body, suffixes, len(prefix))

    __str__ = __repr__

    def __format__(self, format_spec: str) -> str:
        """``f"{t:.4f}"``: a 0-d tensor formats its Python value; an empty spec gives
        ``str(t)``; a non-empty spec on a tensor with dimensions raises TypeError (as PyTorch)."""
        if self._data.shape == ():
            return format(self.item(), format_spec)
        return object.__format__(self, format_spec)

    def __reduce_ex__(self, protocol):
        """Pickled by value (class, host values, device, ``requires_grad``, public attributes),
        as PyTorch pickles tensors; a non-leaf arrives as a leaf. :mod:`xgrad.multiprocessing`
        sends shared tensors by reference instead. Checkpoints: :func:`xgrad.save`."""
        attrs = {k: v for k, v in self.__dict__.items() if not k.startswith("_")}
        return _rebuild_tensor, (type(self), self._backend.to_numpy(self._data), self.dtype.name,
                                 self._backend.device, self.requires_grad, attrs)

    def __deepcopy__(self, memo):
        t = self.detach().clone()
        t._rg = self._rg
        memo[id(self)] = t
        return t

    def __copy__(self):
        return self.__deepcopy__({})

    # dtype shortcuts
    def float(self, memory_format: Any = None) -> Tensor:
        """Cast to float32."""
        return self.to(float32)

    def double(self, memory_format: Any = None) -> Tensor:
        """Cast to float64."""
        return self.to(float64)

    def half(self, memory_format: Any = None) -> Tensor:
        """Cast to float16."""
        return self.to(float16)

    def long(self, memory_format: Any = None) -> Tensor:
        """Cast to int64."""
        return self.to(int64)

    def int(self, memory_format: Any = None) -> Tensor:
        """Cast to int32."""
        return self.to(int32)

    def bool(self, memory_format: Any = None) -> Tensor:
        """Cast to bool."""
        return self.to(bool_)

    def bfloat16(self, memory_format: Any = None) -> Tensor:
        """Cast to bfloat16 (on numpy this needs the optional ``ml_dtypes`` package)."""
        return self.to(bfloat16)

    def short(self, memory_format: Any = None) -> Tensor:
        """``int16`` in PyTorch; xgrad has no int16 dtype, so this raises TypeError."""
        raise _no_dtype("short", "int16")

    def byte(self, memory_format: Any = None) -> Tensor:
        """``uint8`` in PyTorch; xgrad has no uint8 dtype, so this raises TypeError."""
        raise _no_dtype("byte", "uint8")

    def char(self, memory_format: Any = None) -> Tensor:
        """``int8`` in PyTorch; xgrad has no int8 dtype, so this raises TypeError."""
        raise _no_dtype("char", "int8")

    # ---- new tensors like this one: same dtype and device unless overridden ---------------
    def _new_filled(self, fn: str, size: tuple, value: Any, dtype: Any, device: Any,
                    requires_grad: bool) -> Tensor:
        shape = int_sizes(fn, "size", size)
        if any(n < 0 for n in shape):
            raise RuntimeError(f"Trying to create tensor with negative dimension {min(shape)}: "
                               f"{list(shape)}")
        be = self._backend if device is None else resolve(device)
        dt = self.dtype if dtype is None else dtype_from_name(dtype)
        if dt not in be.dtypes:
            raise _unsupported(be, dt)
        out = wrap(be.full(shape, value, dt), be)
        return out.requires_grad_(True) if requires_grad else out

    def new_zeros(self, *size: Any, dtype: Any = None, device: Any = None,
                  requires_grad: bool = False, layout: Any = None, pin_memory: bool = False) -> Tensor:
        """Zeros of ``size`` with this tensor's dtype and device (unless given)."""
        return self._new_filled("new_zeros", size, 0, dtype, device, requires_grad)

    def new_ones(self, *size: Any, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False, layout: Any = None, pin_memory: bool = False) -> Tensor:
        """Ones of ``size`` with this tensor's dtype and device (unless given)."""
        return self._new_filled("new_ones", size, 1, dtype, device, requires_grad)

    def new_empty(self, *size: Any, dtype: Any = None, device: Any = None,
                  requires_grad: bool = False, layout: Any = None, pin_memory: bool = False) -> Tensor:
        """A tensor of ``size`` with this tensor's dtype and device (unless given); its values
        are unspecified (zeros here)."""
        return self._new_filled("new_empty", size, 0, dtype, device, requires_grad)

    def new_full(self, size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False, layout: Any = None, pin_memory: bool = False) -> Tensor:
        """``fill_value`` everywhere, in a tensor of ``size`` (a tuple or list of ints) with this
        tensor's dtype and device (unless given)."""
        if not isinstance(size, (tuple, list)):
            raise TypeError(f"new_full(): argument 'size' (position 1) must be tuple of ints, "
                            f"not {type(size).__name__}")
        if isinstance(fill_value, Tensor):
            fill_value = fill_value.item()
        return self._new_filled("new_full", (size,), fill_value, dtype, device, requires_grad)

    def new_tensor(self, data: Any, *, dtype: Any = None, device: Any = None,
                   requires_grad: bool = False, layout: Any = None, pin_memory: bool = False) -> Tensor:
        """A new leaf tensor holding a copy of ``data``, in this tensor's dtype and on its
        device unless ``dtype``/``device`` are given (as PyTorch, the dtype is not inferred
        from ``data``)."""
        if isinstance(data, Tensor):
            warnings.warn("To copy construct from a tensor, it is recommended to use "
                          "sourceTensor.detach().clone() or "
                          "sourceTensor.detach().clone().requires_grad_(True), rather than "
                          "tensor.new_tensor(sourceTensor).", UserWarning, stacklevel=2)
        out = from_data(data, self.dtype if dtype is None else dtype,
                        self._backend if device is None else device)
        return out.requires_grad_(True) if requires_grad else out

    def type(self, dtype: Any = None):
        """The dtype's name, or a cast to ``dtype``."""
        if dtype is None:
            return f"xgrad.{self.dtype.name}"
        return self.to(dtype)

    def is_floating_point(self) -> bool:
        """Whether the dtype is a floating-point type."""
        return self.dtype.is_floating_point

    def element_size(self) -> int:
        """Bytes per element."""
        return self.dtype.itemsize

    def cpu(self) -> Tensor:
        """Copy to the numpy backend (host memory)."""
        return self.to("numpy")

    def cuda(self, device: int | None = None) -> Tensor:
        """Copy to the cupy backend."""
        return self.to("cuda" if device is None else f"cuda:{device}")

    def get_device(self) -> int:
        """Device index (-1 on the host)."""
        _, _, idx = self._backend.device.partition(":")
        return int(idx) if idx else (0 if self._backend.name == "cupy" else -1)


def _rebuild_tensor(cls: type, values: np.ndarray, dtype: str, device: str,
                    requires_grad: bool, attrs: dict) -> Tensor:
    """Unpickling side of :meth:`Tensor.__reduce_ex__`."""
    t = from_data(values, dtype_from_name(dtype), device)
    if cls is not Tensor:
        t = Tensor._make_subclass(cls, t, False)
    t.__dict__.update(attrs)
    if requires_grad:
        t.requires_grad = True
    return t


def _no_dtype(method: str, torch_dtype: str) -> TypeError:
    return TypeError(f"Tensor.{method}() casts to {torch_dtype} in PyTorch, but xgrad has no "
                     f"{torch_dtype} dtype; supported: float16, bfloat16, float32, float64, int32, "
                     "int64, bool (e.g. use .int() or .long() for integers)")


# ---- constructor helpers: the only places that build a Tensor around a native array -------
def wrap(data: Any, be: Backend) -> Tensor:
    """A new tensor without history around ``be``'s native array ``data`` (no copy)."""
    t = _new(Tensor)
    t._data = data
    t._backend = be
    t._node = None
    t._rg = False
    return t


_NP_TO_X = {np.dtype(np.float16): float16, np.dtype(np.float32): float32,
            np.dtype(np.float64): float64, np.dtype(np.int32): int32, np.dtype(np.int64): int64,
            np.dtype(np.bool_): bool_, np.dtype(np.int8): int64, np.dtype(np.int16): int64,
            np.dtype(np.uint8): int64, np.dtype(np.uint16): int64, np.dtype(np.uint32): int64}


def _host_array(data: Any) -> np.ndarray:
    if isinstance(data, Tensor):
        return data._backend.to_numpy(data._data)
    if isinstance(data, (list, tuple)) and data and any(isinstance(d, Tensor) for d in data):
        data = [_host_array(d) for d in data]
    try:
        arr = np.asarray(data)
    except ValueError as exc:
        raise ValueError(f"could not build a tensor from {type(data).__name__}: ragged nested "
                         f"sequence (sub-sequences of different lengths): {exc}") from None
    if arr.dtype == object:
        raise TypeError(f"could not build a tensor from {type(data).__name__}: ragged or "
                        "non-numeric nested sequence")
    if arr.dtype.kind == "c":  # whatever dtype is asked for: xgrad has no complex dtypes
        raise TypeError(f"can't convert a numpy array of dtype {arr.dtype}; supported: float16, "
                        f"float32, float64, int32, int64, bool (xgrad has no complex dtypes)")
    return arr


def _infer_dtype(arr: np.ndarray, data: Any, float_default: bool) -> DType:
    kind = arr.dtype.kind
    if kind == "f" and not isinstance(data, np.ndarray) and not (
            isinstance(data, np.generic)):
        return get_default_dtype()  # Python floats -> default dtype
    if kind in "iu" and float_default:
        return get_default_dtype()
    try:
        return _NP_TO_X[arr.dtype]
    except KeyError:
        raise TypeError(f"can't convert a numpy array of dtype {arr.dtype}; supported: float16, "
                        "float32, float64, int32, int64, bool (and smaller ints)") from None


def _legacy_data(args: tuple) -> Any:
    """What PyTorch's legacy constructor ``Tensor(*args)`` means: ints (or one Size) are a
    shape, one sequence/array/tensor is data, a lone number or string is refused."""
    if not args or (len(args) == 1 and args[0] is None):
        return []
    if all(type(a) is int or (isinstance(a, np.integer)) for a in args) or \
            (len(args) == 1 and isinstance(args[0], Size)):
        shape = tuple(int(a) for a in (args[0] if isinstance(args[0], Size) else args))
        if any(n < 0 for n in shape):
            raise RuntimeError(f"Trying to create tensor with negative dimension "
                               f"{min(shape)}: {list(shape)}")
        return np.zeros(shape, dtype=np.float32)
    if len(args) == 1:
        data = args[0]
        if isinstance(data, str):
            raise TypeError("new(): invalid data type 'str'")
        if isinstance(data, (bool, int, float, complex)):
            raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
        return data
    got = ", ".join(type(a).__name__ for a in args)
    raise TypeError(f"new() received an invalid combination of arguments - got ({got}), but "
                    "expected one of: (*, device), (tuple of ints size, *, device), "
                    "(object data, *, device)")


def _unsupported(be: Backend, dt: DType) -> TypeError:
    return TypeError(unsupported_dtype_message(be, dt))


def from_data(data: Any, dtype: Any, device: Any, float_default: bool = False) -> Tensor:
    """A new leaf tensor holding a copy of ``data`` (nested sequences, numbers, numpy arrays,
    tensors of any backend) on ``device`` (None: the current default device).

    ``float_default`` makes integer data default to the default float dtype, as
    ``xgrad.Tensor(...)`` does; ``xgrad.tensor(...)`` keeps int64.
    """
    be = resolve(device)
    if dtype is not None:
        dtype = dtype_from_name(dtype)
    if isinstance(data, Tensor):
        src, sbe = data._data, data._backend
        dt = dtype or sbe.dtype(src)
        if dt not in be.dtypes:
            raise _unsupported(be, dt)
        if sbe is be:
            return wrap(be.copy(src) if be.dtype(src) is dt else be.cast(src, dt), be)
        return wrap(be.from_numpy(sbe.to_numpy(src), dt), be)
    arr = _host_array(data)
    dt = dtype or _infer_dtype(arr, data, float_default and not isinstance(data, np.ndarray))
    if dt not in be.dtypes:
        raise _unsupported(be, dt)
    return wrap(be.from_numpy(arr, dt), be)
