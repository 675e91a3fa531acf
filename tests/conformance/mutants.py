"""A planted-bug corpus: subclasses of the numpy backend with one realistic bug each
(this module and :mod:`mutants_kernels`; the base class is in :mod:`mutant_base`).

Every class's docstring says the bug; ``category`` groups it for the kill-rate report and
``cases`` lists (fnmatch patterns over the suite's case names) where the suite should catch
it: op cases by name (``exp``, ``F.conv2d*``), layers as ``module.NAME``, optimizers as
``optim.NAME``, RNG checks as ``rng.KIND`` (``rng.random_bits.counters`` for the
word-for-word counter check) and direct primitive checks as ``prim.NAME``.
``mutant_report.hunt`` runs those checks in-process (the CI mode of
``test_mutant_corpus.py``); ``python -m tests.conformance.mutant_report --full`` runs the
whole suite on each mutant through pytest instead.

Loaded as a pytest plugin (``-p mutants`` with this folder on ``PYTHONPATH``) it registers
every mutant as a backend named ``mut_<snake case of the class>``.
"""
from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import xgrad
from mutant_base import CATEGORIES, Mutant, _f16, _writable

__all__ = ["Mutant", "MUTANTS", "CATEGORIES", "register", "backend_name"]


# ---- values and tails -------------------------------------------------------------------
class ExpTail(Mutant):
    """exp is 1e-4 too large (relative) for x > 5 (a poor range reduction)."""

    category, cases = "values", ("exp",)

    def exp(self, x):
        return np.where(x > 5, np.exp(x) * x.dtype.type(1 + 1e-4), np.exp(x)).astype(x.dtype)


class TanhSaturates(Mutant):
    """tanh returns ±1 for |x| > 3 (an early saturation cut-off)."""

    category, cases = "values", ("tanh",)

    def tanh(self, x):
        return np.where(np.abs(x) > 3, np.sign(x), np.tanh(x)).astype(x.dtype)


class ErfSaturates(Mutant):
    """erf returns ±1 for |x| > 3."""

    category, cases = "values", ("erf", "special")

    def erf(self, x):
        return np.where(np.abs(x) > 3, np.sign(x), super().erf(x)).astype(x.dtype)


class Log1pNaive(Mutant):
    """log1p computed as log(1 + x): 0 for tiny x."""

    category, cases = "values", ("log1p",)

    def log1p(self, x):
        return np.log(1 + x)


class Expm1Naive(Mutant):
    """expm1 computed as exp(x) - 1: cancellation for tiny x."""

    category, cases = "values", ("expm1",)

    def expm1(self, x):
        return np.exp(x) - 1


class SigmoidViaTanh(Mutant):
    """fused sigmoid as 0.5 * (1 + tanh(x / 2)): tiny results for x << 0 cancel to 0."""

    category, cases = "values", ("sigmoid", "F.sigmoid")

    def sigmoid(self, x):
        h = x.dtype.type(0.5)
        return h * (1 + np.tanh(x * h))


class ExpWrongConstant(Mutant):
    """exp computed as 2.718 ** x (a truncated e)."""

    category, cases = "values", ("exp",)

    def exp(self, x):
        return np.power(x.dtype.type(2.718), x)


class GeluTanhConstant(Mutant):
    """fused tanh-gelu with 0.0447 for 0.044715."""

    category, cases = "values", ("gelu.tanh", "F.gelu.tanh")

    def gelu(self, x, approximate):
        if approximate != "tanh":
            return super().gelu(x, approximate)
        c = x.dtype.type(math.sqrt(2.0 / math.pi))
        return 0.5 * x * (1 + np.tanh(c * (x + x.dtype.type(0.0447) * x * x * x)))


class AbsNegativeZero(Mutant):
    """abs(-0.0) returns -0.0 (abs written as where(x < 0, -x, x))."""

    category, cases = "values", ("__abs__", "abs")

    def abs(self, x):
        return np.where(x < 0, -x, x)


