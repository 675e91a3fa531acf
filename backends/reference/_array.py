"""Storage and scalar helpers of the reference backend (pure Python, no numpy)."""
from __future__ import annotations

import math
import struct
from array import array

from xgrad.dtypes import bool_, float16, float32, float64, int32, int64

PREFIX = "reference backend"


class RefArray:
    """A dense row-major array: a flat Python list ``data`` plus ``shape`` and ``dtype``.

    ``dtype`` is the xgrad :class:`~xgrad.dtypes.DType` itself. Elements are Python floats
    (already rounded to the dtype's precision), ints (within the dtype's range) or bools.
    The list is mutable: ``assign`` writes into it, and ``reshape`` shares it (a view).
    """

    __slots__ = ("data", "shape", "dtype")

    def __init__(self, data: list, shape: tuple, dtype) -> None:
        self.data = data
        self.shape = shape
        self.dtype = dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return len(self.data)

    def tolist(self):
        """Nested Python lists (a scalar for 0-d), for debugging."""
        def build(off, dims):
            if not dims:
                return self.data[off]
            step = math.prod(dims[1:])
            return [build(off + i * step, dims[1:]) for i in range(dims[0])]
        return build(0, self.shape)

    def __repr__(self) -> str:
        return f"RefArray({self.tolist()!r}, shape={self.shape}, dtype={self.dtype.name})"

    def __array__(self, *args, **kwargs):
        raise TypeError(f"{PREFIX}: a RefArray does not convert to numpy implicitly; "
                        "use backend.to_numpy(x)")


# ---- rounding to a dtype ------------------------------------------------------------
_F32 = struct.Struct("f")
_F16 = struct.Struct("e")
_INF = math.inf


def f32(v: float) -> float:
    try:
        return _F32.unpack(_F32.pack(v))[0]
    except OverflowError:
        return math.copysign(_INF, v)


def f16(v: float) -> float:
    try:
        return _F16.unpack(_F16.pack(v))[0]
    except OverflowError:
        return math.copysign(_INF, v)


def round_f32(vals: list) -> list:
    return array("f", vals).tolist()


def round_f16(vals: list) -> list:
    n = len(vals)
    try:
        return list(struct.unpack(f"{n}e", struct.pack(f"{n}e", *vals)))
    except OverflowError:
        return [f16(v) for v in vals]


def _wrapper(bits: int):
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    mask, half = (1 << bits) - 1, 1 << (bits - 1)

    def wrap(vals: list) -> list:
        if not vals or (min(vals) >= lo and max(vals) <= hi):
            return vals
        return [((v + half) & mask) - half for v in vals]

    def wrap1(v: int) -> int:
        return ((v + half) & mask) - half

    return wrap, wrap1, lo, hi


wrap32, wrap32_1, I32_MIN, I32_MAX = _wrapper(32)
wrap64, wrap64_1, I64_MIN, I64_MAX = _wrapper(64)


def _ident(vals: list) -> list:
    return vals


def _bools(vals: list) -> list:
    return [bool(v) for v in vals]


#: Bring a list of freshly computed values into a dtype's range/precision.
FIX = {float64: _ident, float32: round_f32, float16: round_f16, int32: wrap32, int64: wrap64,
       bool_: _bools}
#: The same for one value.
FIX1 = {float64: float, float32: f32, float16: f16, int32: wrap32_1, int64: wrap64_1, bool_: bool}
INT_BOUNDS = {int32: (I32_MIN, I32_MAX), int64: (I64_MIN, I64_MAX)}
HOST_NAMES = {float16: "float16", float32: "float32", float64: "float64", int32: "int32",
              int64: "int64", bool_: "bool"}


_EXACT = 1 << 53


def _int_to_f32(v: int) -> float:
    """An integer correctly rounded (half to even) to 24 significant bits."""
    a = abs(v)
    shift = a.bit_length() - 24
    q, r = divmod(a, 1 << shift)
    half = 1 << (shift - 1)
    if r > half or (r == half and q & 1):
        q += 1
    return math.copysign(float(q << shift), v)


def cast_list(vals: list, src, dst) -> list:
    """Values of dtype ``src`` converted to ``dst`` as numpy's ``astype`` does."""
    if src is dst:
        return list(vals)
    if dst is bool_:
        return [v != 0 for v in vals]
    if dst.is_floating_point:
        if src is bool_:
            return [1.0 if v else 0.0 for v in vals]
        if dst is float32 and src is int64:
            # int -> double -> float32 could round twice; round big ints in one step
            return FIX[dst]([float(v) if -_EXACT <= v <= _EXACT else _int_to_f32(v)
                             for v in vals])
        out = [float(v) for v in vals]
        return out if dst is float64 else FIX[dst](out)
    # to an integer dtype
    if src is bool_:
        return [1 if v else 0 for v in vals]
    if src.is_floating_point:
        lo, hi = INT_BOUNDS[dst]
        out = []
        for v in vals:
            if v != v or v in (_INF, -_INF):
                out.append(lo)
            else:
                t = int(v)  # truncates toward zero
                out.append(t if lo <= t <= hi else lo)
        return out
    return FIX[dst](list(vals))


def strides_of(shape) -> list:
    st = [1] * len(shape)
    acc = 1
    for i in range(len(shape) - 1, -1, -1):
        st[i] = acc
        acc *= shape[i]
    return st


def offsets(base: int, shape, strides) -> list:
    """Flat offsets ``base + sum(i_d * strides[d])`` of every index, in row-major order."""
    idx = [base]
    for n, s in zip(shape, strides):
        if n == 1:
            continue
        ks = range(0, n * s, s) if s else (0,) * n
        idx = [b + k for b in idx for k in ks]
    return idx


def expand_offsets(base: int, dim_offsets: list) -> list:
    """Like :func:`offsets`, with an explicit list of per-dimension offsets."""
    idx = [base]
    for ks in dim_offsets:
        if len(ks) == 1:
            if ks[0]:
                k = ks[0]
                idx = [b + k for b in idx]
            continue
        idx = [b + k for b in idx for k in ks]
    return idx
