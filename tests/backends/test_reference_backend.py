"""The pure-Python reference backend against numpy, primitive by primitive."""
from __future__ import annotations

import math
import os
import zlib

import numpy as np
import pytest
from xgrad.backend import CONTRACT_VERSION, REQUIRED_PRIMITIVES, missing_primitives, philox_words
from xgrad.backends.reference import RefArray, ReferenceBackend
from xgrad.dtypes import ALL_DTYPES, bool_, float16, float32, float64, int32, int64

B = ReferenceBackend()
NP = {float16: np.float16, float32: np.float32, float64: np.float64, int32: np.int32,
      int64: np.int64, bool_: np.bool_}
FLOATS = (float16, float32, float64)
_SALT = int(os.environ.get("XGRAD_TEST_SEED_SALT", "0"))


def R(a, dtype=None):
    """numpy -> reference array (dtype inferred from numpy's)."""
    a = np.asarray(a)
    if dtype is None:
        dtype = {np.dtype(v): k for k, v in NP.items()}[a.dtype]
    return B.from_numpy(a, dtype)


def N(x):
    assert isinstance(x, RefArray)
    return B.to_numpy(x)


def rand(rng, shape, dtype=float64, low=-3.0, high=3.0):
    if dtype is bool_:
        return rng.random(shape) < 0.5
    if dtype in (int32, int64):
        return rng.integers(-9, 10, size=shape).astype(NP[dtype])
    return rng.uniform(low, high, size=shape).astype(NP[dtype])


def check(got, want, dtype=None, rtol=None, atol=0.0):
    """Compare a reference result with numpy's: exact for float64/ints unless rtol given."""
    got = N(got) if isinstance(got, RefArray) else got
    want = np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    if got.dtype.kind == "f":
        if rtol is None:
            rtol = {np.float16: 1e-3, np.float32: 2.5e-7, np.float64: 0.0}[got.dtype.type]
        np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64),
                                   rtol=rtol, atol=atol, equal_nan=True)
    else:
        np.testing.assert_array_equal(got, want)


@pytest.fixture
def rng(request):
    return np.random.default_rng(zlib.crc32(request.node.name.encode()) + _SALT)


# ---- contract ---------------------------------------------------------------------------
def test_contract():
    assert missing_primitives(ReferenceBackend) == []
    assert B.name == "reference" and B.device == "reference"
    assert B.contract_version == CONTRACT_VERSION
    assert B.dtypes == frozenset(ALL_DTYPES)
    assert B.fused_ops == frozenset() and not B.has("softmax")
    assert len(REQUIRED_PRIMITIVES) <= 40  # contract v2: a small core, the rest derived


def test_array_attributes():
    x = B.full((2, 3), 1.5, float32)
    assert x.shape == (2, 3) and x.ndim == 2 and x.dtype == float32 and B.dtype(x) is float32
    assert B.full((), 2, int64).shape == ()


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_roundtrip(dtype, rng):
    a = rand(rng, (3, 0, 2), dtype)
    check(R(a), a)
    a = rand(rng, (2, 3), dtype)
    check(R(a), a)
    check(R(np.asarray(a[0, 0])), a[0, 0])
    # from_numpy converts like astype
    src = rng.uniform(-5, 5, size=(7,))
    check(B.from_numpy(src, dtype), src.astype(NP[dtype]))


def test_float_rounding():
    x = B.from_numpy(np.array([0.1]), float32)
    assert x.data[0] == float(np.float32(0.1))
    y = B.add(x, x)
    assert y.data[0] == float(np.float32(0.1) + np.float32(0.1))
    h = B.from_numpy(np.array([60000.0]), float16)
    check(B.add(h, h), np.array([np.inf], np.float16))
    check(B.mul(B.from_numpy(np.array([3e38]), float32), 10.0), np.array([np.inf], np.float32))


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_full(dtype):
    for v in (0, 1, True, 2.75, -1.5):
        if dtype is bool_ or not isinstance(v, float) or dtype.is_floating_point:
            check(B.full((2, 3), v, dtype), np.full((2, 3), v, NP[dtype]))
    check(B.full((0,), 1, dtype), np.full((0,), 1, NP[dtype]))


@pytest.mark.parametrize("args", [(0, 5, 1), (2, 11, 3), (5, 0, -1), (0, 1, 0.1), (-1.5, 2.25, 0.5),
                                  (0.5, 3, 1), (3, 3, 1), (0, -3, 1), (1, 2.5, 0.3)])