class SinRangeReduction(Mutant):
    """sin reduces its argument modulo 6.283 instead of 2*pi: wrong for |x| > 2*pi."""

    category, cases = "values", ("sin",)

    def sin(self, x):
        return np.sin(np.fmod(x, x.dtype.type(6.283)) if x.dtype.kind == "f" else x)


class Atan2Quadrant(Mutant):
    """atan2(a, b) as arctan(a / b): the quadrant is lost for b < 0."""

    category, cases = "values", ("atan2",)

    def atan2(self, a, b):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.arctan(a / b)


class RemainderTruncated(Mutant):
    """remainder with C fmod semantics (sign of the dividend, not of the divisor)."""

    category, cases = "values", ("remainder", "__mod__")

    def remainder(self, a, b):
        return np.fmod(a, b)


class FloordivTruncates(Mutant):
    """floor division truncates toward zero."""

    category, cases = "values", ("floor_divide", "__floordiv__", "div.floor")

    def floordiv(self, a, b):
        return np.trunc(np.true_divide(a, b)).astype(np.result_type(a, b))


class MaximumDropsNaN(Mutant):
    """maximum ignores NaN (fmax semantics) instead of propagating it."""

    category, cases = "values", ("maximum",)

    def maximum(self, a, b):
        return np.fmax(a, b)


class PowViaExpLog(Mutant):
    """pow computed as exp(b * log(a)): NaN for negative bases, even with integer b."""

    category, cases = "values", ("pow", "__pow__")

    def pow(self, a, b):
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.exp(np.multiply(b, np.log(a))).astype(np.result_type(a, b))


# ---- ties ---------------------------------------------------------------------------------
class ArgmaxLast(Mutant):
    """argmax returns the last of equal maxima."""

    category, cases = "ties", ("argmax*", "max.dim*")

    def argmax(self, x, axis, keepdims):
        n = x.shape[axis]
        r = (n - 1) - np.argmax(np.flip(x, axis=axis), axis=axis, keepdims=keepdims)
        return r.astype(np.int64)


class ArgminLast(Mutant):
    """argmin returns the last of equal minima."""

    category, cases = "ties", ("argmin*", "min.dim*")

    def argmin(self, x, axis, keepdims):
        n = x.shape[axis]
        r = (n - 1) - np.argmin(np.flip(x, axis=axis), axis=axis, keepdims=keepdims)
        return r.astype(np.int64)


class SortDescendingUnstable(Mutant):
    """descending sort is the stable ascending sort reversed: equal keys come out reversed."""

    category, cases = "ties", ("sort*", "argsort*", "topk*")

    def sort(self, x, axis, descending):
        if not descending:
            return super().sort(x, axis, descending)
        idx = np.flip(np.argsort(x, axis=axis, kind="stable"), axis=axis).astype(np.int64)
        return np.take_along_axis(x, idx, axis=axis), idx


class MaxPoolBackwardLast(Mutant):
    """max_pool2d_backward routes each window's gradient to its last maximum."""

    category, cases = "ties", ("max_pool2d*", "F.max_pool2d*")

    def max_pool2d_backward(self, x, g, kernel, stride, padding, dilation, ceil_mode):
        h, w = x.shape[2:]
        out = self.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode)
        xpad, slices = self._pool_plan(x, kernel, stride, padding, dilation, ceil_mode)
        gx = np.zeros(xpad.shape, dtype=g.dtype)
        taken = np.zeros(out.shape, dtype=bool)
        for sl in reversed(slices):  # the bug: the offsets scanned from the end
            hit = (xpad[sl] == out) & ~taken
            taken |= hit
            gx[sl] += g * hit
        ph, pw = padding
        return gx[:, :, ph:ph + h, pw:pw + w] if gx.shape[2:] != (h, w) else gx


