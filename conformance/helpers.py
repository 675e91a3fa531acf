"""Small functions the case table calls where an expression cannot (assignment)."""
from __future__ import annotations

from typing import Any

__all__ = ["setitem"]


def setitem(x: Any, index: Any, value: Any) -> Any:
    """``y = x.clone(); y[index] = value; return y`` (differentiable in ``x`` and ``value``)."""
    y = x.clone()
    y[index] = value
    return y