@pytest.mark.parametrize("dtype", [float16, float32, float64, int32, int64])
def test_arange(args, dtype):
    if not dtype.is_floating_point and any(isinstance(v, float) for v in args[2:]) \
            and args[2] < 1:
        return
    check(B.arange(*args, dtype), np.arange(*args, dtype=NP[dtype]), rtol=0)


# ---- random bits ------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 12345, 2**40 + 7, 2**64 - 1])
@pytest.mark.parametrize("offset", [0, 1, 3, 4, 9, 2**33 + 2])
@pytest.mark.parametrize("shape", [(), (1,), (5,), (3, 4), (2, 0), (7, 3)])
def test_random_bits(seed, offset, shape):
    got = B.random_bits(shape, seed, offset)
    n = math.prod(shape)
    want = philox_words(np, n, seed, offset).astype(np.int64).reshape(shape)
    check(got, want)
    assert got.dtype is int64 and got.shape == shape


# ---- elementwise ------------------------------------------------------------------------
SHAPE_PAIRS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3)),
               ((0, 3), (1, 3)), ((5,), ())]

BINARY = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide,
    "floordiv": np.floor_divide, "remainder": np.remainder, "maximum": np.maximum,
    "minimum": np.minimum, "eq": np.equal, "ne": np.not_equal, "lt": np.less,
    "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal,
}


@pytest.mark.parametrize("shapes", SHAPE_PAIRS)
@pytest.mark.parametrize("op", sorted(BINARY))
@pytest.mark.parametrize("dtype", [float16, float32, float64, int32, int64])
def test_binary(op, dtype, shapes, rng):
    if op == "div" and not dtype.is_floating_point:
        return
    a, b = rand(rng, shapes[0], dtype), rand(rng, shapes[1], dtype)
    if op in ("floordiv", "remainder", "div"):
        b = np.where(b == 0, NP[dtype](2), b)
    if op in ("eq", "ne", "le", "ge"):
        b = np.where(rng.random(b.shape) < 0.3, np.broadcast_to(a, np.broadcast_shapes(
            a.shape, b.shape))[(0,) * (a.ndim - b.ndim) + (...,)] if a.ndim >= b.ndim else b, b)
    with np.errstate(all="ignore"):
        want = BINARY[op](a, b)
    check(getattr(B, op)(R(a), R(b)), want)


@pytest.mark.parametrize("op", sorted(BINARY))
@pytest.mark.parametrize("dtype", [float32, float64, int32, int64])
def test_binary_scalar(op, dtype, rng):
    if op == "div" and not dtype.is_floating_point:
        return
    a = rand(rng, (3, 4), dtype)
    for s in (2, -3, 0.1, 2.5, True):
        if isinstance(s, float) and not dtype.is_floating_point and op not in (
                "eq", "ne", "lt", "le", "gt", "ge"):
            continue
        with np.errstate(all="ignore"):
            # numpy 2 (NEP 50): Python scalars are weak, like the contract says
            check(getattr(B, op)(R(a), s), BINARY[op](a, s))
            check(getattr(B, op)(s, R(a)), BINARY[op](s, a))


def test_scalar_is_weak_float32():
    a = np.array([1.0, 2.0], np.float32)
    got = B.mul(R(a), 0.1)
    assert got.dtype is float32
    check(got, a * np.float32(0.1), rtol=0)
    check(B.eq(R(np.array([0.1], np.float32)), 0.1), np.array([True]))


def test_division_edge_cases():
    a = np.array([1.0, -1.0, 0.0, np.nan, np.inf, 5.5, -5.5])
    b = np.array([0.0, 0.0, 0.0, 1.0, 2.0, -2.0, 2.0])
    with np.errstate(all="ignore"):
        check(B.div(R(a), R(b)), a / b)
        check(B.floordiv(R(a[[0, 1, 2, 5, 6]]), R(b[[0, 1, 2, 5, 6]])),
              np.floor_divide(a[[0, 1, 2, 5, 6]], b[[0, 1, 2, 5, 6]]))
        check(B.remainder(R(a[[0, 1, 2, 5, 6]]), R(b[[0, 1, 2, 5, 6]])),
              np.remainder(a[[0, 1, 2, 5, 6]], b[[0, 1, 2, 5, 6]]))
    i = np.array([7, -7, 7, -7, 3], np.int64)
    j = np.array([2, 2, -2, -2, 0], np.int64)
    with np.errstate(all="ignore"):
        check(B.floordiv(R(i), R(j)), np.floor_divide(i, j))
        check(B.remainder(R(i), R(j)), np.remainder(i, j))