class MaxPoolBackwardAll(Mutant):
    """max_pool2d_backward gives the window's gradient to every maximum, not the first."""

    category, cases = "ties", ("max_pool2d*", "F.max_pool2d*")

    def max_pool2d_backward(self, x, g, kernel, stride, padding, dilation, ceil_mode):
        h, w = x.shape[2:]
        out = self.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode)
        xp_, slices = self._pool_plan(x, kernel, stride, padding, dilation, ceil_mode)
        gx = np.zeros(xp_.shape, dtype=g.dtype)
        for sl in slices:
            gx[sl] += g * (xp_[sl] == out)
        ph, pw = padding
        return gx[:, :, ph:ph + h, pw:pw + w] if gx.shape[2:] != (h, w) else gx


# ---- empty inputs -------------------------------------------------------------------------
class ProdEmptyZero(Mutant):
    """prod of an empty reduction returns 0 instead of 1."""

    category, cases = "empty", ("reduce.empty", "prod*")

    def prod(self, x, axes, keepdims):
        r = super().prod(x, axes, keepdims)
        if x.size == 0:
            return np.zeros_like(r)
        return r


class SumEmptyScalar(Mutant):
    """sum of an empty array returns a 0-d zero, whatever the axes."""

    category, cases = "empty", ("reduce.empty", "sum*")

    def sum(self, x, axes, keepdims):
        if x.size == 0:
            return np.zeros((), dtype=np.int64 if x.dtype.kind in "bi" else x.dtype)
        return super().sum(x, axes, keepdims)


class CumsumEmptyFlat(Mutant):
    """cumsum of an empty array returns shape (0,) whatever its shape."""

    category, cases = "empty", ("reduce.empty", "cumsum*")

    def cumsum(self, x, axis):
        if x.size == 0:
            return np.zeros((0,), dtype=np.int64 if x.dtype.kind in "bi" else x.dtype)
        return super().cumsum(x, axis)


class MaxEmptyKeepdims(Mutant):
    """max over an axis of a 0-d or size-1 input drops keepdims."""

    category, cases = "empty", ("reduce.*", "amax*", "max*")

    def max(self, x, axes, keepdims):
        if x.size <= 1:
            return np.max(x, axis=axes, keepdims=False)
        return super().max(x, axes, keepdims)


# ---- dtype drift --------------------------------------------------------------------------
class ExpFloat32InFloat64(Mutant):
    """exp of float32 computed in float64 and returned as float64."""

    category, cases = "dtype", ("exp",)

    def exp(self, x):
        return np.exp(x.astype(np.float64)) if x.dtype == np.float32 else np.exp(x)


class ExpFloat64AsFloat32(Mutant):
    """exp of float64 returned as float32 (a library running with 64-bit floats off)."""

    category, cases = "dtype", ("prim.dtype.exp",)

    def exp(self, x):
        return np.exp(x.astype(np.float32)) if x.dtype == np.float64 else np.exp(x)


class ArgmaxInt32(Mutant):
    """argmax returns int32 indices (a library whose default index type is int32)."""

    category, cases = "dtype", ("prim.dtype.argmax",)

    def argmax(self, x, axis, keepdims):
        return np.argmax(x, axis=axis, keepdims=keepdims).astype(np.int32)


class MaximumIgnoresNaN(Mutant):
    """the optional maximum is fmax: a NaN operand loses to a number (unlike its
    decomposition, and numpy's maximum)."""

    category, cases = "values", ("prim.derived.maximum",)

    def maximum(self, a, b):
        return np.fmax(a, b)


class IntSumKeepsInt32(Mutant):
    """sum of int32 keeps int32 (the contract widens integer sums to int64)."""

    category, cases = "dtype", ("sum*.int", "sum.int", "reduce.*")

    def sum(self, x, axes, keepdims):
        if x.dtype == np.int32:
            return np.sum(x, axis=axes, keepdims=keepdims, dtype=np.int32)
        return super().sum(x, axes, keepdims)


