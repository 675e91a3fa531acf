"""Fused CUDA kernels for the cupy backend (GPU-only; imported on first use).

Each replaces a chain of cupy launches by one or a few kernels: softmax and log-softmax
are a max, one fused sum-of-exponentials reduction and one elementwise pass; cross-entropy
adds one gather-and-subtract pass; GELU, sigmoid and the SGD/Adam updates are one
elementwise kernel per call. Arithmetic is done in ``acc_t``: float for float16/float32,
double for float64. Signatures follow ``xgrad.backend.FUSED_OPS``; the conformance suite
checks each against the frontend's decomposition.
"""
from __future__ import annotations

import functools

import cupy

__all__ = ["log_softmax", "softmax", "cross_entropy", "sigmoid", "gelu", "sgd_step",
           "adam_step"]


def _acc(x) -> str:
    return "double" if x.dtype == cupy.float64 else "float"


def _acc_dtype(acc: str) -> str:
    return "float64" if acc == "double" else "float32"


def _preamble(acc: str) -> str:
    return f"typedef {acc} acc_t;"


@functools.cache
def _sumexp(acc: str) -> cupy.ReductionKernel:
    return cupy.ReductionKernel(
        "T x, T m", f"{_acc_dtype(acc)} s", "exp((acc_t)x - (acc_t)m)", "a + b", "s = a", "0",
        f"xgrad_sumexp_{acc}", reduce_type=acc, preamble=_preamble(acc))


@functools.cache
def _log_softmax_out(acc: str) -> cupy.ElementwiseKernel:
    return cupy.ElementwiseKernel(
        f"T x, T m, {_acc_dtype(acc)} s", "T y", "y = (T)((acc_t)x - (acc_t)m - log(s))",
        f"xgrad_log_softmax_{acc}", preamble=_preamble(acc))


@functools.cache
def _softmax_out(acc: str) -> cupy.ElementwiseKernel:
    return cupy.ElementwiseKernel(
        f"T x, T m, {_acc_dtype(acc)} s", "T y", "y = (T)(exp((acc_t)x - (acc_t)m) / s)",
        f"xgrad_softmax_{acc}", preamble=_preamble(acc))


@functools.cache
def _nll_out(acc: str) -> cupy.ElementwiseKernel:
    return cupy.ElementwiseKernel(
        f"raw T x, int64 t, T m, {_acc_dtype(acc)} s, int64 ncols", "T loss",
        "loss = (T)((acc_t)m + log(s) - (acc_t)x[i * ncols + t])",
        f"xgrad_nll_{acc}", preamble=_preamble(acc))


def _max_and_sumexp(x, axis: int):
    m = x.max(axis=axis, keepdims=True)
    return m, _sumexp(_acc(x))(x, m, axis=axis, keepdims=True)


def log_softmax(x, axis: int):
    """``x - logsumexp(x, axis)`` in three launches (max, sum of exponentials, output)."""
    m, s = _max_and_sumexp(x, axis)
    return _log_softmax_out(_acc(x))(x, m, s)


def softmax(x, axis: int):
    """``exp(x - max) / sum(exp(x - max))`` in three launches."""
    m, s = _max_and_sumexp(x, axis)
    return _softmax_out(_acc(x))(x, m, s)


def cross_entropy(logits, target):
    """Per-sample ``logsumexp(logits[n]) - logits[n, target[n]]`` for (N, C) logits."""
    x = cupy.ascontiguousarray(logits)
    m, s = _max_and_sumexp(x, 1)
    return _nll_out(_acc(x))(x, target, m[:, 0], s[:, 0], x.shape[1])


@functools.cache
def _sigmoid(acc: str) -> cupy.ElementwiseKernel:
    return cupy.ElementwiseKernel(
        "T x", "T y",
        "y = (T)(tanh((acc_t)x * (acc_t)0.5) * (acc_t)0.5 + (acc_t)0.5)",
        f"xgrad_sigmoid_{acc}", preamble=_preamble(acc))


def sigmoid(x):
    """``1 / (1 + exp(-x))`` (as ``(tanh(x / 2) + 1) / 2``, which never overflows)."""
    return _sigmoid(_acc(x))(x)


@functools.cache
def _gelu(acc: str) -> cupy.ElementwiseKernel:
    return cupy.ElementwiseKernel(
        "T x, bool approx", "T y",
        """
        acc_t v = (acc_t)x;
        acc_t r;
        if (approx) {
            r = (acc_t)0.5 * v * ((acc_t)1 + tanh((acc_t)0.7978845608028654
                * (v + (acc_t)0.044715 * v * v * v)));
        } else {
            r = (acc_t)0.5 * v * ((acc_t)1 + erf(v * (acc_t)0.7071067811865476));
        }
        y = (T)r;
        """,
        f"xgrad_gelu_{acc}", preamble=_preamble(acc))


