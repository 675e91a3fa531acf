"""xgrad: a PyTorch-style deep-learning framework over pluggable array backends.

``import xgrad as torch``-style code runs on numpy (``"cpu"``), cupy (``"cuda"``), the
pure-Python ``"reference"`` backend, or any backend registered through pluggy.
"""
from __future__ import annotations

import builtins as _builtins

from . import ops as _ops  # binds methods onto Tensor
from . import random_fill as _random_fill  # noqa: F401  (binds Tensor.uniform_, ...)
from . import shared_memory as _shared_memory  # noqa: F401  (binds Tensor.share_memory_)
from .amp import autocast
from .autograd import Function, enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .backend import Backend
from .compile import compile  # noqa: A004  (torch.compile's name; the package stays importable)
from .creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    ones,
    ones_like,
    tensor,
    zeros,
    zeros_like,
)
from .device import device, get_default_device, set_default_device
from .dtypes import (
    DType,
    bfloat16,
    float16,
    float32,
    float64,
    get_default_dtype,
    int32,
    int64,
    promote_types,
    set_default_dtype,
)
from .dtypes import bool_ as _bool_dtype
from .hookspecs import hookimpl, hookspec
from .legacy import BoolTensor, DoubleTensor, FloatTensor, HalfTensor, IntTensor, LongTensor
from .ops import table as _op_table
from .printing import set_printoptions
from .random import (
    Generator,
    bernoulli,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    multinomial,
    normal,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    seed,
    set_rng_state,
)
from .random_poisson import poisson
from .settings import (
    get_float32_matmul_precision,
    get_num_threads,
    set_float32_matmul_precision,
    set_num_threads,
)
from .shapes import broadcast_shapes as _broadcast_shapes
from .sparse import sparse_coo, sparse_coo_tensor, spmm, strided  # also binds Tensor.to_sparse
from .tensor import Size, Tensor
from .typeinfo import finfo, iinfo

__version__ = "0.1.0"

half, float, double = float16, float32, float64
int, long = int32, int64
bool = _bool_dtype
dtype = DType

# functional forms (torch.exp, torch.sum, ...), generated from the op table
globals().update(_op_table.functions())
broadcast_shapes = _broadcast_shapes


def is_tensor(obj: object) -> _builtins.bool:
    """Whether ``obj`` is an xgrad Tensor."""
    return isinstance(obj, Tensor)


def numel(t: Tensor) -> _builtins.int:
    """Number of elements of ``t``."""
    return t.numel()


def equal(a: Tensor, b: Tensor) -> _builtins.bool:
    """True if same shape and elements."""
    return a.shape == b.shape and _builtins.bool((a == b).all().item())


def from_dlpack(obj: object) -> Tensor:
    """Import an array through DLPack onto the matching backend (numpy for CPU arrays)."""
    from .interop import from_dlpack as _fd

    return _fd(obj)


def save(obj: object, f: object, pickle_module: object = None, pickle_protocol: _builtins.int = 2,
         _use_new_zipfile_serialization: _builtins.bool = True) -> None:
    """Save ``obj`` (state dicts, tensors, plain data; other objects pickled) as a safetensors
    file with JSON metadata, atomically when ``f`` is a path."""
    from .serialization import save as _save

    _save(obj, f, pickle_module, pickle_protocol, _use_new_zipfile_serialization)


def load(f: object, map_location: object = None, pickle_module: object = None, *,
         weights_only: _builtins.bool | None = None, mmap: _builtins.bool | None = None,
         **pickle_load_args: object) -> object:
    """Load what :func:`save` wrote, onto ``map_location`` (a device) if given; plain data only
    unless ``weights_only=False`` (see :func:`xgrad.serialization.load`)."""
    from .serialization import load as _load

    return _load(f, map_location, pickle_module, weights_only=weights_only, mmap=mmap,
                 **pickle_load_args)


def __getattr__(name: str) -> object:
    import importlib

    if name in ("nn", "optim", "utils", "autograd", "backends", "plugins", "conformance", "profiler",
                "testing", "cuda", "amp", "accelerator", "onnx", "distributed",
                "distributions", "serialization", "multiprocessing", "func"):
        return importlib.import_module(f"xgrad.{name}")
    raise AttributeError(f"module 'xgrad' has no attribute {name!r}")


from . import (
    autograd,  # noqa: E402
    backends,  # noqa: E402,F401
    linalg,  # noqa: E402,F401  (xgrad.linalg)
)
from . import derivatives as _derivatives  # noqa: E402  (fills the autograd rules table)
from . import derivatives_linalg as _derivatives_linalg  # noqa: E402  (the linalg rules)
from .autograd import functional as _autograd_functional  # noqa: E402,F401  (needs the ops)