class BoolSumKeepsBool(Mutant):
    """sum of bool stays bool (a logical or): ``mask.sum()`` is True, not a count."""

    category, cases = "dtype", ("sum*", "reduce.*", "F.one_hot", "count*")

    def sum(self, x, axes, keepdims):
        if x.dtype == np.bool_:
            return np.any(x, axis=axes, keepdims=keepdims)
        return super().sum(x, axes, keepdims)


class TanhFloat16AsFloat32(Mutant):
    """tanh of float16 computed in float32 and returned unrounded, as float32."""

    category, cases = "dtype", ("tanh",)

    def tanh(self, x):
        return np.tanh(x.astype(np.float32)) if _f16(x) else np.tanh(x)


class CumsumIntKeepsInt32(Mutant):
    """cumsum of int32 keeps int32."""

    category, cases = "dtype", ("cumsum*",)

    def cumsum(self, x, axis):
        if x.dtype == np.int32:
            return np.cumsum(x, axis=axis, dtype=np.int32)
        return super().cumsum(x, axis)


class CastFloat16Truncates(Mutant):
    """cast to float16 truncates the mantissa instead of rounding to nearest."""

    category, cases = "dtype", ("to", "to.*")

    def cast(self, x, dtype):
        out = super().cast(x, dtype)
        if out.dtype == np.float16 and x.dtype in (np.float32, np.float64):
            bits = x.astype(np.float32).view(np.uint32) & np.uint32(0xFFFFE000)
            return bits.view(np.float32).astype(np.float16)
        return out


class MatmulFloat64InFloat32(Mutant):
    """float64 matmul computed in float32 (a fast path that forgets the dtype)."""

    category, cases = "dtype", ("matmul", "mm", "bmm")

    def matmul(self, a, b):
        if a.dtype == np.float64:
            return np.matmul(a.astype(np.float32), b.astype(np.float32)).astype(np.float64)
        return np.matmul(a, b)


class RandomBitsInt32(Mutant):
    """random_bits returns int32 words (negative for words >= 2**31)."""

    category, cases = "dtype", ("rng.*",)

    def random_bits(self, shape, seed, offset):
        return super().random_bits(shape, seed, offset).astype(np.int32)


# ---- input mutation -----------------------------------------------------------------------
class ExpInPlace(Mutant):
    """exp writes its result into its argument."""

    category, cases = "mutation", ("exp",)

    def exp(self, x):
        if _writable(x):
            return np.exp(x, out=x).copy()
        return np.exp(x)


class AddInPlace(Mutant):
    """add accumulates into its first argument when the shapes match."""

    category, cases = "mutation", ("add", "__add__")

    def add(self, a, b):
        if _writable(a) and np.shape(b) == a.shape and a.dtype == np.result_type(a, b):
            a += b
            return a.copy()
        return np.add(a, b)


class SoftmaxShiftsInput(Mutant):
    """fused softmax subtracts the row maximum from its input in place."""

    category, cases = "mutation", ("softmax", "F.softmax")

    def softmax(self, x, axis):
        if _writable(x):
            x -= x.max(axis=axis, keepdims=True)
        return super().softmax(x, axis)


class SortInPlace(Mutant):
    """sort sorts its argument in place."""

    category, cases = "mutation", ("sort", "sort.*")

    def sort(self, x, axis, descending):
        vals, idx = super().sort(x, axis, descending)
        if _writable(x):
            x[...] = vals
        return vals.copy(), idx


class CumsumInPlace(Mutant):
    """cumsum of a float array accumulates in place."""

    category, cases = "mutation", ("cumsum",)

    def cumsum(self, x, axis):
        if _writable(x) and x.dtype.kind == "f":
            np.cumsum(x, axis=axis, out=x)
            return x.copy()
        return super().cumsum(x, axis)


class IndexPutInPlace(Mutant):
    """index_put writes into its argument instead of a copy."""

    category, cases = "mutation", ("index_put*", "__setitem__", "masked_fill", "scatter*")

    def index_put(self, x, index, values):
        if _writable(x):
            x[index] = values
            return x.copy()
        return super().index_put(x, index, values)


