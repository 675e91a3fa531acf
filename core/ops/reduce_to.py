"""``sum_to``: reduce a broadcast gradient back to an input's shape."""
from __future__ import annotations

from typing import Any


def sum_to(g: Any, shape: tuple) -> Any:
    """Sum ``g`` over the dimensions that broadcasting added or expanded to reach ``shape``."""
    gshape = g._data.shape
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and gshape[i + lead] != 1)
    out = g.sum(axes, keepdim=True) if axes else g
    return out.reshape(shape) if out._data.shape != shape else out