def test_int_wraparound():
    a = np.array([2**31 - 1, -2**31], np.int32)
    check(B.add(R(a), 1), a + np.int32(1))
    check(B.mul(R(a), R(a)), a * a)
    check(B.neg(R(a)), -a)
    check(B.abs(R(a)), np.abs(a))
    b = np.array([2**62, -2**63], np.int64)
    check(B.add(R(b), R(b)), b + b)


@pytest.mark.parametrize("dtype", FLOATS)
def test_pow(dtype, rng):
    a = rand(rng, (4, 5), dtype, 0.1, 3.0)
    b = rand(rng, (5,), dtype, -2.0, 2.0)
    check(B.pow(R(a), R(b)), np.power(a, b), rtol=None if dtype is not float64 else 1e-15)
    check(B.pow(R(a), 2), np.power(a, 2), rtol=None if dtype is not float64 else 1e-15)
    check(B.pow(2.0, R(b)), np.power(2.0, b).astype(NP[dtype]),
          rtol=None if dtype is not float64 else 1e-15)
    edge = np.array([-2.0, 0.0, -0.0, 0.0, 6e4, -6e4], NP[dtype])
    expo = np.array([0.5, -1.0, -1.0, 0.0, 200.0, 201.0], NP[dtype])
    with np.errstate(all="ignore"):
        check(B.pow(R(edge), R(expo)), np.power(edge, expo))


def test_pow_int():
    a = np.array([2, -3, 0, 7], np.int64)
    b = np.array([3, 3, 0, 40], np.int64)
    check(B.pow(R(a), R(b)), np.power(a, b))
    with pytest.raises(ValueError, match="reference backend.*pow"):
        B.pow(R(a), -1)


UNARY = {"neg": np.negative, "exp": np.exp, "log": np.log, "log1p": np.log1p,
         "expm1": np.expm1, "sin": np.sin, "cos": np.cos, "tanh": np.tanh, "sqrt": np.sqrt,
         "abs": np.abs, "sign": np.sign, "floor": np.floor, "isnan": np.isnan,
         "isinf": np.isinf}


@pytest.mark.parametrize("op", sorted(UNARY))
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(3, 4), (), (0, 2)])
def test_unary(op, dtype, shape, rng):
    low = 0.05 if op in ("log", "sqrt") else (-0.9 if op == "log1p" else -3.0)
    a = rand(rng, shape, dtype, low, 3.0)
    transcendental = op in ("exp", "log", "log1p", "expm1", "sin", "cos", "tanh", "sqrt")
    rtol = 1e-15 if (transcendental and dtype is float64) else None
    if dtype is float32 and transcendental:
        rtol = 3e-7  # numpy's float32 kernels are within an ulp, we round the double result
    check(getattr(B, op)(R(a)), UNARY[op](a), rtol=rtol)


@pytest.mark.parametrize("op", sorted(UNARY))
def test_unary_special_values(op):
    a = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 800.0, -800.0, -2.5])
    with np.errstate(all="ignore"):
        want = UNARY[op](a)
    check(getattr(B, op)(R(a)), want, rtol=1e-15)


def test_unary_int():
    a = np.array([-3, 0, 5], np.int32)
    for op in ("neg", "abs", "sign", "floor"):
        check(getattr(B, op)(R(a)), UNARY[op](a))
    check(B.isnan(R(a)), np.isnan(a))


def test_sign_of_zero():
    check(B.sign(R(np.array([0.0, -0.0, 2.0, -2.0]))), np.array([0.0, 0.0, 1.0, -1.0]))


def test_erf(rng):
    import math as m
    a = rand(rng, (50,), float64, -5, 5)
    got = N(B.erf(R(a)))
    assert got.tolist() == [m.erf(v) for v in a.tolist()]
    from xgrad.backends.numpy import NumpyBackend
    check(B.erf(R(a)), NumpyBackend().erf(a), rtol=1e-15, atol=1e-16)
    a32 = a.astype(np.float32)
    check(B.erf(R(a32)), NumpyBackend().erf(a32), rtol=3e-7)


def test_maximum_minimum_nan():
    a = np.array([1.0, np.nan, 3.0, np.nan])
    b = np.array([np.nan, 2.0, 1.0, np.nan])
    check(B.maximum(R(a), R(b)), np.maximum(a, b))
    check(B.minimum(R(a), R(b)), np.minimum(a, b))


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((2, 1), (1, 5)), ((), (3,))])
def test_logical(shapes, rng):
    a, b = rand(rng, shapes[0], bool_), rand(rng, shapes[1], bool_)
    check(B.logical_and(R(a), R(b)), np.logical_and(a, b))
    check(B.logical_or(R(a), R(b)), np.logical_or(a, b))
    check(B.logical_xor(R(a), R(b)), np.logical_xor(a, b))
    check(B.logical_not(R(a)), np.logical_not(a))
    check(B.add(R(a), R(b)), a + b)
    check(B.mul(R(a), R(b)), a * b)
    check(B.eq(R(a), True), a == True)  # noqa: E712


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4), (3, 4)), ((2, 1), (1, 3), (3,)),
                                    ((), (2, 2), ())])