# ---- broadcasting -------------------------------------------------------------------------
class MaximumBroadcastFirst(Mutant):
    """maximum with a broadcast second operand uses only its first element."""

    category, cases = "broadcast", ("maximum", "clamp*")

    def maximum(self, a, b):
        if np.ndim(b) and np.size(b) != np.size(a) and np.size(b) > 1:
            b = np.asarray(b).reshape(-1)[0]
        return np.maximum(a, b)


class SumKeepdimsDropsRow(Mutant):
    """sum(keepdims=True) over axis 0 drops the first row (only broadcast gradients ask)."""

    category, cases = "broadcast", ("add", "mul", "sub", "div")

    def sum(self, x, axes, keepdims):
        if keepdims and 0 in axes and x.ndim > 1 and x.shape[0] > 1:
            x = x[1:]
        return super().sum(x, axes, keepdims)


class WhereBroadcastCond(Mutant):
    """where with a condition smaller than the operands uses its first element."""

    category, cases = "broadcast", ("where", "xgrad.where", "masked_fill")

    def where(self, cond, a, b):
        shape = np.broadcast_shapes(np.shape(cond), np.shape(a), np.shape(b))
        if np.shape(cond) != shape and np.size(cond) > 1:
            cond = np.asarray(cond).reshape(-1)[0]
        return np.where(cond, a, b)


class DivBroadcastReversed(Mutant):
    """div of a lower-rank divisor broadcasts it reversed along its last axis."""

    category, cases = "broadcast", ("div", "__truediv__", "true_divide")

    def div(self, a, b):
        if 0 < np.ndim(b) < np.ndim(a):
            b = np.asarray(b)[..., ::-1]
        return np.true_divide(a, b)


class BroadcastToLeftAligned(Mutant):
    """broadcast_to of a lower-rank array pads its shape with 1s on the right when that fits."""

    category, cases = "broadcast", ("expand*", "broadcast_to", "add", "mul", "prim.broadcast_to*")

    def broadcast_to(self, x, shape):
        k = len(shape) - x.ndim
        if k > 0:
            alt = x.shape + (1,) * k
            if all(a in (1, s) for a, s in zip(alt, shape)):
                return np.broadcast_to(x.reshape(alt), shape)
        return np.broadcast_to(x, shape)


import mutants_aliasing  # noqa: E402  (the aliasing third of the corpus)
import mutants_kernels  # noqa: E402  (the second half of the corpus)


# ---- the corpus ---------------------------------------------------------------------------
def _classes(ns: dict) -> list[type[Mutant]]:
    return [c for c in ns.values() if isinstance(c, type) and issubclass(c, Mutant)
            and c is not Mutant and c.__module__ == ns["__name__"]]


MUTANTS: tuple[type[Mutant], ...] = tuple(_classes(globals()) + _classes(vars(mutants_kernels))
                                           + _classes(vars(mutants_aliasing)))


def backend_name(cls: type[Mutant]) -> str:
    """The registry name of a mutant: ``mut_`` + the class name in snake case."""
    return "mut_" + re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", cls.__name__).lower()


for _cls in MUTANTS:
    _cls.name = _cls.device = backend_name(_cls)
del _cls


class _Plugin:
    """Registers every mutant as a backend."""

    @xgrad.hookimpl
    def xgrad_register_backends(self) -> list:
        from xgrad.registry import BackendSpec

        return [BackendSpec(c.name, (lambda k: lambda index: k())(c)) for c in MUTANTS]


_STATE: dict[str, Any] = {}


def register() -> None:
    """Register the corpus with xgrad's backend registry (once per process)."""
    if "plugin" not in _STATE:
        from xgrad.registry import register_plugin

        _STATE["plugin"] = _Plugin()
        register_plugin(_STATE["plugin"], name="xgrad-mutant-corpus")


def pytest_configure(config: Any) -> None:
    """As a pytest plugin (``-p tests.conformance.mutants``): register the corpus."""
    register()
