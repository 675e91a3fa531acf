"""The planted-bug corpus, second half: indexing, fused kernels, optimizer kernels, RNG,
reductions, movement and matmul mutants (see ``mutants.py``)."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from mutant_base import Mutant
from xgrad import philox as _philox


# ---- indexing -----------------------------------------------------------------------------
class GetitemNegativeIndex(Mutant):
    """getitem with a negative integer index is off by one (x[-1] reads x[-2])."""

    category, cases = "indexing", ("__getitem__*", "narrow", "unbind", "prim.getitem*")

    def getitem(self, x, index):
        index = tuple(i - 1 if isinstance(i, int) and not isinstance(i, bool) and i < 0 else i
                      for i in index)
        return x[index]


class IndexAddOverwrites(Mutant):
    """index_add with repeated indices keeps one contribution (no accumulation)."""

    category, cases = "indexing", ("__getitem__.adv", "index_select", "take*", "F.embedding*")

    def _scatter_add(self, out, index, values):
        out[index] += values


class IndexPutDropsLast(Mutant):
    """index_put skips the last position along an integer-indexed axis (a bound of n - 1)."""

    category, cases = "indexing", ("index_put*", "__setitem__", "scatter*", "masked_fill")

    def index_put(self, x, index, values):
        out = np.array(x, copy=True)
        keep = np.ones(np.broadcast_shapes(*[np.shape(i) for i in index
                                             if isinstance(i, np.ndarray)] or [()]), dtype=bool)
        for axis, i in enumerate(index):
            if isinstance(i, np.ndarray) and i.dtype.kind == "i":
                keep &= (i % x.shape[axis]) < x.shape[axis] - 1
        if keep.all() or not any(isinstance(i, np.ndarray) and i.dtype.kind == "i" for i in index):
            out[index] = values
            return out
        vals = np.broadcast_to(values, keep.shape)
        out[tuple(i[keep] if isinstance(i, np.ndarray) else i for i in index)] = vals[keep]
        return out


class TakeAlongLastAxis(Mutant):
    """take_along_axis always gathers along the last axis."""

    category, cases = "indexing", ("gather", "take_along_dim", "sort*", "topk*")

    def take_along_axis(self, x, indices, axis):
        if x.ndim > 1 and axis % x.ndim != x.ndim - 1:
            return np.take_along_axis(np.swapaxes(x, axis, -1), np.swapaxes(indices, axis, -1), -1)
        return np.take_along_axis(x, indices, axis)


class ScatterAddOverwrites(Mutant):
    """put_along_axis_add with repeated indices keeps one contribution."""

    category, cases = "indexing", ("scatter_add", "gather", "take_along_dim")

    def put_along_axis_add(self, x, indices, values, axis):
        out = np.array(x, copy=True)
        nd = indices.ndim
        idx = [np.arange(n).reshape((1,) * i + (n,) + (1,) * (nd - i - 1))
               for i, n in enumerate(indices.shape)]
        idx[axis] = indices
        out[tuple(idx)] += values
        return out


# ---- fused kernels ------------------------------------------------------------------------
class LogSoftmaxNoShift(Mutant):
    """fused log_softmax without the max shift: overflows for large inputs."""

    category, cases = "fused", ("log_softmax", "F.log_softmax")

    def log_softmax(self, x, axis):
        with np.errstate(over="ignore", invalid="ignore"):
            return x - np.log(np.exp(x).sum(axis=axis, keepdims=True))


class SoftmaxLastAxis(Mutant):
    """fused softmax always normalizes over the last axis."""

    category, cases = "fused", ("softmax", "F.softmax")

    def softmax(self, x, axis):
        return super().softmax(x, -1)


class CrossEntropyGradIgnoresG(Mutant):
    """fused cross_entropy_grad ignores the upstream gradient g."""

    category, cases = "fused", ("cross_entropy*", "F.cross_entropy*")

    def cross_entropy_grad(self, logits, target, g):
        return super().cross_entropy_grad(logits, target, np.ones_like(g))


class CrossEntropyMeanInside(Mutant):
    """fused cross_entropy divides the per-sample loss by N (reduces twice)."""

    category, cases = "fused", ("cross_entropy*", "F.cross_entropy*")

    def cross_entropy(self, logits, target):
        return super().cross_entropy(logits, target) / logits.shape[0]


class LinearBiasDropped3d(Mutant):
    """fused linear drops the bias when x has more than two dimensions."""

    category, cases = "fused", ("linear*", "F.linear")

    def linear(self, x, w, b):
        return super().linear(x, w, None if x.ndim > 2 else b)


class Conv2dStrideRowsForCols(Mutant):
    """fused conv2d uses the row stride for columns too."""

    category, cases = "fused", ("conv2d*", "F.conv2d*")

    def conv2d(self, x, w, stride, padding, dilation, groups):
        return super().conv2d(x, w, (stride[0], stride[0]), padding, dilation, groups)


class Conv2dPaddingRows(Mutant):
    """fused conv2d pads columns by the row padding."""

    category, cases = "fused", ("conv2d*", "F.conv2d*")

    def conv2d(self, x, w, stride, padding, dilation, groups):
        return super().conv2d(x, w, stride, (padding[0], padding[0]), dilation, groups)


class Conv2dWeightGradGroup0(Mutant):
    """fused conv2d_weight_grad uses group 0's input columns for every group."""

    category, cases = "fused", ("conv2d*", "F.conv2d*", "module.Conv2d*")

    def conv2d_weight_grad(self, x, g, wshape, stride, padding, dilation, groups):
        if groups > 1:
            cg = x.shape[1] // groups
            x = np.concatenate([x[:, :cg]] * groups, axis=1)
        return super().conv2d_weight_grad(x, g, wshape, stride, padding, dilation, groups)