def test_where(shapes, rng):
    c = rand(rng, shapes[0], bool_)
    a, b = rand(rng, shapes[1]), rand(rng, shapes[2])
    check(B.where(R(c), R(a), R(b)), np.where(c, a, b))
    check(B.where(R(c), R(a), 0.5), np.where(c, a, 0.5))
    check(B.where(R(c), -1.0, R(b)), np.where(c, -1.0, b))
    a32 = a.astype(np.float32)
    check(B.where(R(c), R(a32), 0.1), np.where(c, a32, np.float32(0.1)))


@pytest.mark.parametrize("src", ALL_DTYPES)
@pytest.mark.parametrize("dst", ALL_DTYPES)
def test_cast(src, dst, rng):
    a = rand(rng, (4, 5), src)
    if src.is_floating_point:
        a = (a * 1000).astype(NP[src])
    check(B.cast(R(a), dst), a.astype(NP[dst]), rtol=0)


def test_cast_truncates_and_wraps():
    a = np.array([2.7, -2.7, 0.5, -0.5, 1e10])
    check(B.cast(R(a[:4]), int32), a[:4].astype(np.int32))
    check(B.cast(R(a), int64), a.astype(np.int64))
    i = np.array([2**40 + 5, -2**31 - 1], np.int64)
    check(B.cast(R(i), int32), i.astype(np.int32))
    big = np.array([2**53 + 2**29 + 1, -(2**62 + 2**38 + 1), 2**63 - 1, 2**40 + 2**16], np.int64)
    check(B.cast(R(big), float32), big.astype(np.float32), rtol=0)
    h = np.array([70000.0, 1e-9, 0.1])
    with np.errstate(over="ignore"):
        check(B.cast(R(h), float16), h.astype(np.float16), rtol=0)


# ---- reductions -------------------------------------------------------------------------
REDUCE_CASES = [((3, 4), (0,)), ((3, 4), (1,)), ((3, 4), (0, 1)), ((2, 3, 4), (0, 2)),
                ((2, 3, 4), ()), ((), ()), ((4,), (0,)), ((2, 0, 3), (1,)), ((0, 3), (1,))]


@pytest.mark.parametrize("case", REDUCE_CASES)
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_sum_prod(case, keepdims, dtype, rng):
    shape, axes = case
    a = rand(rng, shape, dtype, 0.5, 1.5)
    tol = {float16: 2e-3, float32: 1e-6, float64: 1e-14}.get(dtype)
    kw = dict(axis=axes, keepdims=keepdims)
    if dtype in (int32, int64, bool_):
        kw["dtype"] = np.int64
    check(B.sum(R(a), axes, keepdims), np.sum(a, **kw), rtol=tol)
    check(B.prod(R(a), axes, keepdims), np.prod(a, **kw), rtol=tol)


def test_sum_float64_is_correctly_rounded():
    vals = [1e16, 1.0, -1e16, 1.0]
    assert N(B.sum(R(np.array(vals)), (0,), False)) == 2.0


@pytest.mark.parametrize("case", [c for c in REDUCE_CASES if 0 not in c[0] or c[0] == (0, 3)])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_max_min(case, keepdims, dtype, rng):
    shape, axes = case
    a = rand(rng, shape, dtype)
    check(B.max(R(a), axes, keepdims), np.max(a, axis=axes, keepdims=keepdims))
    check(B.min(R(a), axes, keepdims), np.min(a, axis=axes, keepdims=keepdims))


def test_max_nan_and_empty():
    a = np.array([[1.0, np.nan, 3.0], [4.0, 5.0, 6.0]])
    check(B.max(R(a), (1,), False), np.max(a, axis=1))
    check(B.min(R(a), (0,), True), np.min(a, axis=0, keepdims=True))
    with pytest.raises(ValueError, match="reference backend: max: zero-size"):
        B.max(R(np.zeros((2, 0))), (1,), False)


