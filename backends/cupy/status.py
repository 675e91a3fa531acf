"""Why the cupy backend can or cannot be used here, without importing cupy eagerly."""
from __future__ import annotations

import importlib.util


def unavailable_reason() -> str | None:
    """``None`` when cupy and a CUDA device are usable, else the reason."""
    if importlib.util.find_spec("cupy") is None:
        return "cupy is not installed; pip install 'xgrad[cuda]'"
    try:
        import cupy

        n = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # noqa: BLE001 - any CUDA runtime failure means unusable
        return f"no CUDA device visible ({type(exc).__name__}: {exc})"
    if n < 1:
        return "no CUDA device visible"
    return None