def gelu(x, approximate_tanh: bool):
    """GELU, exact (erf) or with the tanh approximation, in one kernel."""
    return _gelu(_acc(x))(x, bool(approximate_tanh))


_GRAD = """
    acc_t g = (acc_t)grad;
    if (maximize) g = -g;
    acc_t p = (acc_t)param;
"""


@functools.cache
def _sgd(acc: str, momentum: bool) -> cupy.ElementwiseKernel:
    if not momentum:
        return cupy.ElementwiseKernel(
            "T grad, float64 lr, float64 wd, bool maximize", "T param",
            _GRAD + """
            if (wd != 0.0) g += (acc_t)wd * p;
            param = (T)(p - (acc_t)lr * g);
            """, f"xgrad_sgd_{acc}", preamble=_preamble(acc))
    return cupy.ElementwiseKernel(
        "T grad, float64 lr, float64 momentum, float64 dampening, float64 wd, bool nesterov, "
        "bool maximize, bool first", "T param, T buf",
        _GRAD + """
        if (wd != 0.0) g += (acc_t)wd * p;
        acc_t b = first ? g
                        : (acc_t)momentum * (acc_t)buf + (acc_t)(1.0 - dampening) * g;
        buf = (T)b;
        g = nesterov ? g + (acc_t)momentum * b : b;
        param = (T)(p - (acc_t)lr * g);
        """, f"xgrad_sgd_momentum_{acc}", preamble=_preamble(acc))


def sgd_step(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov, maximize,
             first):
    """One SGD update of ``param`` (and its momentum buffer) in place, in one kernel."""
    acc = _acc(param)
    if not momentum:
        _sgd(acc, False)(grad, float(lr), float(weight_decay), bool(maximize), param)
        return param, buf
    first = bool(first) or buf is None
    if buf is None:
        buf = cupy.empty_like(param)
    _sgd(acc, True)(grad, float(lr), float(momentum), float(dampening), float(weight_decay),
                    bool(nesterov), bool(maximize), first, param, buf)
    return param, buf


@functools.cache
def _adam(acc: str, amsgrad: bool) -> cupy.ElementwiseKernel:
    outs = "T param, T exp_avg, T exp_avg_sq" + (", T max_sq" if amsgrad else "")
    vmax = """
        acc_t ms = (acc_t)max_sq;
        acc_t vmax = (ms != ms || ms > v) ? ms : v;
        max_sq = (T)vmax;
    """ if amsgrad else "acc_t vmax = v;"
    return cupy.ElementwiseKernel(
        "T grad, float64 step_size, float64 inv_sqrt_bc2, float64 lr, float64 beta1, "
        "float64 beta2, float64 eps, float64 wd, bool decoupled, bool maximize", outs,
        _GRAD + """
        if (wd != 0.0) {
            if (decoupled) p = p * (acc_t)(1.0 - lr * wd);
            else g += (acc_t)wd * p;
        }
        acc_t m = (acc_t)beta1 * (acc_t)exp_avg + (acc_t)(1.0 - beta1) * g;
        acc_t v = (acc_t)beta2 * (acc_t)exp_avg_sq + (acc_t)(1.0 - beta2) * g * g;
        exp_avg = (T)m;
        exp_avg_sq = (T)v;
        """ + vmax + """
        acc_t denom = sqrt(vmax) * (acc_t)inv_sqrt_bc2 + (acc_t)eps;
        param = (T)(p - (acc_t)step_size * m / denom);
        """, f"xgrad_adam{'_amsgrad' if amsgrad else ''}_{acc}", preamble=_preamble(acc))


def adam_step(param, grad, exp_avg, exp_avg_sq, max_sq, step_size, inv_sqrt_bc2, lr, beta1,
              beta2, eps, weight_decay, decoupled, maximize):
    """One Adam/AdamW update of ``param`` and its moments in place, in one kernel.

    ``step_size = lr / (1 - beta1**step)``, ``inv_sqrt_bc2 = 1 / sqrt(1 - beta2**step)``;
    ``max_sq`` is the AMSGrad running maximum, or ``None`` without AMSGrad.
    """
    args = (grad, float(step_size), float(inv_sqrt_bc2), float(lr), float(beta1), float(beta2),
            float(eps), float(weight_decay), bool(decoupled), bool(maximize),
            param, exp_avg, exp_avg_sq)
    if max_sq is None:
        _adam(_acc(param), False)(*args)
    else:
        _adam(_acc(param), True)(*args, max_sq)