@pytest.mark.parametrize("shape,axis", [((3, 4), 0), ((3, 4), 1), ((2, 3, 4), 1), ((5,), 0)])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("dtype", [float32, float64, int32, int64, bool_])
def test_argmax_argmin(shape, axis, keepdims, dtype, rng):
    a = rand(rng, shape, dtype)
    if dtype is not bool_:
        a = np.round(a).astype(NP[dtype])  # ties: first occurrence wins
    check(B.argmax(R(a), axis, keepdims), np.argmax(a, axis=axis, keepdims=keepdims))
    check(B.argmin(R(a), axis, keepdims), np.argmin(a, axis=axis, keepdims=keepdims))


def test_argmax_nan():
    a = np.array([1.0, np.nan, 3.0, np.nan])
    check(B.argmax(R(a), 0, False), np.argmax(a))
    check(B.argmin(R(a), 0, False), np.argmin(a))


@pytest.mark.parametrize("shape,axis", [((3, 4), 0), ((3, 4), 1), ((2, 3, 4), 1), ((6,), 0),
                                        ((0, 3), 1), ((3, 0), 1)])
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_cumsum(shape, axis, dtype, rng):
    a = rand(rng, shape, dtype)
    kw = {"dtype": np.int64} if dtype in (int32, int64, bool_) else {}
    check(B.cumsum(R(a), axis), np.cumsum(a, axis=axis, **kw), rtol=0)


@pytest.mark.parametrize("shape,axis", [((3, 5), 0), ((3, 5), 1), ((2, 3, 4), 1), ((7,), 0),
                                        ((0, 3), 1)])
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dtype", [float32, float64, int32, int64])
def test_sort(shape, axis, descending, dtype, rng):
    a = np.round(rand(rng, shape, dtype)).astype(NP[dtype])  # many ties
    v, i = B.sort(R(a), axis, descending)
    from xgrad.backends.numpy import NumpyBackend
    wv, wi = NumpyBackend().sort(a, axis, descending)
    check(v, wv)
    check(i, wi)


def test_sort_stability_and_nan():
    a = np.array([2.0, np.nan, 1.0, 2.0, np.nan, 1.0, 3.0])
    from xgrad.backends.numpy import NumpyBackend
    for desc in (False, True):
        v, i = B.sort(R(a), 0, desc)
        wv, wi = NumpyBackend().sort(a, 0, desc)
        check(v, wv)
        check(i, wi)


# ---- movement ---------------------------------------------------------------------------
def test_reshape_permute_broadcast_copy(rng):
    a = rand(rng, (2, 3, 4))
    check(B.reshape(R(a), (6, 4)), a.reshape(6, 4))
    check(B.reshape(R(a), (4, -1)), a.reshape(4, -1))
    check(B.reshape(R(np.float64(3.0)), (1, 1)), np.ones((1, 1)) * 3.0)
    for axes in [(2, 0, 1), (1, 0, 2), (0, 1, 2), (2, 1, 0)]:
        check(B.permute(R(a), axes), a.transpose(axes))
    b = rand(rng, (3, 1))
    check(B.broadcast_to(R(b), (2, 3, 5)), np.broadcast_to(b, (2, 3, 5)))
    check(B.broadcast_to(R(np.float64(2.0)), (0, 2)), np.zeros((0, 2)))
    c = B.copy(R(a))
    check(c, a)
    with pytest.raises(ValueError, match="reference backend: reshape"):
        B.reshape(R(a), (5, 5))
    with pytest.raises(ValueError, match="reference backend: permute"):
        B.permute(R(a), (0, 1))
    with pytest.raises(ValueError, match=r"broadcast_to.*\(3, 1\).*\(2, 4\)"):
        B.broadcast_to(R(b), (2, 4))


def _idx(index):
    """numpy index -> reference index (arrays converted)."""
    if not isinstance(index, tuple):
        index = (index,)
    return tuple(R(i) if isinstance(i, np.ndarray) else i for i in index)


I = np.array  # noqa: E741
GETITEM_CASES = [
    (0,), (-1,), (slice(None),), (slice(1, None),), (slice(None, None, -1),),
    (slice(3, 0, -2),), (slice(None, None, 2), 1), (Ellipsis, 0), (None, 1), (1, None, Ellipsis),
    (Ellipsis,), (slice(-2, None), slice(None, None, -3)), (0, 1, 2),
    (I([0, 2, -1]),), (I([[0, 1], [2, 2]]),), (slice(None), I([1, 0, 1])),
    (I([0, 1]), I([2, 3])), (I([0, 1]), slice(None), I([1, 2])),
    (0, slice(None), I([0, 2])), (I([[0], [1]]), I([1, 2, 3])), (Ellipsis, I([3, 0])),
    (slice(None), None, I([0, 1])), (I([1, 1, 0]), 2), (slice(1, 3), I([0, 1]), I([1, 1])),
    (I([True, False, True]),), (slice(None), I([True, False, True, True, False])),
    (I(np.arange(60).reshape(3, 5, 4) % 3 == 0),), (I([[True] * 5, [False] * 5, [True] * 5]),),
    (I([0, 2]), I([True, False, False, True, False])), (I([], dtype=np.int64),),
    (slice(5, 2),), (I(2),), (None,), (1, I([0, 1]), slice(None, None, -1)),
]


