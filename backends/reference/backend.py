"""The pure-Python reference backend: slow, strict, and the conformance oracle.

Every primitive is written in plain Python over :class:`RefArray` (a flat list plus shape
and dtype). numpy appears only in ``from_numpy``/``to_numpy`` (host conversion). float64
is exact Python float arithmetic; float32/float16 results are rounded to their precision
after every primitive; integers wrap like numpy's. Inputs are checked strictly and errors
name the backend, the primitive, and the shapes/dtypes that were given.
"""
from __future__ import annotations

import math
import operator

from xgrad.backend import CONTRACT_VERSION, Backend
from xgrad.dtypes import ALL_DTYPES, bool_, float64, int64

from ._array import (
    FIX,
    FIX1,
    HOST_NAMES,
    RefArray,
    cast_list,
    offsets,
    strides_of,
)
from ._checks import (
    _arr,
    _broadcast_shapes,
    _broadcast_to,
    _check_dtype,
    _check_shape,
    _desc,
    _err,
    _fill_value,
    _scalar,
)
from ._elementwise import ElementwiseOps
from ._linalg import LinalgOps
from ._movement import MovementOps
from ._reductions import ReductionOps
from ._scalar_math import _fsum

__all__ = ["ReferenceBackend", "RefArray"]

_PHILOX_M0, _PHILOX_M1 = 0xD2511F53, 0xCD9E8D57
_PHILOX_W0, _PHILOX_W1 = 0x9E3779B9, 0xBB67AE85
_MASK32 = 0xFFFFFFFF


