"""How tensors print, with PyTorch's print options (``xgrad.set_printoptions``).

The layout follows PyTorch's: floats whose finite non-zero values are all integral print as
``1.``; otherwise ``precision`` fixed decimals, or scientific notation when the largest
magnitude is over 1e8, the smallest under 1e-4 or their ratio over 1000 (``sci_mode``
forces it either way). Every element is right-aligned to one width, rows wrap at
``linewidth``, and a tensor of more than ``threshold`` elements is summarised to
``edgeitems`` entries at each end of every dimension.

This module works on host numpy arrays (printing is host conversion) and knows nothing of
Tensor, so the Tensor class can use it.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["set_printoptions", "get_printoptions", "printoptions", "format_array", "add_suffixes"]

_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}
_OPTS: dict[str, Any] = dict(_PROFILES["default"], sci_mode=None)


def set_printoptions(precision: int | None = None, threshold: float | None = None,
                     edgeitems: int | None = None, linewidth: int | None = None,
                     profile: str | None = None, sci_mode: bool | None = None) -> None:
    """Set how tensors print, as ``torch.set_printoptions``.

    ``precision``: decimals of floats (default 4); ``threshold``: element count above which a
    tensor is summarised (1000); ``edgeitems``: entries kept at each end of a summarised
    dimension (3); ``linewidth``: characters per line before wrapping (80); ``profile``:
    ``"default"``, ``"short"`` or ``"full"`` (no summarising), applied before the other
    arguments; ``sci_mode``: True/False forces or forbids scientific notation, None (the
    default, and what every call without it restores) chooses per tensor.
    """
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions(): profile must be one of 'default', 'short', "
                             f"'full', but got {profile!r}")
        _OPTS.update(_PROFILES[profile])
    for name, value in (("precision", precision), ("threshold", threshold),
                        ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            _OPTS[name] = value
    _OPTS["sci_mode"] = sci_mode


def get_printoptions() -> dict[str, Any]:
    """The current print options, as keyword arguments for :func:`set_printoptions`."""
    return {k: _OPTS[k] for k in ("precision", "threshold", "edgeitems", "linewidth", "sci_mode")}


class printoptions:
    """Context manager: ``with xgrad.printoptions(precision=2): ...`` sets the options for the
    block and restores the previous ones after it."""

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs
        self._saved: dict[str, Any] = {}

    def __enter__(self) -> None:
        self._saved = get_printoptions()
        set_printoptions(**self._kwargs)

    def __exit__(self, *exc: Any) -> None:
        set_printoptions(**self._saved)


class _Formatter:
    """One width and one notation for every element shown."""

    def __init__(self, shown: np.ndarray, floating: bool) -> None:
        self.floating = floating
        self.int_mode, self.sci_mode, self.width = True, False, 1
        flat = shown.reshape(-1)
        prec = _OPTS["precision"]
        if not floating:
            for v in flat.tolist():
                self.width = max(self.width, len(str(v)))
            return
        vals = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if vals.size == 0:
            return
        mags = np.abs(vals)
        lo, hi = mags.min(), mags.max()
        self.int_mode = bool(np.all(vals == np.ceil(vals)))
        forced = _OPTS["sci_mode"]
        self.sci_mode = bool(hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4) if forced is None \
            else bool(forced)
        if self.sci_mode:
            texts = [f"{v:.{prec}e}" for v in vals.tolist()]
        elif self.int_mode:
            texts = [f"{v:.0f}." for v in vals.tolist()]
        else:
            texts = [f"{v:.{prec}f}" for v in vals.tolist()]
        self.width = max(self.width, max(len(t) for t in texts))

    def format(self, v: Any) -> str:
        prec = _OPTS["precision"]
        if not self.floating:
            s = str(v)
        elif self.sci_mode:
            s = f"{v:{self.width}.{prec}e}"
        elif self.int_mode:
            s = f"{v:.0f}" + ("" if math.isinf(v) or math.isnan(v) else ".")
        else:
            s = f"{v:.{prec}f}"
        return s.rjust(self.width)


def _summary(arr: np.ndarray) -> np.ndarray:
    """The entries a summarised print shows: ``edgeitems`` at both ends of each dimension."""
    if arr.ndim == 0:
        return arr
    e = _OPTS["edgeitems"]
    if arr.ndim > 1 and not e:
        return arr[tuple(slice(0, 0) for _ in arr.shape)]
    rows = [arr[i] for i in range(arr.shape[0])]
    if arr.shape[0] > 2 * e:
        rows = rows[:e] + rows[arr.shape[0] - e:]
    if arr.ndim == 1:
        return np.array(rows, dtype=arr.dtype)
    return np.stack([_summary(r) for r in rows])


def _vector(arr: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    e = _OPTS["edgeitems"]
    per_line = max(1, math.floor((_OPTS["linewidth"] - indent) / (fmt.width + 2)))
    vals = arr.tolist()
    if summarize and not e:
        items = ["..."]
    elif summarize and len(vals) > 2 * e:
        items = [fmt.format(v) for v in vals[:e]] + [" ..."] + \
            [fmt.format(v) for v in vals[len(vals) - e:]]
    else:
        items = [fmt.format(v) for v in vals]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(arr: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if arr.ndim == 0:
        return fmt.format(arr.item())
    if arr.ndim == 1:
        return _vector(arr, indent, summarize, fmt)
    e, n = _OPTS["edgeitems"], arr.shape[0]
    if summarize and n > 2 * e:
        parts = [_nested(arr[i], indent + 1, summarize, fmt) for i in range(e)] + ["..."] + \
            [_nested(arr[i], indent + 1, summarize, fmt) for i in range(n - e, n)]
    else:
        parts = [_nested(arr[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (arr.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def format_array(arr: np.ndarray, floating: bool, indent: int) -> str:
    """The bracketed body of a tensor's repr for host array ``arr`` (``floating``: the tensor's
    dtype is a float dtype; a bfloat16 array is widened to float32 first)."""
    if arr.size == 0:
        return "[]"
    if floating and arr.dtype.kind != "f":
        arr = arr.astype(np.float32)
    summarize = arr.size > _OPTS["threshold"]
    fmt = _Formatter(_summary(arr) if summarize else arr, floating)
    return _nested(arr, indent, summarize, fmt)


def add_suffixes(body: str, suffixes: list[str], indent: int) -> str:
    """``body`` with ``, suffix`` items appended, each moved to a new line when it would pass
    ``linewidth``, and the closing parenthesis."""
    out = [body]
    last = len(body) - body.rfind("\n") + 1
    for s in suffixes:
        if last + len(s) + 2 > _OPTS["linewidth"]:
            out.append(",\n" + " " * indent + s)
            last = indent + len(s)
        else:
            out.append(", " + s)
            last += len(s) + 2
    return "".join(out) + ")"


def edgeitems_hidden() -> bool:
    """Whether ``edgeitems=0`` hides every value (then the repr shows the size)."""
    return not _OPTS["edgeitems"]
