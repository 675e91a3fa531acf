"""A torch oracle for bad-input tests: one call written once for both libraries must give
PyTorch's outcome on xgrad — the same exception class (with a message naming the problem), or
the same values, shape and dtype."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import xgrad

CLASSES = (IndexError, TypeError, ValueError, RuntimeError)


class Lib:
    """xgrad on a backend, or torch: ``t`` the module, ``F`` its functional, ``nn`` its nn."""

    def __init__(self, t: Any, device: str | None = None) -> None:
        self.t, self.nn, self.F, self.device = t, t.nn, t.nn.functional, device

    def tensor(self, data: Any, dtype: str = "float32") -> Any:
        """``data`` as a tensor of ``dtype`` (a name) of this library."""
        arr = np.asarray(data, dtype=dtype)
        if self.device is None:
            return self.t.tensor(arr.tolist() if arr.ndim == 0 else arr,
                                 dtype=getattr(self.t, dtype))
        return self.t.tensor(arr, dtype=getattr(self.t, dtype), device=self.device)


def _outcome(lib: Lib, fn: Callable) -> tuple:
    try:
        if lib.device is None:
            out = fn(lib)
        else:
            with xgrad.device(lib.device):
                out = fn(lib)
    except Exception as e:  # noqa: BLE001 - the class is what is compared
        return "raise", e
    return "ok", out


def _norm(out: Any) -> Any:
    if hasattr(out, "detach") and hasattr(out, "shape"):
        arr = out.detach().cpu().numpy() if hasattr(out, "cpu") and not isinstance(
            out, xgrad.Tensor) else out.numpy()
        return (tuple(out.shape), str(out.dtype).split(".")[-1], np.asarray(arr))
    if isinstance(out, (tuple, list)):
        return tuple(_norm(o) for o in out)
    return out


def _family(e: BaseException) -> type | None:
    if isinstance(e, NotImplementedError):
        return RuntimeError
    return next((k for k in CLASSES if isinstance(e, k)), None)


def _assert_close(a: Any, b: Any) -> None:
    if isinstance(b, tuple) and len(b) == 3 and isinstance(b[2], np.ndarray):
        assert a[:2] == b[:2], f"shape/dtype {a[:2]} vs torch {b[:2]}"
        np.testing.assert_allclose(a[2].astype(np.float64), b[2].astype(np.float64),
                                   rtol=1e-5, atol=1e-6, equal_nan=True)
    elif isinstance(b, tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_close(x, y)
    else:
        assert a == b or (a != a and b != b), f"{a!r} vs torch {b!r}"


def assert_same(fn: Callable, device: str, match: str | None = None) -> None:
    """``fn(lib)`` on xgrad (on ``device``) has torch's outcome. When torch raises, xgrad must
    raise the same class (``NotImplementedError`` counts as RuntimeError), whose message
    contains ``match`` when given."""
    import torch

    tk, tv = _outcome(Lib(torch), fn)
    xk, xv = _outcome(Lib(xgrad, device), fn)
    if tk == "raise":
        assert xk == "raise", f"torch raises {type(tv).__name__}: {tv}; xgrad returns {xv!r}"
        assert isinstance(xv, _family(tv) or Exception), (f"xgrad {type(xv).__name__}: {xv} vs torch "
                                            f"{type(tv).__name__}: {tv}")
        if match is not None:
            assert match in str(xv), f"{match!r} not in {str(xv)!r}"
        return
    assert xk == "ok", f"xgrad raises {type(xv).__name__}: {xv}; torch returns {tv!r}"
    _assert_close(_norm(xv), _norm(tv))