class Conv2dInputGradNoDilation(Mutant):
    """fused conv2d_input_grad ignores dilation."""

    category, cases = "fused", ("conv2d*", "F.conv2d*")

    def conv2d_input_grad(self, g, w, size, stride, padding, dilation, groups):
        if dilation != (1, 1):
            out = super().conv2d_input_grad(g, w, size, stride, padding, (1, 1), groups)
            return out
        return super().conv2d_input_grad(g, w, size, stride, padding, dilation, groups)


class MaxPoolIgnoresCeil(Mutant):
    """fused max_pool2d ignores ceil_mode (floors the output size)."""

    category, cases = "fused", ("max_pool2d*", "F.max_pool2d*")

    def max_pool2d(self, x, kernel, stride, padding, dilation, ceil_mode):
        return super().max_pool2d(x, kernel, stride, padding, dilation, False)


class MaxPoolPadsZero(Mutant):
    """fused max_pool2d pads with 0 instead of -inf (wrong when a padded window is negative)."""

    category, cases = "fused", ("max_pool2d*", "F.max_pool2d*")

    def max_pool2d(self, x, kernel, stride, padding, dilation, ceil_mode):
        ph, pw = padding
        if ph or pw:
            x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        return super().max_pool2d(x, kernel, stride, (0, 0), dilation, ceil_mode)


class MaxPoolIgnoresDilation(Mutant):
    """fused max_pool2d ignores dilation."""

    category, cases = "fused", ("max_pool2d*", "F.max_pool2d*")

    def max_pool2d(self, x, kernel, stride, padding, dilation, ceil_mode):
        return super().max_pool2d(x, kernel, stride, padding, (1, 1), ceil_mode)


class LogsumexpNoShift(Mutant):
    """fused logsumexp without the max shift: overflows for large inputs."""

    category, cases = "fused", ("logsumexp",)

    def logsumexp(self, x, axes, keepdims):
        with np.errstate(over="ignore"):
            return np.log(np.exp(x).sum(axis=axes, keepdims=keepdims))


class SoftmaxNoShift(Mutant):
    """fused softmax without the max shift: inf / inf = NaN for large inputs."""

    category, cases = "fused", ("softmax", "F.softmax")

    def softmax(self, x, axis):
        with np.errstate(over="ignore", invalid="ignore"):
            e = np.exp(x)
            return e / e.sum(axis=axis, keepdims=True)


class GeluExactUsesTanh(Mutant):
    """fused exact gelu computed with the tanh approximation."""

    category, cases = "fused", ("gelu", "F.gelu")

    def gelu(self, x, approximate):
        return super().gelu(x, "tanh")


