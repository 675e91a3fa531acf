"""Process-wide knobs PyTorch scripts set: float32 matmul precision and the CPU thread count.

``set_float32_matmul_precision`` records the choice (``get_`` returns it); xgrad's backends
always compute float32 matmuls in float32 today, so it changes no results.

``set_num_threads`` limits the threads of the BLAS/OpenMP pools numpy uses, through
threadpoolctl when it is installed (an optional dependency); without it the value is only
recorded. ``get_num_threads`` returns the last value set, else what the pools report, else
``OMP_NUM_THREADS`` or the CPU count.
"""
from __future__ import annotations

import os
import warnings
from typing import Any

__all__ = ["set_float32_matmul_precision", "get_float32_matmul_precision", "set_num_threads",
           "get_num_threads"]

_PRECISIONS = ("highest", "high", "medium")
_state: dict[str, Any] = {"precision": "highest", "threads": None, "limiter": None}


def set_float32_matmul_precision(precision: str) -> None:
    """Record the float32 matmul precision (``"highest"``, ``"high"`` or ``"medium"``); any
    other value warns and changes nothing, as PyTorch."""
    if precision not in _PRECISIONS:
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the "
                      "set_float32_matmul_precision call has no effect.", UserWarning, stacklevel=2)
        return
    _state["precision"] = precision


def get_float32_matmul_precision() -> str:
    """The float32 matmul precision last set (default ``"highest"``)."""
    return _state["precision"]


def _threadpoolctl() -> Any:
    try:
        import threadpoolctl
    except ImportError:
        return None
    return threadpoolctl


def set_num_threads(n: int) -> None:
    """Use ``n`` threads for CPU math (numpy's BLAS/OpenMP pools, via threadpoolctl if
    installed)."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    if n <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    tpc = _threadpoolctl()
    if tpc is not None:
        _state["limiter"] = tpc.threadpool_limits(limits=n)  # kept alive: the limit stays
    _state["threads"] = n


def get_num_threads() -> int:
    """Threads used for CPU math."""
    if _state["threads"] is not None:
        return _state["threads"]
    tpc = _threadpoolctl()
    if tpc is not None:
        counts = [p.get("num_threads", 0) for p in tpc.threadpool_info()]
        if counts:
            return max(counts)
    env = os.environ.get("OMP_NUM_THREADS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    return os.cpu_count() or 1