class ReferenceBackend(ElementwiseOps, ReductionOps, MovementOps, LinalgOps, Backend):
    """Pure-Python implementation of every required primitive and of the optional linalg
    group; no fused ops."""

    name = "reference"
    device = "reference"
    contract_version = CONTRACT_VERSION
    dtypes = frozenset(ALL_DTYPES)
    fused_ops = frozenset()
    #: the frontend's immutable path runs on the CPU tests: no array is written in place
    mutable = False

    # ---- introspection ----------------------------------------------------------------
    def dtype(self, x):
        return _arr("dtype", x).dtype

    # ---- transfer and creation --------------------------------------------------------
    def from_numpy(self, a, dtype):
        import numpy as np

        _check_dtype("from_numpy", dtype)
        if not isinstance(a, (np.ndarray, np.generic)):
            raise _err(TypeError, "from_numpy", f"expected a numpy.ndarray, got {_desc(a)}")
        a = np.asarray(a)
        if a.dtype.kind not in "biuf":
            raise _err(TypeError, "from_numpy", f"unsupported numpy dtype {a.dtype} "
                       f"(shape {a.shape})")
        host = a.astype(HOST_NAMES[dtype], copy=False)
        return RefArray(host.ravel().tolist(), tuple(int(n) for n in a.shape), dtype)

    def to_numpy(self, x):
        import numpy as np

        _arr("to_numpy", x)
        return np.array(x.data, dtype=HOST_NAMES[x.dtype]).reshape(x.shape)

    def full(self, shape, value, dtype):
        shape = _check_shape("full", shape)
        _check_dtype("full", dtype)
        v = _fill_value("full", value, dtype)
        return RefArray([v] * math.prod(shape), shape, dtype)

    def arange(self, start, stop, step, dtype):
        _check_dtype("arange", dtype)
        for v in (start, stop, step):
            if not isinstance(v, (int, float)):
                raise _err(TypeError, "arange", f"expected Python numbers, got {_desc(v)}")
        if step == 0:
            raise _err(ValueError, "arange", "step must be non-zero")
        n = math.ceil((stop - start) / step) if not all(
            isinstance(v, int) for v in (start, stop, step)) else -((start - stop) // step)
        n = max(int(n), 0)
        if n == 0:
            return RefArray([], (0,), dtype)
        src = float64 if any(isinstance(v, float) for v in (start, stop, step)) else int64

        def conv(v):
            return cast_list([v], src, dtype)[0]

        # numpy's algorithm: first two values converted, then ``start + i * delta``
        # evaluated in the target dtype.
        first = conv(start)
        if n == 1:
            return RefArray([first], (1,), dtype)
        second = conv(start + step)
        if dtype is bool_:
            if n > 2:
                raise _err(ValueError, "arange", "a bool arange has at most two elements")
            return RefArray([first, second], (2,), dtype)
        fix1 = FIX1[dtype]
        delta = fix1(second - first)
        if dtype.is_floating_point:
            vals = [first, second] + [fix1(first + fix1(i * delta)) for i in range(2, n)]
        else:
            vals = FIX[dtype]([first + i * delta for i in range(n)])
            vals[1] = second
        return RefArray(vals, (n,), dtype)

    def random_bits(self, shape, seed, offset):
        shape = _check_shape("random_bits", shape)
        for what, v in (("seed", seed), ("offset", offset)):
            if not isinstance(v, int) or isinstance(v, bool):
                raise _err(TypeError, "random_bits", f"expected an int {what}, got {_desc(v)}")
        if offset < 0:
            raise _err(ValueError, "random_bits", f"offset must be >= 0, got {offset}")
        n = math.prod(shape)
        first = offset // 4
        last = (offset + n + 3) // 4
        k0, k1 = seed & _MASK32, (seed >> 32) & _MASK32
        keys = []
        for _ in range(10):
            keys.append((k0, k1))
            k0 = (k0 + _PHILOX_W0) & _MASK32
            k1 = (k1 + _PHILOX_W1) & _MASK32
        m0, m1, mask = _PHILOX_M0, _PHILOX_M1, _MASK32
        words = []
        for ctr in range(first, last):
            c0, c1, c2, c3 = ctr & mask, ctr >> 32, 0, 0
            for k0, k1 in keys:
                p0 = c0 * m0
                p1 = c2 * m1
                c0, c1, c2, c3 = (p1 >> 32) ^ c1 ^ k0, p1 & mask, (p0 >> 32) ^ c3 ^ k1, p0 & mask
            words += (c0, c1, c2, c3)
        start = offset - first * 4
        return RefArray(words[start:start + n], shape, int64)

    # ---- linear algebra ---------------------------------------------------------------
    def matmul(self, a, b):
        op = "matmul"
        _arr(op, a, "a")
        _arr(op, b, "b")
        if a.dtype is not b.dtype:
            raise _err(TypeError, op, f"dtypes differ: {a.dtype.name} {a.shape} and "
                       f"{b.dtype.name} {b.shape}")
        if a.ndim == 0 or b.ndim == 0:
            raise _err(ValueError, op, f"operands must be at least 1-d, got shapes {a.shape} and "
                       f"{b.shape}")
        ash = (1,) + a.shape if a.ndim == 1 else a.shape
        bsh = b.shape + (1,) if b.ndim == 1 else b.shape
        m, k = ash[-2:]
        k2, n = bsh[-2:]
        if k != k2:
            raise _err(ValueError, op, f"contraction dimensions differ: shapes {a.shape} and "
                       f"{b.shape} ({k} != {k2})")
        batch = _broadcast_shapes(op, ash[:-2], bsh[:-2])

        def batch_offsets(sh):
            bs = sh[:-2]
            st = strides_of(bs)
            size = sh[-2] * sh[-1]
            lead = len(batch) - len(bs)
            strides = [0] * lead + [0 if q == 1 else s * size for q, s in zip(bs, st)]
            return offsets(0, batch, strides)

        ad, bd = a.data, b.data
        dt = a.dtype
        if dt.is_floating_point:
            def dot(r, c):
                return _fsum(list(map(operator.mul, r, c)))
        elif dt is bool_:
            def dot(r, c):
                return any(map(operator.and_, r, c))
        else:
            def dot(r, c):
                return sum(map(operator.mul, r, c))
        out = []
        for oa, ob in zip(batch_offsets(ash), batch_offsets(bsh)):
            rows = [ad[oa + i * k:oa + (i + 1) * k] for i in range(m)]
            cols = list(zip(*[bd[ob + j * n:ob + (j + 1) * n] for j in range(k)])) if k else \
                [()] * n
            out += [dot(r, c) for r in rows for c in cols]
        shape = batch + ((m,) if a.ndim > 1 else ()) + ((n,) if b.ndim > 1 else ())
        return RefArray(FIX[dt](out), shape, dt)

    # ---- in-place support -------------------------------------------------------------
    def assign(self, dst, src):
        op = "assign"
        _arr(op, dst, "dst")
        if isinstance(src, RefArray):
            if src.dtype is not dst.dtype:
                raise _err(TypeError, op, f"src dtype {src.dtype.name} does not match dst dtype "
                           f"{dst.dtype.name}")
            vals = _broadcast_to(op, src, dst.shape, "src")
        else:
            vals = [_scalar(op, src, dst.dtype, True)] * len(dst.data)
        dst.data[:] = vals
        return dst