class CrossEntropyGradNextClass(Mutant):
    """fused cross_entropy_grad subtracts the one-hot at (target + 1) % C."""

    category, cases = "fused", ("cross_entropy*", "F.cross_entropy*")

    def cross_entropy_grad(self, logits, target, g):
        return super().cross_entropy_grad(logits, (target + 1) % logits.shape[1], g)


class MaxPoolStrideRowsForCols(Mutant):
    """fused max_pool2d uses the row stride for columns too."""

    category, cases = "fused", ("max_pool2d*", "F.max_pool2d*")

    def max_pool2d(self, x, kernel, stride, padding, dilation, ceil_mode):
        return super().max_pool2d(x, kernel, (stride[0], stride[0]), padding, dilation, ceil_mode)


class MaxPoolBackwardKernelRows(Mutant):
    """fused max_pool2d_backward uses the kernel height for its width (square windows only)."""

    category, cases = "fused", ("max_pool2d*", "F.max_pool2d*")

    def max_pool2d_backward(self, x, g, kernel, stride, padding, dilation, ceil_mode):
        k = (kernel[0], kernel[0])
        try:
            return super().max_pool2d_backward(x, g, k, stride, padding, dilation, ceil_mode)
        except ValueError:  # shapes no longer line up: the kernel gives up and zeros the grad
            return np.zeros(x.shape, dtype=g.dtype)


class Conv2dWeightGradPaddingRows(Mutant):
    """fused conv2d_weight_grad pads columns by the row padding."""

    category, cases = "fused", ("conv2d*", "F.conv2d*")

    def conv2d_weight_grad(self, x, g, wshape, stride, padding, dilation, groups):
        p = (padding[0], padding[0])
        try:
            return super().conv2d_weight_grad(x, g, wshape, stride, p, dilation, groups)
        except ValueError:
            return np.zeros(wshape, dtype=g.dtype)


# ---- optimizer kernels --------------------------------------------------------------------
class SgdNesterovIgnored(Mutant):
    """fused sgd_step ignores nesterov."""

    category, cases = "optim", ("optim.SGD*",)

    def sgd_step(self, param, grad, buf, lr, momentum, dampening, weight_decay, nesterov,
                 maximize, first):
        return super().sgd_step(param, grad, buf, lr, momentum, dampening, weight_decay, False,
                                maximize, first)


class SgdWeightDecaySign(Mutant):
    """fused sgd_step subtracts weight_decay * param from the gradient."""

    category, cases = "optim", ("optim.SGD*",)

    def sgd_step(self, param, grad, buf, lr, momentum, dampening, weight_decay, nesterov,
                 maximize, first):
        return super().sgd_step(param, grad, buf, lr, momentum, dampening, -weight_decay,
                                nesterov, maximize, first)


class SgdDampeningIgnored(Mutant):
    """fused sgd_step ignores dampening."""

    category, cases = "optim", ("optim.SGD*",)

    def sgd_step(self, param, grad, buf, lr, momentum, dampening, weight_decay, nesterov,
                 maximize, first):
        return super().sgd_step(param, grad, buf, lr, momentum, 0.0, weight_decay, nesterov,
                                maximize, first)


class SgdMaximizeIgnored(Mutant):
    """fused sgd_step ignores maximize."""

    category, cases = "optim", ("optim.SGD*",)

    def sgd_step(self, param, grad, buf, lr, momentum, dampening, weight_decay, nesterov,
                 maximize, first):
        return super().sgd_step(param, grad, buf, lr, momentum, dampening, weight_decay,
                                nesterov, False, first)


class AdamNoBiasCorrection(Mutant):
    """fused adam_step without bias correction."""

    category, cases = "optim", ("optim.Adam*",)

    def adam_step(self, param, grad, exp_avg, exp_avg_sq, max_sq, step, lr, beta1, beta2, eps,
                  weight_decay, decoupled, amsgrad, maximize):
        out = super().adam_step(param, grad, exp_avg, exp_avg_sq, max_sq, 10 ** 6, lr, beta1,
                                beta2, eps, weight_decay, decoupled, amsgrad, maximize)
        return out


