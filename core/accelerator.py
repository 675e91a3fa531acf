"""``xgrad.accelerator``: which accelerator (if any) this process can use, as ``torch.accelerator``.

xgrad's accelerator is CUDA through the cupy backend; the CPU backends (numpy, reference)
are not accelerators, so without a GPU ``current_accelerator()`` is ``None``. The CUDA
probing shared by :mod:`xgrad.cuda` and :mod:`xgrad.amp` lives here.
"""
from __future__ import annotations

from typing import Any

from . import device_checks as _device_checks
from .device import device as _device
from .registry import available as _registry_available
from .registry import get_backend as _get_backend

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index",
           "synchronize"]

_CUPY = "cupy"


def cuda_status() -> dict | None:
    """The registry's availability entry for the CUDA (cupy) backend, or None if unregistered."""
    table = _registry_available()
    if _CUPY in table:
        return table[_CUPY]
    for entry in table.values():
        if "cuda" in entry.get("aliases", ()):
            return entry
    return None


def cuda_available() -> bool:
    """Whether a CUDA backend (cupy) is registered and usable on this machine."""
    st = cuda_status()
    return bool(st and st["available"])


def cupy_module() -> Any:
    """The cupy module when a CUDA device is usable, else None (never raises)."""
    if not cuda_available():
        return None
    try:
        import cupy
    except Exception:  # noqa: BLE001 - an unusable install reads as "no GPU"
        return None
    return cupy


def cuda_device_count() -> int:
    """Number of visible CUDA devices (0 without cupy or a GPU)."""
    cp = cupy_module()
    if cp is None:
        return 0
    try:
        return int(cp.cuda.runtime.getDeviceCount())
    except Exception:  # noqa: BLE001
        return 0


def cuda_synchronize() -> None:
    """Wait for queued CUDA work (a no-op without CUDA), then raise any failed deferred
    device-side check (:mod:`xgrad.device_checks`)."""
    if cupy_module() is not None:
        _get_backend("cuda").synchronize()
    _device_checks.raise_pending()


def is_available() -> bool:
    """Whether an accelerator backend (CUDA via cupy) is usable."""
    return cuda_available()


def current_accelerator(check_available: bool = False) -> Any:
    """The accelerator's device (``xgrad.device("cuda")``), or ``None`` when there is none."""
    return _device("cuda") if cuda_available() else None


def device_count() -> int:
    """Number of accelerator devices (0 without one)."""
    return cuda_device_count()


def current_device_index() -> int:
    """Index of the current accelerator device (-1 without one)."""
    cp = cupy_module()
    return -1 if cp is None else int(cp.cuda.runtime.getDevice())


def synchronize(device: Any = None) -> None:
    """Wait for queued accelerator work; a no-op without an accelerator."""
    cuda_synchronize()