@pytest.mark.parametrize("index", GETITEM_CASES, ids=[str(i) for i in range(len(GETITEM_CASES))])
def test_getitem(index, rng):
    a = rand(rng, (3, 5, 4))
    check(B.getitem(R(a), _idx(index)), a[index])


def test_getitem_0d_and_empty(rng):
    s = np.float64(3.5)
    check(B.getitem(R(s), ()), np.asarray(s)[()])
    check(B.getitem(R(s), (None,)), np.asarray(s)[None])
    e = rand(rng, (0, 3))
    check(B.getitem(R(e), (slice(None), 1)), e[:, 1])
    check(B.getitem(R(e), _idx(I([], dtype=np.int64))), e[I([], dtype=np.int64)])


def test_getitem_errors(rng):
    a = R(rand(rng, (3, 4)))
    with pytest.raises(IndexError, match=r"shape mismatch.*\(2,\).*\(3,\)"):
        B.getitem(a, (R(I([0, 1])), R(I([0, 1, 2]))))
    with pytest.raises(IndexError, match="reference backend: getitem: index 3 is out of bounds"):
        B.getitem(a, (3,))
    with pytest.raises(IndexError, match="out of bounds"):
        B.getitem(a, (R(I([0, 4])), 0)) if False else B.getitem(a, (slice(None), R(I([0, 4]))))
    with pytest.raises(IndexError, match="too many indices"):
        B.getitem(a, (0, 0, 0))
    with pytest.raises(IndexError, match="bool index"):
        B.getitem(a, (R(I([True, False])),))
    with pytest.raises(TypeError, match="numpy.ndarray"):
        B.getitem(a, (np.array([0, 1]),))
    with pytest.raises(IndexError, match="int64 or bool"):
        B.getitem(a, (R(I([0.0, 1.0])),))
    with pytest.raises(IndexError, match="single Ellipsis"):
        B.getitem(a, (Ellipsis, Ellipsis))


INDEX_ADD_CASES = [
    (I([0, 2, 0, 0]),), (slice(None), I([1, 1, 3])), (I([[0, 0], [1, 2]]), I([1, 1])),
    (slice(None, None, -2),), (1,), (Ellipsis, 1), (I([True, False, True]),),
    (I([0, 0]), slice(None), I([1, 1])), (slice(1, None), None),
]


@pytest.mark.parametrize("index", INDEX_ADD_CASES, ids=[str(i) for i in range(len(INDEX_ADD_CASES))])
@pytest.mark.parametrize("dtype", [float32, float64, int64])
def test_index_add_put(index, dtype, rng):
    x = rand(rng, (3, 4, 2), dtype)
    sub_shape = x[index].shape
    v = rand(rng, sub_shape, dtype)
    # repeated indices: the reference accumulates in double and rounds once, numpy's add.at
    # rounds to float32 after each addition
    tol = dict(rtol=1e-6, atol=1e-6) if dtype is float32 else {}
    want = x.copy()
    np.add.at(want, index, v)
    check(B.index_add(R(x), _idx(index), R(v)), want, **tol)
    # broadcast values
    v1 = rand(rng, sub_shape[-1:], dtype)
    want = x.copy()
    np.add.at(want, index, v1)
    check(B.index_add(R(x), _idx(index), R(v1)), want, **tol)
    want = x.copy()
    want[index] = v
    check(B.index_put(R(x), _idx(index), R(v)), want)
    want = x.copy()
    want[index] = 5
    check(B.index_put(R(x), _idx(index), 5), want)
    # inputs untouched
    rx = R(x)
    B.index_add(rx, _idx(index), R(v))
    check(rx, x)


@pytest.mark.parametrize("shape,ishape,axis", [((3, 4), (3, 2), 1), ((3, 4), (5, 4), 0),
                                               ((2, 3, 4), (2, 3, 1), 2), ((3, 4), (1, 2), 1),
                                               ((5,), (7,), 0), ((3, 4), (3, 0), 1)])