class AdamAmsgradNoMax(Mutant):
    """fused adam_step with amsgrad divides by the current exp_avg_sq, not the running max."""

    category, cases = "optim", ("optim.Adam*",)

    def adam_step(self, param, grad, exp_avg, exp_avg_sq, max_sq, step, lr, beta1, beta2, eps,
                  weight_decay, decoupled, amsgrad, maximize):
        out = super().adam_step(param, grad, exp_avg, exp_avg_sq, None, step, lr, beta1, beta2,
                                eps, weight_decay, decoupled, False, maximize)
        if amsgrad and max_sq is not None:
            np.maximum(max_sq, exp_avg_sq, out=max_sq)
        return out[0], out[1], out[2], max_sq


class AdamMaximizeIgnored(Mutant):
    """fused adam_step ignores maximize."""

    category, cases = "optim", ("optim.Adam*",)

    def adam_step(self, param, grad, exp_avg, exp_avg_sq, max_sq, step, lr, beta1, beta2, eps,
                  weight_decay, decoupled, amsgrad, maximize):
        return super().adam_step(param, grad, exp_avg, exp_avg_sq, max_sq, step, lr, beta1,
                                 beta2, eps, weight_decay, decoupled, amsgrad, False)


class AdamWeightDecayCoupled(Mutant):
    """fused adam_step always adds weight decay to the gradient (AdamW behaves like Adam)."""

    category, cases = "optim", ("optim.Adam*",)

    def adam_step(self, param, grad, exp_avg, exp_avg_sq, max_sq, step, lr, beta1, beta2, eps,
                  weight_decay, decoupled, amsgrad, maximize):
        return super().adam_step(param, grad, exp_avg, exp_avg_sq, max_sq, step, lr, beta1,
                                 beta2, eps, weight_decay, False, amsgrad, maximize)


class SgdMomentumStartsAtZero(Mutant):
    """fused sgd_step starts the momentum buffer at zero instead of the first gradient."""

    category, cases = "optim", ("optim.SGD*",)

    def sgd_step(self, param, grad, buf, lr, momentum, dampening, weight_decay, nesterov,
                 maximize, first):
        if momentum and (first or buf is None):
            buf = np.zeros_like(param)
            first = False
        return super().sgd_step(param, grad, buf, lr, momentum, dampening, weight_decay,
                                nesterov, maximize, first)


class AdamEpsInsideSqrt(Mutant):
    """fused adam_step divides by sqrt(v_hat + eps) instead of sqrt(v_hat) + eps."""

    category, cases = "optim", ("optim.Adam*",)

    def adam_step(self, param, grad, exp_avg, exp_avg_sq, max_sq, step, lr, beta1, beta2, eps,
                  weight_decay, decoupled, amsgrad, maximize):
        g = -grad if maximize else grad
        if weight_decay:
            if decoupled:
                param *= 1 - lr * weight_decay
            else:
                g = g + weight_decay * param
        exp_avg *= beta1
        exp_avg += (1 - beta1) * g
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * g * g
        if amsgrad:
            np.maximum(max_sq, exp_avg_sq, out=max_sq)
        v = (max_sq if amsgrad else exp_avg_sq) / (1 - beta2 ** step)
        param -= lr / (1 - beta1 ** step) * exp_avg / np.sqrt(v + eps)
        return param, exp_avg, exp_avg_sq, max_sq


# ---- RNG ----------------------------------------------------------------------------------
class RandomBitsHighCounterDropped(Mutant):
    """random_bits drops the high 32-bit counter word (wrong past 2**34 words)."""

    category, cases = "rng", ("rng.*",)

    def random_bits(self, shape, seed, offset):
        return super().random_bits(shape, seed, offset % (4 * 2 ** 32))


class RandomBitsAlignedOffset(Mutant):
    """random_bits ignores offset % 4 (starts at the block boundary)."""

    category, cases = "rng", ("rng.*",)

    def random_bits(self, shape, seed, offset):
        return super().random_bits(shape, seed, offset - offset % 4)


class RandomBitsLowKeyWord(Mutant):
    """random_bits uses only the low 32 bits of the seed as the key."""

    category, cases = "rng", ("rng.*",)

    def random_bits(self, shape, seed, offset):
        return super().random_bits(shape, seed & 0xFFFFFFFF, offset)


