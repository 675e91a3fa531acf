"""One backend implementation over an array module ``xp`` (numpy or cupy).

The numpy backend is this class over numpy; the cupy backend subclasses it over cupy and
adds only what is GPU-specific. So the code the CPU tests exercise is the code that runs
on the GPU.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as _np
from xgrad.backend import Backend
from xgrad.dtypes import ALL_DTYPES, DType, bool_, float16, float32, float64, int32, int64
from xgrad.philox import philox_words

from ._scratch import ScratchCache
from ._xp_linalg import ArrayModuleLinalg

_HOST = {float16: _np.float16, float32: _np.float32, float64: _np.float64,
         int32: _np.int32, int64: _np.int64, bool_: _np.bool_}

# erf: W. J. Cody's rational approximations (max rel. error ~1e-16 in float64).
_ERF_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
          3.20937758913846947e03, 1.85777706184603153e-1)
_ERF_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
          2.84423683343917062e03)
_ERF_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
          2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
          2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_ERF_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
          1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
          3.43936767414372164e03, 1.23033935480374942e03)
_ERF_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
          1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_ERF_Q = (2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1,
          6.05183413124413191e-2, 2.33520497626869185e-3)


#: Primitives that are exactly one call of an array-module function: name -> ``xp`` attribute.
_DIRECT: dict[str, str] = {
    "add": "add", "sub": "subtract", "mul": "multiply", "div": "true_divide",
    "floordiv": "floor_divide", "remainder": "remainder", "pow": "power", "atan2": "arctan2",
    "maximum": "maximum", "minimum": "minimum", "neg": "negative", "exp": "exp", "log": "log",
    "log1p": "log1p", "expm1": "expm1", "sin": "sin", "cos": "cos", "tanh": "tanh",
    "sqrt": "sqrt", "abs": "abs", "sign": "sign", "floor": "floor", "isnan": "isnan",
    "isinf": "isinf", "where": "where", "eq": "equal", "ne": "not_equal", "lt": "less",
    "le": "less_equal", "gt": "greater", "ge": "greater_equal", "logical_and": "logical_and",
    "logical_or": "logical_or", "logical_xor": "logical_xor", "logical_not": "logical_not",
    "matmul": "matmul",
}


class ArrayModuleBackend(ArrayModuleLinalg, Backend):
    """The required primitives (and fused ops) written once against ``self.xp``; the optional
    linalg group comes from :class:`~._xp_linalg.ArrayModuleLinalg`."""

    dtypes = frozenset(ALL_DTYPES)
    fused_ops = frozenset({
        "log_softmax", "softmax", "logsumexp", "cross_entropy", "cross_entropy_grad", "gelu",
        "sigmoid", "linear", "conv2d", "conv2d_input_grad", "conv2d_weight_grad", "max_pool2d",
        "max_pool2d_backward", "max_pool2d_backward_out", "sgd_step", "adam_step", "random_uniform",
        "random_normal", "relu_backward", "cross_entropy_with_grad"})

    #: Bytes per thread of kernel-internal temporaries (im2col columns) kept for reuse
    #: (:class:`~._scratch.ScratchCache`); 0 allocates each one afresh.
    scratch_bytes: int = 0

    def __init__(self, xp: Any) -> None:
        self.xp = xp
        self._scratch = ScratchCache(xp.empty, self.scratch_bytes)
        self._native = {d: getattr(xp, _HOST[d].__name__) for d in ALL_DTYPES}
        self._from_native = {_np.dtype(v): k for k, v in self._native.items()}
        # Primitives that are one xp call are bound straight to that function (no Python
        # frame per call), unless a subclass overrides the method: then the override runs.
        cls = type(self)
        for name, attr in _DIRECT.items():
            if getattr(cls, name) is _GENERATED[name]:
                setattr(self, name, getattr(xp, attr))

    # ---- introspection ----------------------------------------------------------------
    def dtype(self, x) -> DType:
        try:
            return self._from_native[x.dtype]
        except KeyError:
            return self._unknown_dtype(x)

    def _unknown_dtype(self, x) -> DType:
        """The dtype of an array whose native dtype is not (yet) in the table; a subclass
        resolves optional dtypes here, off the hot path."""
        raise TypeError(f"{self.name} backend: unsupported array dtype {x.dtype}")

    # ---- transfer and creation --------------------------------------------------------
    def from_numpy(self, a, dtype):
        return self.xp.array(a, dtype=self._native[dtype], copy=True)

    def to_numpy(self, x):
        return _np.asarray(x)

    def full(self, shape, value, dtype):
        return self.xp.full(shape, value, dtype=self._native[dtype])

    def arange(self, start, stop, step, dtype):
        return self.xp.arange(start, stop, step, dtype=self._native[dtype])

    def random_bits(self, shape, seed, offset):
        n = math.prod(shape)
        return philox_words(self.xp, n, seed, offset).astype(self.xp.int64).reshape(shape)

    def random_uniform(self, shape, seed, offset, dtype):
        return self._uniform(shape, seed, offset, dtype)

    def _uniform(self, shape, seed, offset, dtype):
        xp = self.xp
        n = math.prod(shape)
        if dtype is float64:  # 53 bits: 27 from one word, 26 from the next n words on
            w = philox_words(xp, 2 * n, seed, offset)
            return (((w[:n] >> 6) << 27) + (w[n:] >> 5)).astype(xp.float64).reshape(shape) \
                * xp.float64(2.0 ** -53)
        w = philox_words(xp, n, seed, offset)
        if dtype is float16:  # 11 bits fit float16 exactly
            u = (w >> 21).astype(xp.float32) * xp.float32(2.0 ** -11)
        else:
            u = (w >> 8).astype(xp.float32) * xp.float32(2.0 ** -24)
        return u.reshape(shape) if dtype is float32 else u.astype(self._native[dtype]).reshape(shape)

    def random_normal(self, shape, seed, offset, dtype, wide):
        xp = self.xp
        bits = float64 if dtype is float64 else float32
        k = (math.prod(shape) * (2 if bits is float64 else 1) + 3) // 4 * 4
        w = self._native[wide]
        u1 = w(1.0) - self._uniform(shape, seed, offset, bits).astype(w)
        u2 = self._uniform(shape, seed, offset + k, bits).astype(w)
        z = xp.sqrt(xp.log(u1) * w(-2.0)) * xp.cos(u2 * w(2 * math.pi))
        return z.astype(self._native[dtype])

    # ---- elementwise ------------------------------------------------------------------
    def erf(self, x):
        xp = self.xp
        dt = x.dtype
        v = x.astype(xp.float64)
        y = xp.abs(v)
        out = xp.empty_like(v)
        small = y <= 0.46875
        mid = (~small) & (y <= 4.0)
        big = y > 4.0
        y = xp.minimum(y, 6.0)  # erf(6) == 1 in float64; keeps inf - inf out of the tail
        if small.any():
            ys = y[small]
            z = ys * ys
            num = _ERF_A[4] * z
            den = z
            for i in range(3):
                num = (num + _ERF_A[i]) * z
                den = (den + _ERF_B[i]) * z
            out[small] = ys * (num + _ERF_A[3]) / (den + _ERF_B[3])
        if mid.any():
            ym = y[mid]
            num = _ERF_C[8] * ym
            den = ym
            for i in range(7):
                num = (num + _ERF_C[i]) * ym
                den = (den + _ERF_D[i]) * ym
            r = (num + _ERF_C[7]) / (den + _ERF_D[7])
            out[mid] = 1.0 - self._erfc_tail(ym) * r
        if big.any():
            yb = y[big]
            z = 1.0 / (yb * yb)
            num = _ERF_P[5] * z
            den = z
            for i in range(4):
                num = (num + _ERF_P[i]) * z
                den = (den + _ERF_Q[i]) * z
            r = z * (num + _ERF_P[4]) / (den + _ERF_Q[4])
            r = (0.56418958354775628695 - r) / yb
            out[big] = 1.0 - self._erfc_tail(yb) * r
        out = xp.copysign(out, v)  # erf is odd, erf(-0.0) is -0.0
        out = xp.where(xp.isnan(v), v, out)
        return out.astype(dt)

    def _erfc_tail(self, y):
        xp = self.xp
        ysq = xp.trunc(y * 16.0) / 16.0
        delta = (y - ysq) * (y + ysq)
        return xp.exp(-ysq * ysq) * xp.exp(-delta)

    def cast(self, x, dtype):
        return x.astype(self._native[dtype])

    # ---- reductions -------------------------------------------------------------------
    def sum(self, x, axes, keepdims):
        if x.dtype.kind in "bi":
            return self.xp.sum(x, axis=axes, keepdims=keepdims, dtype=self.xp.int64)
        return self.xp.sum(x, axis=axes, keepdims=keepdims)

    def prod(self, x, axes, keepdims):
        if x.dtype.kind in "bi":
            return self.xp.prod(x, axis=axes, keepdims=keepdims, dtype=self.xp.int64)
        return self.xp.prod(x, axis=axes, keepdims=keepdims)

    def max(self, x, axes, keepdims):
        return self.xp.max(x, axis=axes, keepdims=keepdims)

    def min(self, x, axes, keepdims):
        return self.xp.min(x, axis=axes, keepdims=keepdims)

    def argmax(self, x, axis, keepdims):
        return self.xp.argmax(x, axis=axis, keepdims=keepdims).astype(self.xp.int64)

    def argmin(self, x, axis, keepdims):
        return self.xp.argmin(x, axis=axis, keepdims=keepdims).astype(self.xp.int64)

    def cumsum(self, x, axis):
        if x.dtype.kind in "bi":
            return self.xp.cumsum(x, axis=axis, dtype=self.xp.int64)
        return self.xp.cumsum(x, axis=axis)

    def sort(self, x, axis, descending):
        xp = self.xp
        if descending:
            # argsort of the reversed array, reversed back: descending with ties in order
            n = x.shape[axis]
            idx = (n - 1) - xp.flip(xp.argsort(xp.flip(x, axis=axis), axis=axis, kind="stable"),
                                    axis=axis)
        else:
            idx = xp.argsort(x, axis=axis, kind="stable")
        idx = idx.astype(xp.int64)
        return xp.take_along_axis(x, idx, axis=axis), idx

    # ---- movement ---------------------------------------------------------------------
    def reshape(self, x, shape):
        return x.reshape(shape)

    def permute(self, x, axes):
        return x.transpose(axes)

    def broadcast_to(self, x, shape):
        return self.xp.broadcast_to(x, shape)

    def copy(self, x):
        return self.xp.array(x, copy=True, order="C")

    def getitem(self, x, index):
        return x[index]

    def index_add(self, x, index, values):
        out = self.xp.array(x, copy=True)
        self._add_at(out, index, values)
        return out

    def _add_at(self, out, index, values):
        if all(isinstance(i, (int, slice)) or i is None or i is Ellipsis for i in index):
            out[index] += values  # basic indices select each element at most once
        else:
            self._scatter_add(out, index, values)

    def _scatter_add(self, out, index, values):
        """``out[index] += values`` in place, accumulating repeated (advanced) indices."""
        self.xp.add.at(out, index, values)

    def index_put(self, x, index, values):
        out = self.xp.array(x, copy=True)
        out[index] = values
        return out

    def take_along_axis(self, x, indices, axis):
        return self.xp.take_along_axis(x, indices, axis=axis)

    def put_along_axis_add(self, x, indices, values, axis):
        xp = self.xp
        out = xp.array(x, copy=True)
        nd = indices.ndim
        idx = [xp.arange(n).reshape((1,) * i + (n,) + (1,) * (nd - i - 1))
               for i, n in enumerate(indices.shape)]
        idx[axis] = indices
        self._add_at(out, tuple(idx), values)
        return out

    def concatenate(self, xs, axis):
        return self.xp.concatenate(xs, axis=axis)

    def pad(self, x, widths, value):
        return self.xp.pad(x, widths, mode="constant", constant_values=value)

    def sliding_window(self, x, window, strides, dilation):
        k = len(window)
        lead = x.ndim - k
        span = tuple(d * (w - 1) + 1 for w, d in zip(window, dilation))
        v = self._window_view(x, span)
        sl = (slice(None),) * lead + tuple(slice(None, None, s) for s in strides) + tuple(
            slice(None, None, d) for d in dilation)
        return v[sl]

    def _window_view(self, x, span):
        """Read-only view ``(*lead, o_1..o_k, span_1..span_k)`` of every window over the last
        ``len(span)`` axes (stride 1, no dilation)."""
        axes = tuple(range(x.ndim - len(span), x.ndim))
        return self.xp.lib.stride_tricks.sliding_window_view(x, span, axis=axes)

    # ---- linear algebra ---------------------------------------------------------------
    def assign(self, dst, src):
        if self._writeable(dst):
            dst[...] = src
            return dst
        return self.xp.array(self.xp.broadcast_to(src, dst.shape), dtype=dst.dtype, copy=True)

    def _writeable(self, x) -> bool:
        """Whether ``x`` is an array of this library that may be written in place."""
        return isinstance(x, self.xp.ndarray) and x.flags.writeable

    # ---- fused ops --------------------------------------------------------------------
    def log_softmax(self, x, axis):
        m = x.max(axis=axis, keepdims=True)
        s = x - m
        return s - self.xp.log(self.xp.exp(s).sum(axis=axis, keepdims=True))

    def softmax(self, x, axis):
        e = self.xp.exp(x - x.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)

    def logsumexp(self, x, axes, keepdims):
        xp = self.xp
        m = x.max(axis=axes, keepdims=True)
        m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
        out = xp.log(xp.exp(x - m).sum(axis=axes, keepdims=True)) + m
        return out if keepdims else out.reshape([n for i, n in enumerate(x.shape) if i not in axes])

    def cross_entropy(self, logits, target):
        # logsumexp - picked logit: the same values as -log_softmax[target] (a - b == -(b - a)
        # exactly), without take_along_axis, which costs more than the rest on small batches
        xp = self.xp
        s = logits - logits.max(axis=1, keepdims=True)
        lse = xp.log(xp.exp(s).sum(axis=1))
        return lse - s[xp.arange(s.shape[0]), target]

    def cross_entropy_grad(self, logits, target, g):
        xp = self.xp
        p = xp.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[xp.arange(p.shape[0]), target] -= 1
        p *= g[:, None]
        return p

    def cross_entropy_with_grad(self, logits, target, g):
        # cross_entropy and cross_entropy_grad sharing one exp: the same operations on the
        # same values, so both results are bit for bit those of the two kernels
        xp = self.xp
        s = logits - logits.max(axis=1, keepdims=True)
        e = xp.exp(s)
        total = e.sum(axis=1, keepdims=True)
        rows = xp.arange(s.shape[0])
        loss = xp.log(total[:, 0]) - s[rows, target]
        e /= total
        e[rows, target] -= 1
        e *= g[:, None]
        return loss, e

    def linear(self, x, w, b):
        out = self.xp.matmul(x, w.T)
        if b is not None:
            out += b
        return out

    def relu_backward(self, x, g):
        # the bool mask goes into the multiply uncast: one pass fewer than g * float(mask)
        return self.xp.multiply(g, x > 0, dtype=g.dtype)

    def sigmoid(self, x):
        xp = self.xp
        e = xp.exp(-xp.abs(x))  # <= 1: no overflow, and tiny results keep their precision
        return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))

    def gelu(self, x, approximate):
        xp = self.xp
        if approximate == "tanh":
            c = x.dtype.type(math.sqrt(2.0 / math.pi))
            return 0.5 * x * (1 + xp.tanh(c * (x + x.dtype.type(0.044715) * x * x * x)))
        return 0.5 * x * (1 + self.erf(x * x.dtype.type(1 / math.sqrt(2.0))))

    def _im2col(self, x, kh, kw, stride, padding, dilation):
        """Columns ``(n, c, kh, kw, oh, ow)`` of ``x`` (contiguous): one strided slice copy per
        kernel offset, so the result reshapes to ``(n, c*kh*kw, oh*ow)`` without a copy. The
        array is scratch: it must not leave the calling kernel."""
        xp = self.xp
        (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
        if ph or pw:
            x = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        n, c, h, wd = x.shape
        oh = (h - dh * (kh - 1) - 1) // sh + 1
        ow = (wd - dw * (kw - 1) - 1) // sw + 1
        cols = self._scratch.take((n, c, kh, kw, oh, ow), x.dtype)
        for i in range(kh):
            for j in range(kw):
                cols[:, :, i, j] = x[:, :, i * dh:i * dh + (oh - 1) * sh + 1:sh,
                                     j * dw:j * dw + (ow - 1) * sw + 1:sw]
        return cols

    def conv2d(self, x, w, stride, padding, dilation, groups):
        xp = self.xp
        o, cg, kh, kw = w.shape
        cols = self._im2col(x, kh, kw, stride, padding, dilation)
        n, c, _, _, oh, ow = cols.shape
        if groups == 1:
            out = xp.matmul(w.reshape(o, cg * kh * kw), cols.reshape(n, c * kh * kw, oh * ow))
            return out.reshape(n, o, oh, ow)
        og = o // groups
        cols = cols.reshape(n, groups, cg * kh * kw, oh * ow)
        out = xp.matmul(w.reshape(groups, og, cg * kh * kw), cols)  # n g og p
        return out.reshape(n, o, oh, ow)

    def conv2d_weight_grad(self, x, g, wshape, stride, padding, dilation, groups):
        xp = self.xp
        o, cg, kh, kw = wshape
        cols = self._im2col(x, kh, kw, stride, padding, dilation)
        n, c, _, _, oh, ow = cols.shape
        og = o // groups
        cols = cols.reshape(n, groups, cg * kh * kw, oh * ow)
        gm = g.reshape(n, groups, og, oh * ow)
        prod = self._scratch.take((n, groups, og, cg * kh * kw), xp.result_type(gm, cols))
        gw = xp.matmul(gm, cols.transpose(0, 1, 3, 2), out=prod).sum(axis=0)  # g og K
        return gw.reshape(o, cg, kh, kw)

    def conv2d_input_grad(self, g, w, size, stride, padding, dilation, groups):
        xp = self.xp
        n, o, oh, ow = g.shape
        _, cg, kh, kw = w.shape
        (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
        og = o // groups
        # each kernel offset's contribution, (n, c, kh, kw, oh, ow): one batched matmul whose
        # result is contiguous per offset, so the col2im adds below read memory in order
        wt = w.reshape(groups, og, cg * kh * kw).transpose(0, 2, 1)
        cols = self._scratch.take((n, groups, cg * kh * kw, oh * ow), xp.result_type(wt, g))
        xp.matmul(wt, g.reshape(n, groups, og, oh * ow), out=cols)
        cols = cols.reshape(n, groups * cg, kh, kw, oh, ow)
        out = xp.zeros((n, cg * groups, size[0] + 2 * ph, size[1] + 2 * pw), dtype=g.dtype)
        for i in range(kh):  # col2im: one strided slice-add per kernel offset
            for j in range(kw):
                out[:, :, i * dh:i * dh + (oh - 1) * sh + 1:sh,
                    j * dw:j * dw + (ow - 1) * sw + 1:sw] += cols[:, :, i, j]
        if ph or pw:
            out = out[:, :, ph:ph + size[0], pw:pw + size[1]]
        return out

    def _pool_plan(self, x, kernel, stride, padding, dilation, ceil_mode):
        """``x`` padded with the dtype's lowest value as far as the windows reach, and one
        strided slice of it per kernel offset (each slice has the output's shape)."""
        xp = self.xp
        n, c, h, w = x.shape
        sizes, right = [], []
        for size, k, s, p, d in zip((h, w), kernel, stride, padding, dilation):
            span = d * (k - 1) + 1
            num = size + 2 * p - span
            out = (-(-num // s) if ceil_mode else num // s) + 1
            if ceil_mode and (out - 1) * s >= size + p:
                out -= 1
            sizes.append(out)
            right.append(max((out - 1) * s + span - size - p, 0))
        (ph, pw), (oh, ow) = padding, sizes
        if ph or pw or right[0] or right[1]:
            low = -xp.inf if x.dtype.kind == "f" else xp.iinfo(x.dtype).min
            xpad = xp.full((n, c, h + ph + right[0], w + pw + right[1]), low, dtype=x.dtype)
            xpad[:, :, ph:ph + h, pw:pw + w] = x
            x = xpad
        (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
        slices = [(slice(None), slice(None), slice(i * dh, i * dh + (oh - 1) * sh + 1, sh),
                   slice(j * dw, j * dw + (ow - 1) * sw + 1, sw))
                  for i in range(kh) for j in range(kw)]
        return x, slices

    def max_pool2d(self, x, kernel, stride, padding, dilation, ceil_mode):
        xp = self.xp
        x, slices = self._pool_plan(x, kernel, stride, padding, dilation, ceil_mode)
        if len(slices) == 1:
            return x[slices[0]].copy()
        out = xp.maximum(x[slices[0]], x[slices[1]])
        for sl in slices[2:]:
            xp.maximum(out, x[sl], out=out)
        return out

    def max_pool2d_backward(self, x, g, kernel, stride, padding, dilation, ceil_mode):
        out = self.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode)
        return self.max_pool2d_backward_out(x, out, g, kernel, stride, padding, dilation, ceil_mode)

    def max_pool2d_backward_out(self, x, out, g, kernel, stride, padding, dilation, ceil_mode):
        xp = self.xp
        h, w = x.shape[2:]
        x, slices = self._pool_plan(x, kernel, stride, padding, dilation, ceil_mode)
        gx = xp.zeros(x.shape, dtype=g.dtype)
        # windows that do not overlap write disjoint cells: one multiply per offset, no add
        disjoint = all(s >= d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation))
        taken = None
        last = len(slices) - 1
        for i, sl in enumerate(slices):  # each window's gradient goes to its first maximum
            hit = xp.equal(x[sl], out)
            if taken is not None:
                hit = xp.greater(hit, taken)  # hit and not taken
            if i < last:
                if taken is None:
                    taken = hit
                else:
                    xp.logical_or(taken, hit, out=taken)
            if disjoint:
                xp.multiply(g, hit, out=gx[sl])
            else:
                gx[sl] += g * hit
        ph, pw = padding
        if gx.shape[2:] != (h, w):
            gx = gx[:, :, ph:ph + h, pw:pw + w]
        return gx

    def sgd_step(self, param, grad, buf, lr, momentum, dampening, weight_decay, nesterov,
                 maximize, first):
        g = -grad if maximize else grad
        if weight_decay:
            g = g + weight_decay * param
        if momentum:
            if first or buf is None:
                buf = self.xp.array(g, copy=True)
            else:
                buf *= momentum
                buf += (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        param -= lr * g
        return param, buf

    def adam_step(self, param, grad, exp_avg, exp_avg_sq, max_sq, step, lr, beta1, beta2, eps,
                  weight_decay, decoupled, amsgrad, maximize):
        xp = self.xp
        g = -grad if maximize else grad
        if weight_decay:
            if decoupled:
                param *= 1 - lr * weight_decay
            else:
                g = g + weight_decay * param
        # in place with one scratch buffer: the update is memory-bound
        tmp = xp.multiply(g, 1 - beta1)
        exp_avg *= beta1
        exp_avg += tmp
        xp.multiply(g, g, out=tmp)
        tmp *= 1 - beta2
        exp_avg_sq *= beta2
        exp_avg_sq += tmp
        bc1 = 1 - beta1 ** step
        bc2 = 1 - beta2 ** step
        if amsgrad:
            xp.maximum(max_sq, exp_avg_sq, out=max_sq)
        xp.sqrt(max_sq if amsgrad else exp_avg_sq, out=tmp)
        tmp *= 1 / math.sqrt(bc2)
        tmp += eps
        xp.divide(exp_avg, tmp, out=tmp)
        tmp *= lr / bc1
        param -= tmp
        return param, exp_avg, exp_avg_sq, max_sq


def _direct(name: str, attr: str) -> Any:
    """The method for primitive ``name``: ``self.xp.<attr>(*args)``."""

    def primitive(self: ArrayModuleBackend, *args: Any) -> Any:
        return getattr(self.xp, attr)(*args)

    primitive.__name__ = primitive.__qualname__ = name
    primitive.__doc__ = getattr(Backend, name).__doc__
    return primitive


#: The generated methods, by primitive name (``__init__`` compares against them to tell
#: whether a subclass overrides one).
_GENERATED: dict[str, Any] = {name: _direct(name, attr) for name, attr in _DIRECT.items()}
for _name, _fn in _GENERATED.items():
    _fn.__qualname__ = f"ArrayModuleBackend.{_name}"
    setattr(ArrayModuleBackend, _name, _fn)
del _name, _fn