def test_take_put_along_axis(shape, ishape, axis, rng):
    x = rand(rng, shape)
    idx = rng.integers(-shape[axis], shape[axis], size=ishape).astype(np.int64)
    check(B.take_along_axis(R(x), R(idx), axis), np.take_along_axis(x, idx, axis=axis))
    if all(i <= s or d == axis for d, (i, s) in enumerate(zip(ishape, shape))):
        v = rand(rng, ishape)
        from xgrad.backends.numpy import NumpyBackend
        want = NumpyBackend().put_along_axis_add(x, idx, v, axis)
        check(B.put_along_axis_add(R(x), R(idx), R(v), axis), want, rtol=1e-15)


@pytest.mark.parametrize("shapes,axis", [([(2, 3), (4, 3)], 0), ([(2, 3), (2, 1), (2, 0)], 1),
                                         ([(2, 3, 4)], 2), ([(0, 2), (3, 2)], 0)])
def test_concatenate(shapes, axis, rng):
    xs = [rand(rng, s) for s in shapes]
    check(B.concatenate([R(x) for x in xs], axis), np.concatenate(xs, axis=axis))
    with pytest.raises(TypeError, match="dtypes differ"):
        B.concatenate([R(xs[0]), R(xs[0].astype(np.float32))], axis)


@pytest.mark.parametrize("shape,widths", [((3, 4), ((1, 2), (0, 3))), ((2,), ((0, 0),)),
                                          ((2, 1, 3), ((1, 0), (2, 2), (0, 1))), ((0, 2), ((1, 1), (1, 0)))])
@pytest.mark.parametrize("dtype", [float32, float64, int32, bool_])
def test_pad(shape, widths, dtype, rng):
    x = rand(rng, shape, dtype)
    for value in (0.0, 1.5, -2):
        if dtype is bool_ or (not dtype.is_floating_point and isinstance(value, float)):
            value = 0
        want = np.pad(x, widths, mode="constant", constant_values=value)
        check(B.pad(R(x), widths, value), want)


@pytest.mark.parametrize("shape,window,strides,dilation", [
    ((2, 3, 7, 6), (3, 2), (1, 1), (1, 1)), ((2, 3, 7, 6), (3, 2), (2, 3), (1, 1)),
    ((1, 2, 9, 8), (2, 3), (2, 1), (3, 2)), ((5,), (2,), (1,), (1,)), ((4, 6), (4, 1), (1, 4), (1, 1)),
])
def test_sliding_window(shape, window, strides, dilation, rng):
    from xgrad.backends.numpy import NumpyBackend
    x = rand(rng, shape)
    want = NumpyBackend().sliding_window(x, window, strides, dilation)
    check(B.sliding_window(R(x), window, strides, dilation), np.ascontiguousarray(want))
    with pytest.raises(ValueError, match="sliding_window"):
        B.sliding_window(R(x), (100,), (1,), (1,))


MATMUL = [((3, 4), (4, 5)), ((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,)), ((2, 3, 4), (4, 2)),
          ((2, 1, 3, 4), (5, 4, 2)), ((3, 0), (0, 2)), ((0, 3), (3, 2)), ((2, 3, 4), (4,)),
          ((4,), (3, 4, 2))]


@pytest.mark.parametrize("shapes", MATMUL)
@pytest.mark.parametrize("dtype", [float32, float64, int32, int64])
def test_matmul(shapes, dtype, rng):
    a, b = rand(rng, shapes[0], dtype), rand(rng, shapes[1], dtype)
    check(B.matmul(R(a), R(b)), np.matmul(a, b), rtol={float32: 1e-5, float64: 1e-14}.get(dtype),
          atol={float32: 1e-5, float64: 1e-13}.get(dtype, 0))


def test_matmul_exact_float64():
    a = np.array([[1e16, 1.0, -1e16]])
    b = np.array([[1.0], [1.0], [1.0]])
    assert N(B.matmul(R(a), R(b))).tolist() == [[1.0]]


def test_matmul_errors(rng):
    with pytest.raises(ValueError, match=r"reference backend: matmul.*\(3, 4\).*\(5, 2\)"):
        B.matmul(R(rand(rng, (3, 4))), R(rand(rng, (5, 2))))
    with pytest.raises(ValueError, match="not broadcastable"):
        B.matmul(R(rand(rng, (2, 3, 4))), R(rand(rng, (3, 4, 2))))


