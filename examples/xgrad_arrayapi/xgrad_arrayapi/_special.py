"""What the Array API standard lacks, built from its functions: erf and Philox4x32-10."""
from __future__ import annotations

from typing import Any

Array = Any

# erf: W. J. Cody's rational approximations (max rel. error ~1e-16 in float64).
_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
      3.20937758913846947e03, 1.85777706184603153e-1)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
      2.84423683343917062e03)
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
      2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
      2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
      1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
      3.43936767414372164e03, 1.23033935480374942e03)
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
      1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1,
      6.05183413124413191e-2, 2.33520497626869185e-3)


def _erfc_scaled_tail(xp, y: Array) -> Array:
    """``exp(-y*y)`` computed in two parts to keep the precision of large ``y``."""
    ysq = xp.trunc(y * 16.0) / 16.0
    delta = (y - ysq) * (y + ysq)
    return xp.exp(-ysq * ysq) * xp.exp(-delta)


def erf(xp, x: Array) -> Array:
    """Gauss error function, evaluated in float64 and returned in ``x``'s dtype.

    Each of Cody's three ranges is evaluated on the whole array with its argument clamped
    into the range (so no branch divides by zero or overflows) and ``where`` picks one.
    """
    v = xp.astype(x, xp.float64)
    y = xp.abs(v)
    ys = xp.minimum(y, 0.46875)
    z = ys * ys
    num, den = _A[4] * z, z
    for i in range(3):
        num, den = (num + _A[i]) * z, (den + _B[i]) * z
    small = ys * (num + _A[3]) / (den + _B[3])
    ym = xp.clip(y, 0.46875, 4.0)
    num, den = _C[8] * ym, ym
    for i in range(7):
        num, den = (num + _C[i]) * ym, (den + _D[i]) * ym
    mid = 1.0 - _erfc_scaled_tail(xp, ym) * ((num + _C[7]) / (den + _D[7]))
    yb = xp.clip(y, 4.0, 6.0)  # erf(y) == 1.0 in float64 from y = 6 on
    z = 1.0 / (yb * yb)
    num, den = _P[5] * z, z
    for i in range(4):
        num, den = (num + _P[i]) * z, (den + _Q[i]) * z
    r = (0.56418958354775628695 - z * (num + _P[4]) / (den + _Q[4])) / yb
    big = 1.0 - _erfc_scaled_tail(xp, yb) * r
    out = xp.where(y <= 0.46875, small, xp.where(y <= 4.0, mid, big))
    out = xp.copysign(out, v)  # erf is odd: erf(-0.0) is -0.0
    out = xp.where(xp.isnan(v), v, out)
    return xp.astype(out, x.dtype)


_M0, _M1 = 0xD2511F53, 0xCD9E8D57
_W0, _W1 = 0x9E3779B9, 0xBB67AE85
_MASK32 = 0xFFFFFFFF


def philox_words(xp, n: int, seed: int, offset: int) -> Array:
    """Words ``offset .. offset + n - 1`` of the Philox4x32-10 stream with key ``seed``,
    as a 1-d int64 array (xgrad's ``random_bits`` contract)."""
    if n == 0:
        return xp.zeros((0,), dtype=xp.int64)
    first, last = offset // 4, (offset + n + 3) // 4
    ctr = xp.arange(first, last, dtype=xp.uint64)
    c0 = ctr & _MASK32
    c1 = ctr >> 32
    c2 = xp.zeros_like(c0)
    c3 = xp.zeros_like(c0)
    k0, k1 = seed & _MASK32, (seed >> 32) & _MASK32
    for _ in range(10):
        p0 = c0 * _M0  # both factors < 2**32: the product fits uint64 exactly
        p1 = c2 * _M1
        c0, c1, c2, c3 = (p1 >> 32) ^ c1 ^ k0, p1 & _MASK32, (p0 >> 32) ^ c3 ^ k1, p0 & _MASK32
        k0 = (k0 + _W0) & _MASK32
        k1 = (k1 + _W1) & _MASK32
    words = xp.reshape(xp.stack([c0, c1, c2, c3], axis=1), (-1,))
    start = offset - first * 4
    return xp.astype(words[start:start + n], xp.int64)
