"""``xgrad.cuda``: the ``torch.cuda`` calls that training scripts make, on xgrad's backends.

CUDA here means xgrad's cupy backend (device strings ``"cuda"`` / ``"cupy"``). Every call
works without a GPU, as in PyTorch: ``is_available()`` is ``False``, ``device_count()`` is 0,
the memory statistics are 0 and ``manual_seed`` / ``empty_cache`` are harmless. With cupy
and a CUDA device the memory numbers come from cupy's default memory pool.

xgrad has one random stream for all backends (a counter-based generator that gives the same
numbers on every device), so ``manual_seed`` and ``manual_seed_all`` seed that stream.
"""
from __future__ import annotations

from typing import Any

from .. import accelerator as _acc
from .. import random as _random
from . import amp

__all__ = ["is_available", "device_count", "current_device", "set_device", "get_device_name",
           "get_device_capability", "is_bf16_supported", "synchronize", "manual_seed",
           "manual_seed_all", "seed", "seed_all", "initial_seed", "memory_allocated",
           "max_memory_allocated", "memory_reserved", "max_memory_reserved",
           "reset_peak_memory_stats", "empty_cache", "amp"]

_peak = {"allocated": 0, "reserved": 0}


def is_available() -> bool:
    """Whether a CUDA backend (cupy) is registered and usable on this machine."""
    return _acc.cuda_available()


def device_count() -> int:
    """Number of visible CUDA devices (0 without cupy or a GPU)."""
    return _acc.cuda_device_count()


def _lazy_init(what: str) -> Any:
    cp = _acc.cupy_module()
    if cp is None:
        st = _acc.cuda_status()
        why = st["reason"] if st and st.get("reason") else "no CUDA backend is registered"
        raise RuntimeError(f"xgrad.cuda.{what}: CUDA is not available ({why})")
    return cp


def _index(device: Any) -> int:
    if device is None:
        return current_device()
    if isinstance(device, int):
        return device
    idx = getattr(device, "index", None)
    if idx is not None:
        return int(idx)
    _, _, tail = str(device).partition(":")
    return int(tail) if tail else current_device()


def current_device() -> int:
    """Index of the current CUDA device (raises RuntimeError without CUDA, as PyTorch)."""
    cp = _lazy_init("current_device")
    return int(cp.cuda.runtime.getDevice())


def set_device(device: Any) -> None:
    """Make ``device`` (an index, ``"cuda:N"`` or an xgrad.device) the current CUDA device."""
    cp = _lazy_init("set_device")
    cp.cuda.runtime.setDevice(_index(device))


def get_device_name(device: Any = None) -> str:
    """The GPU's model name (raises RuntimeError without CUDA, as PyTorch)."""
    cp = _lazy_init("get_device_name")
    props = cp.cuda.runtime.getDeviceProperties(_index(device))
    name = props["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def get_device_capability(device: Any = None) -> tuple[int, int]:
    """``(major, minor)`` compute capability of the GPU."""
    cp = _lazy_init("get_device_capability")
    props = cp.cuda.runtime.getDeviceProperties(_index(device))
    return int(props["major"]), int(props["minor"])


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """Whether bfloat16 is usable on the CUDA backend. ``xgrad.bfloat16`` exists on the numpy
    backend (through ml_dtypes) but the cupy backend does not store it, so this is ``False``;
    code that picks bf16 when supported falls back to float16/float32."""
    return False


def synchronize(device: Any = None) -> None:
    """Wait for all queued GPU work; a no-op without CUDA."""
    _acc.cuda_synchronize()


def manual_seed(seed: int) -> None:
    """Seed xgrad's random stream (shared by every backend). Harmless without a GPU."""
    _random.manual_seed(int(seed))


def manual_seed_all(seed: int) -> None:
    """Same as :func:`manual_seed`: xgrad has one stream for all devices."""
    manual_seed(seed)


def seed() -> None:
    """Seed xgrad's random stream from OS entropy."""
    _random.seed()


seed_all = seed


def initial_seed() -> int:
    """The seed of xgrad's random stream."""
    return _random.initial_seed()


def _pool() -> Any:
    cp = _acc.cupy_module()
    return None if cp is None else cp.get_default_memory_pool()


def memory_allocated(device: Any = None) -> int:
    """Bytes held by live arrays in cupy's memory pool (0 without a GPU)."""
    pool = _pool()
    if pool is None:
        return 0
    used = int(pool.used_bytes())
    _peak["allocated"] = max(_peak["allocated"], used)
    return used


def max_memory_allocated(device: Any = None) -> int:
    """The largest :func:`memory_allocated` seen since start or the last
    :func:`reset_peak_memory_stats` (cupy keeps no peak, so xgrad samples it on each call)."""
    memory_allocated(device)
    return _peak["allocated"]


def memory_reserved(device: Any = None) -> int:
    """Bytes cupy's memory pool holds from the driver, used or cached (0 without a GPU)."""
    pool = _pool()
    if pool is None:
        return 0
    total = int(pool.total_bytes())
    _peak["reserved"] = max(_peak["reserved"], total)
    return total


def max_memory_reserved(device: Any = None) -> int:
    """The largest :func:`memory_reserved` seen since the last reset."""
    memory_reserved(device)
    return _peak["reserved"]


def reset_peak_memory_stats(device: Any = None) -> None:
    """Restart the peak statistics from the current usage."""
    _peak["allocated"] = 0
    _peak["reserved"] = 0
    memory_allocated(device)
    memory_reserved(device)


def empty_cache() -> None:
    """Return cupy's cached, unused blocks to the driver; a no-op without a GPU."""
    pool = _pool()
    if pool is not None:
        pool.free_all_blocks()
        try:
            import cupy

            cupy.get_default_pinned_memory_pool().free_all_blocks()
        except Exception:  # noqa: BLE001
            pass