class RandomBitsSwappedKeyWords(Mutant):
    """random_bits swaps the two 32-bit key words."""

    category, cases = "rng", ("rng.*",)

    def random_bits(self, shape, seed, offset):
        swapped = ((seed & 0xFFFFFFFF) << 32) | ((seed >> 32) & 0xFFFFFFFF)
        n = math.prod(shape)
        return _philox.philox_words(np, n, swapped, offset).astype(np.int64).reshape(shape)


# ---- reductions ---------------------------------------------------------------------------
class CumsumExclusive(Mutant):
    """cumsum is exclusive (off by one: starts at 0)."""

    category, cases = "reductions", ("cumsum*",)

    def cumsum(self, x, axis):
        r = super().cumsum(x, axis)
        return r - x.astype(r.dtype)


class CumsumLastAxis(Mutant):
    """cumsum always accumulates along the last axis."""

    category, cases = "reductions", ("cumsum*",)

    def cumsum(self, x, axis):
        return super().cumsum(x, -1 if x.ndim else axis)


class MaxFirstAxisOnly(Mutant):
    """max over several axes reduces only the first one, then squeezes the rest if size 1."""

    category, cases = "reductions", ("max", "amax*", "logsumexp", "reduce.*")

    def max(self, x, axes, keepdims):
        if len(axes) > 1:
            r = np.max(x, axis=axes[0], keepdims=True)
            r = np.max(r, axis=axes[1:], keepdims=True) if r.size == 1 else r[
                tuple(slice(0, 1) if a in axes[1:] else slice(None) for a in range(x.ndim))]
            return r if keepdims else r.reshape([n for i, n in enumerate(r.shape) if i not in axes])
        return super().max(x, axes, keepdims)


class MinKeepdimsIgnored(Mutant):
    """min ignores keepdims=True."""

    category, cases = "reductions", ("min*", "amin*")

    def min(self, x, axes, keepdims):
        return np.min(x, axis=axes, keepdims=False)


class ProdSkipsFirst(Mutant):
    """prod along an axis skips the first element (a loop starting at 1 with acc = 1)."""

    category, cases = "reductions", ("prod*",)

    def prod(self, x, axes, keepdims):
        if x.ndim and len(axes) == 1 and x.shape[axes[0]] > 1:
            sl = tuple(slice(1, None) if i == axes[0] else slice(None) for i in range(x.ndim))
            x = x[sl]
        return super().prod(x, axes, keepdims)


# ---- movement -----------------------------------------------------------------------------
class PermuteInverse(Mutant):
    """permute applies the inverse permutation (only differs for rank >= 3 cycles)."""

    category, cases = "movement", ("permute", "transpose", "F.scaled_dot_product_attention*")

    def permute(self, x, axes):
        return x.transpose(tuple(int(i) for i in np.argsort(axes)))


class PadSidesSwapped(Mutant):
    """pad swaps the before and after widths."""

    category, cases = "movement", ("F.pad", "F.conv2d*", "conv2d*", "F.avg_pool2d*")

    def pad(self, x, widths, value):
        return super().pad(x, tuple((b, a) for a, b in widths), value)


class PadValueIgnored(Mutant):
    """pad fills with 0 whatever the value."""

    category, cases = "movement", ("F.pad", "F.max_pool*", "max_pool2d*", "F.avg_pool*")

    def pad(self, x, widths, value):
        return super().pad(x, widths, 0)


class SlidingWindowStrideDilationSwapped(Mutant):
    """sliding_window swaps stride and dilation."""

    category, cases = "movement", ("F.conv*", "F.max_pool*", "F.avg_pool*", "conv2d*",
                                   "max_pool2d*", "unfold")

    def sliding_window(self, x, window, strides, dilation):
        return super().sliding_window(x, window, dilation, strides)


class ReshapeColumnMajor(Mutant):
    """reshape in column-major order."""

    category, cases = "movement", ("reshape", "view", "flatten*")

    def reshape(self, x, shape):
        return np.reshape(x, shape, order="F")


class ConcatenateEmptyLastAxis(Mutant):
    """concatenate with an empty input joins along the last axis (an empty-input fast path)."""

    category, cases = "movement", ("cat", "stack")

    def concatenate(self, xs, axis):
        xs = list(xs)
        if any(x.size == 0 for x in xs):
            axis = -1
        return super().concatenate(xs, axis)


