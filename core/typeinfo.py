"""``xgrad.finfo`` / ``xgrad.iinfo``: numeric limits of xgrad's dtypes, as ``torch.finfo``."""
from __future__ import annotations

import numpy as np  # host-side limits only

from .dtypes import DType, get_default_dtype

__all__ = ["finfo", "iinfo"]


class finfo:
    """Limits of a floating dtype: ``bits``, ``eps``, ``max``, ``min``, ``tiny`` (=
    ``smallest_normal``), ``resolution``, and ``dtype`` (its name). Default: the default dtype."""

    def __init__(self, type: DType | None = None) -> None:
        if type is None:
            type = get_default_dtype()
        if not isinstance(type, DType):
            raise TypeError(f"finfo(): argument 'type' (position 1) must be xgrad.dtype, not "
                            f"{_typename(type)}")
        if not type.is_floating_point:
            raise TypeError("xgrad.finfo() requires a floating point input type. Use xgrad.iinfo "
                            "to handle 'xgrad.finfo'")
        info = np.finfo(np.dtype(type.name))
        self.bits: int = int(info.bits)
        self.eps: float = float(info.eps)
        self.max: float = float(info.max)
        self.min: float = float(info.min)
        self.tiny: float = float(info.smallest_normal)
        self.smallest_normal: float = self.tiny
        self.resolution: float = 10.0 ** -int(info.precision)
        self.dtype: str = type.name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, finfo) and other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash(("finfo", self.dtype))

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, "
                f"dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype: ``bits``, ``max``, ``min`` and ``dtype`` (its name)."""

    def __init__(self, type: DType) -> None:
        if not isinstance(type, DType):
            raise TypeError(f"iinfo(): argument 'type' (position 1) must be xgrad.dtype, not "
                            f"{_typename(type)}")
        if type.is_floating_point:
            raise TypeError("xgrad.iinfo() requires an integer input type. Use xgrad.finfo to "
                            "handle 'xgrad.iinfo'")
        if type.name == "bool":
            raise TypeError("xgrad.bool is not supported by xgrad.iinfo")
        info = np.iinfo(np.dtype(type.name))
        self.bits: int = int(info.bits)
        self.max: int = int(info.max)
        self.min: int = int(info.min)
        self.dtype: str = type.name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, iinfo) and other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash(("iinfo", self.dtype))

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


def _typename(obj: object) -> str:
    return type(obj).__name__
