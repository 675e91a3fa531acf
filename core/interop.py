"""DLPack import: share memory with numpy, cupy, torch, jax... without copying.

Export needs no code here: ``Tensor.__dlpack__`` and ``Tensor.__dlpack_device__`` hand out
the native array's, so ``torch.from_dlpack(xgrad_tensor)`` and ``numpy.from_dlpack(t)``
work directly.
"""
from __future__ import annotations

from typing import Any

from .dtypes import ALL_DTYPES
from .registry import get_backend
from .tensor import Tensor, wrap

__all__ = ["from_dlpack"]

# DLDeviceType codes (dlpack.h)
_CPU, _CUDA, _CUDA_HOST, _CUDA_MANAGED = 1, 2, 3, 13
_DEVICE_NAMES = {1: "CPU", 2: "CUDA", 3: "CUDA host", 4: "OpenCL", 7: "Vulkan", 8: "Metal",
                 9: "VPI", 10: "ROCm", 11: "ROCm host", 13: "CUDA managed", 14: "oneAPI"}


def from_dlpack(obj: Any) -> Tensor:
    """A tensor sharing memory with ``obj``, any object implementing the DLPack protocol
    (``__dlpack__`` and ``__dlpack_device__``): a numpy or cupy array, a torch or jax
    tensor. CPU memory lands on the numpy backend, CUDA memory on ``cupy:N``. The result has
    no autograd history (as ``torch.from_dlpack``)."""
    if isinstance(obj, Tensor):
        return wrap(obj._data, obj._backend)
    if not (hasattr(obj, "__dlpack__") and hasattr(obj, "__dlpack_device__")):
        raise TypeError(
            "from_dlpack expected an object implementing the DLPack protocol (__dlpack__ and "
            "__dlpack_device__: a numpy/cupy array, a torch or jax tensor), but got "
            f"{type(obj).__module__}.{type(obj).__qualname__}")
    dev_type, dev_id = (int(v) for v in obj.__dlpack_device__())
    if dev_type in (_CPU, _CUDA_HOST):
        import numpy

        be = get_backend("numpy")
        arr = numpy.from_dlpack(obj)
    elif dev_type in (_CUDA, _CUDA_MANAGED):
        be = get_backend(f"cupy:{dev_id}")
        with be.xp.cuda.Device(dev_id):
            arr = be.xp.from_dlpack(obj)
    else:
        name = _DEVICE_NAMES.get(dev_type, "unknown")
        raise ValueError(
            f"from_dlpack: the object lives on DLPack device type {dev_type} ({name}), "
            f"device {dev_id}; xgrad can import CPU memory (numpy backend) and CUDA memory "
            "(cupy backend). Copy it to the CPU first.")
    try:
        be.dtype(arr)
    except TypeError:
        raise TypeError(
            f"from_dlpack: xgrad has no dtype for {arr.dtype}; supported dtypes: "
            f"{', '.join(d.name for d in ALL_DTYPES)}. Convert it first (e.g. .astype)"
        ) from None
    return wrap(arr, be)