def test_assign(rng):
    d = R(rand(rng, (2, 3)))
    view = B.reshape(d, (6,))
    src = rand(rng, (3,))
    out = B.assign(d, R(src))
    assert out is d
    check(d, np.broadcast_to(src, (2, 3)))
    check(view, np.broadcast_to(src, (2, 3)).reshape(6))  # reshape shares storage, as in numpy
    B.assign(d, 0.5)
    check(d, np.full((2, 3), 0.5))
    with pytest.raises(TypeError, match="assign"):
        B.assign(d, R(src.astype(np.float32)))
    with pytest.raises(ValueError, match="assign"):
        B.assign(d, R(rand(rng, (4,))))


# ---- strict input checks ----------------------------------------------------------------
def test_strict_errors(rng):
    a = R(rand(rng, (2, 3)))
    with pytest.raises(TypeError, match=r"reference backend: add: .*numpy\.ndarray"):
        B.add(a, np.ones((2, 3)))
    with pytest.raises(TypeError, match=r"reference backend: mul: dtypes differ: float64 .*float32"):
        B.mul(a, R(np.ones((2, 3), np.float32)))
    with pytest.raises(ValueError, match=r"reference backend: sub: shapes \(2, 3\) and \(4,\)"):
        B.sub(a, R(np.ones(4)))
    with pytest.raises(IndexError, match="reference backend: sum: axis 2"):
        B.sum(a, (2,), False)
    with pytest.raises(IndexError, match="reference backend: argmax: axis"):
        B.argmax(a, 5, False)
    with pytest.raises(TypeError, match="reference backend: exp: expected a floating"):
        B.exp(R(np.ones(2, np.int64)))
    with pytest.raises(TypeError, match="reference backend: div"):
        B.div(R(np.ones(2, np.int64)), R(np.ones(2, np.int64)))
    with pytest.raises(TypeError, match="float scalar"):
        B.add(R(np.ones(2, np.int64)), 0.5)
    with pytest.raises(TypeError, match="reference backend: where: cond must be a bool"):
        B.where(a, a, a)
    with pytest.raises(TypeError, match="from_numpy"):
        B.from_numpy([1, 2], float32)
    with pytest.raises(TypeError, match="to_numpy"):
        B.to_numpy(np.ones(2))
    with pytest.raises(TypeError, match="does not convert to numpy implicitly"):
        np.asarray(a)
    with pytest.raises(TypeError, match="neg"):
        B.neg(R(np.ones(2, bool)))
    with pytest.raises(ValueError, match="pad"):
        B.pad(a, ((1, 1),), 0.0)


# ---- a tiny MLP training step, compared with numpy ---------------------------------------
def _mlp_step(ops, to, x, y, w1, b1, w2, b2, lr):
    """Forward + manual backward + SGD on ``ops`` (a backend); returns loss and new params."""
    h = ops.add(ops.matmul(x, w1), b1)
    mask = ops.gt(h, 0.0)
    a = ops.where(mask, h, 0.0)
    out = ops.add(ops.matmul(a, w2), b2)
    diff = ops.sub(out, y)
    n = x.shape[0] * 4
    loss = ops.div(ops.sum(ops.mul(diff, diff), (0, 1), False), float(n))
    g_out = ops.mul(diff, 2.0 / n)
    g_w2 = ops.matmul(ops.permute(a, (1, 0)), g_out)
    g_b2 = ops.sum(g_out, (0,), False)
    g_a = ops.matmul(g_out, ops.permute(w2, (1, 0)))
    g_h = ops.where(mask, g_a, 0.0)
    g_w1 = ops.matmul(ops.permute(x, (1, 0)), g_h)
    g_b1 = ops.sum(g_h, (0,), False)
    new = [ops.sub(p, ops.mul(g, lr)) for p, g in ((w1, g_w1), (b1, g_b1), (w2, g_w2), (b2, g_b2))]
    return [to(loss)] + [to(p) for p in new]


def test_tiny_mlp_step(rng):
    from xgrad.backends.numpy import NumpyBackend
    nb = NumpyBackend()
    arrays = [rand(rng, s, float64, -1, 1) for s in [(8, 20), (8, 4), (20, 16), (16,), (16, 4),
                                                      (4,)]]
    got = _mlp_step(B, B.to_numpy, *[R(v) for v in arrays], 0.1)
    want = _mlp_step(nb, np.asarray, *arrays, 0.1)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)
    got32 = _mlp_step(B, B.to_numpy, *[R(v.astype(np.float32)) for v in arrays], 0.1)
    want32 = _mlp_step(nb, np.asarray, *[v.astype(np.float32) for v in arrays], 0.1)
    for g, w in zip(got32, want32):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