class FlipViaStepTwo(Mutant):
    """getitem with a negative step reads every other element for step -k, k > 1."""

    category, cases = "movement", ("flip", "__getitem__*", "prim.getitem*")

    def getitem(self, x, index):
        def fix(i: Any) -> Any:
            if isinstance(i, slice) and i.step is not None and i.step < -1:
                return slice(i.start, i.stop, i.step + 1)
            return i

        return x[tuple(fix(i) for i in index)]


# ---- matmul -------------------------------------------------------------------------------
class MatmulSquareTransposed(Mutant):
    """matmul transposes a square right operand (a fast path that assumes column-major)."""

    category, cases = "matmul", ("matmul", "mm", "bmm", "__matmul__", "__rmatmul__", "linear*")

    def matmul(self, a, b):
        if b.ndim >= 2 and b.shape[-1] == b.shape[-2]:
            b = np.swapaxes(b, -1, -2)
        return np.matmul(a, b)


class MatmulBatchFirst(Mutant):
    """matmul with unequal batch shapes uses the first batch of the lower-rank operand."""

    category, cases = "matmul", ("matmul", "bmm", "__matmul__", "einsum*")

    def matmul(self, a, b):
        if a.ndim > 2 and b.ndim > 2 and a.shape[:-2] != b.shape[:-2]:
            if a.ndim >= b.ndim:
                b = b.reshape((-1,) + b.shape[-2:])[0]
            else:
                a = a.reshape((-1,) + a.shape[-2:])[0]
        return np.matmul(a, b)


class MatmulNonSquareTransposed(Mutant):
    """matmul of (n, k) @ (k, m) with n == m computes (b.T @ a.T) without the final transpose."""

    category, cases = "matmul", ("matmul", "mm", "__matmul__", "__rmatmul__", "dot", "outer")

    def matmul(self, a, b):
        if a.ndim == 2 and b.ndim == 2 and a.shape[0] == b.shape[1] != a.shape[1]:
            return np.matmul(b.T, a.T)
        return np.matmul(a, b)


class MatmulVectorRight(Mutant):
    """matmul with a 1-d right operand keeps the trailing length-1 dimension."""

    category, cases = "matmul", ("matmul", "mv", "dot", "prim.matmul*")

    def matmul(self, a, b):
        if b.ndim == 1 and a.ndim > 1:
            return np.matmul(a, b[:, None])
        return np.matmul(a, b)


# ---- compiled programs ------------------------------------------------------------------
class CompiledFreezesDynamic(Mutant):
    """compile_program bakes the first replay's dynamic values (random seeds and offsets,
    optimizer step counts) into the program as constants, as a jit closing over them would."""

    category, cases = "compile", ("compiled.*",)

    def compile_program(self, program):
        from xgrad.compile import interpret

        frozen: list = []

        def run(inputs, dynamic):
            if not frozen:
                frozen.append(list(dynamic))
            return interpret(program, inputs, frozen[0])

        return run


class CompiledStaleInputs(Mutant):
    """compile_program keeps reading the arrays bound at its first replay (a captured graph
    that holds on to the capture-time buffers instead of the new batch)."""

    category, cases = "compile", ("compiled.*",)

    def compile_program(self, program):
        from xgrad.compile import interpret

        first: list = []

        def run(inputs, dynamic):
            if not first:
                first.append(list(inputs))
            return interpret(program, first[0], dynamic)

        return run


class RandomUniformHighBitsShifted(Mutant):
    """fused random_uniform builds float32 from 23 bits (w >> 9) * 2**-23: a plausible
    'fill the mantissa' shortcut that gives different numbers from every other backend."""

    category, cases = "rng", ("rng.rand*", "rng.bernoulli")

    def random_uniform(self, shape, seed, offset, dtype):
        if dtype.name != "float32":
            return super().random_uniform(shape, seed, offset, dtype)
        w = _philox.philox_words(np, math.prod(shape), seed, offset)
        return ((w >> 9).astype(np.float32) * np.float32(2.0 ** -23)).reshape(shape)
