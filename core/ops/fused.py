"""Composite ops with an optional fused backend kernel: softmax, log_softmax, cross-entropy,
linear, gelu, conv2d and its gradients (pooling lives in :mod:`.pooling`). Each is a
:class:`~.fusion.FusedOp`: the fused kernel, a decomposition into primitives, and a backward
rule (:mod:`xgrad.derivatives`, by the op's name)."""
from __future__ import annotations

import math
from typing import Any

from .. import device_checks
from ..dispatch import Dispatch
from ..shapes import need_type, scalar_type_name, wrap_dim
from ..tensor import Tensor, wrap
from .fusion import FUSED, FusedOp, apply_fused, decomposed_only, fusion_mode, register_fused, use_fused
from .indexing import index_put
from .linalg import einsum
from .optimizer_steps import ADAM_STEP, SGD_STEP, adam_step_, sgd_step_  # noqa: F401  (registers them)
from .pooling import (  # noqa: F401  (the fused max-pool pair lives there; re-exported here)
    MAX_POOL2D,
    MAX_POOL2D_BACKWARD,
    MAX_POOL2D_BACKWARD_OUT,
    max_pool2d,
    max_pool2d_backward,
    max_pool2d_backward_out,
    max_pool2d_indices,
)
from .shape import cat, pad_constant, sliding_window

__all__ = ["FusedOp", "FUSED", "apply_fused", "decomposed_only", "use_fused"]


# ---- log_softmax / softmax ---------------------------------------------------------------
def _log_softmax_dec(x: Tensor, axis: int) -> Tensor:
    m = x.detach().amax(axis, keepdim=True)
    s = x - m
    return s - s.exp().sum(axis, keepdim=True).log()


def _softmax_dec(x: Tensor, axis: int) -> Tensor:
    e = (x - x.detach().amax(axis, keepdim=True)).exp()
    return e / e.sum(axis, keepdim=True)


LOG_SOFTMAX = register_fused(FusedOp("log_softmax", _log_softmax_dec, True))
SOFTMAX = register_fused(FusedOp("softmax", _softmax_dec, True))


def _float(x: Tensor, dtype: Any = None, kernel: str = "softmax", dim: Any = None) -> Tensor:
    """``x`` in ``dtype`` (when given), after ``dim`` is checked; PyTorch has no integer or bool
    kernel for softmax/log_softmax, so such an input (or ``dtype``) raises its
    NotImplementedError."""
    need_type(kernel, "input", x, Tensor)
    if dim is not None:
        wrap_dim(dim, x.ndim, kernel)
    if dtype is not None:
        x = x.to(dtype)
    if not x.dtype.is_floating_point:
        raise NotImplementedError(f"\"{kernel}_lastdim_kernel_impl\" not implemented for "
                                  f"'{scalar_type_name(x.dtype.name)}'")
    return x


def log_softmax(x: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """``x - logsumexp(x, dim)``, stable; fused when the backend has ``log_softmax``."""
    x = _float(x, dtype, "log_softmax", dim)
    if dim is None:
        dim = 0 if x.ndim in (0, 1, 3) else 1
    if x.ndim == 0 or x.numel() == 0:  # nothing to normalize over: an empty result
        wrap_dim(dim, x.ndim)
        return x - x
    return apply_fused(LOG_SOFTMAX, (x,), (wrap_dim(dim, x.ndim),))


def softmax(x: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """Normalised exponentials along ``dim``; fused when the backend has ``softmax``."""
    x = _float(x, dtype, "softmax", dim)
    if dim is None:
        dim = 0 if x.ndim in (0, 1, 3) else 1
    if x.ndim == 0 or x.numel() == 0:
        wrap_dim(dim, x.ndim)
        return (x - x).exp()
    return apply_fused(SOFTMAX, (x,), (wrap_dim(dim, x.ndim),))


# ---- cross entropy on (N, C) logits and int64 targets -----------------------------------
def _ce_grad_dec(logits: Tensor, target: Tensor, g: Tensor) -> Tensor:
    p = _softmax_dec(logits, 1) if fusion_mode.force_decomposition else softmax(logits, 1)
    return (p - _one_hot_like(target, logits)) * g.unsqueeze(1)


def _one_hot_like(target: Tensor, logits: Tensor) -> Tensor:
    be = logits._backend
    n, c = logits._data.shape
    zeros = wrap(be.full((n, c), 0, be.dtype(logits._data)), be)
    ones = wrap(be.full((n, 1), 1, be.dtype(logits._data)), be)
    return zeros.scatter_add(1, target.reshape(n, 1), ones)


def _ce_dec(logits: Tensor, target: Tensor, _unused: Any = None) -> Tensor:
    lsm = log_softmax(logits, 1) if not fusion_mode.force_decomposition else _log_softmax_dec(logits, 1)
    return -lsm.gather(1, target.reshape(-1, 1)).reshape(-1)


CROSS_ENTROPY = register_fused(FusedOp("cross_entropy", _ce_dec))
CROSS_ENTROPY_GRAD = register_fused(FusedOp("cross_entropy_grad", _ce_grad_dec))


def check_targets(target: Tensor, n_classes: int, ignore_index: int | None = None) -> bool | None:
    """Raise PyTorch's IndexError when a class index is outside ``[0, n_classes)`` (entries
    equal to ``ignore_index`` excepted). Returns whether any entry equals ``ignore_index``.

    On an asynchronous backend nothing is read back: the check is queued as a deferred
    device-side check (:mod:`xgrad.device_checks`) and the result is ``None`` (unknown)."""
    if target.numel() == 0:
        return False
    if Dispatch.capture is not None:
        # under xgrad.compile the value read becomes a replay guard: read one boolean that
        # holds for every valid batch (in range, nothing ignored), not min/max, which vary
        ok = (target >= 0) & (target < n_classes)
        if ignore_index is not None and 0 <= ignore_index < n_classes:
            ok = ok & (target != ignore_index)
        if bool(ok.all().item()):
            return False
    elif target._backend.asynchronous:
        t = target if ignore_index is None else target.masked_fill(target == ignore_index, 0)
        lo, hi = t.amin(), t.amax()
        device_checks.defer(target._backend, (lo._data, hi._data),
                            lambda lo, hi: _target_error(lo, hi, n_classes), "a class-index target")
        return None
    lo, hi = target.amin().item(), target.amax().item()
    if 0 <= lo and hi < n_classes:  # the common case: two reductions, no mask
        return ignore_index is not None and lo <= ignore_index <= hi and \
            bool((target == ignore_index).any().item())
    has_ignored = False
    if ignore_index is not None:
        ignored = target == ignore_index
        has_ignored = bool(ignored.any().item())
        if has_ignored:
            t = target.masked_fill(ignored, 0)
            lo, hi = t.amin().item(), t.amax().item()
    err = _target_error(lo, hi, n_classes)
    if err is not None:
        raise err
    return has_ignored


def _target_error(lo: int, hi: int, n_classes: int) -> IndexError | None:
    if hi < n_classes and lo >= 0:
        return None
    bad = hi if hi >= n_classes else lo
    return IndexError(f"Target {bad} is out of bounds. (expected class indices in "
                      f"[0, {n_classes - 1}] for {n_classes} classes)")


def cross_entropy_rows(logits: Tensor, target: Tensor) -> Tensor:
    """Per-row ``-log_softmax(logits)[i, target[i]]`` for (N, C) logits (targets in range)."""
    return apply_fused(CROSS_ENTROPY, (logits, target), ())


def _ce_with_grad_dec(logits: Tensor, target: Tensor, g: Tensor) -> tuple[Tensor, Tensor]:
    return cross_entropy_rows(logits, target), apply_fused(CROSS_ENTROPY_GRAD, (logits, target, g), ())


CROSS_ENTROPY_WITH_GRAD = register_fused(FusedOp("cross_entropy_with_grad", _ce_with_grad_dec))


def cross_entropy_with_grad(logits: Tensor, target: Tensor, g: Tensor) -> tuple[Tensor, Tensor]:
    """Per-row cross-entropy and its gradient for row gradients ``g``, in one kernel when the
    backend has ``cross_entropy_with_grad`` (what ``xgrad.compile`` turns a step's
    ``cross_entropy`` and ``cross_entropy_grad`` into). Records no graph."""
    be = logits._backend
    if use_fused(be, "cross_entropy_with_grad"):
        loss, grad = be.cross_entropy_with_grad(logits._data, target._data, g._data)
        return wrap(loss, be), wrap(grad, be)
    return _ce_with_grad_dec(logits, target, g)


# ---- linear ------------------------------------------------------------------------------
def _linear_dec(x: Tensor, w: Tensor, b: Tensor | None = None) -> Tensor:
    out = x.matmul(w.mT)
    return out + b if b is not None else out


LINEAR = register_fused(FusedOp("linear", _linear_dec))


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``x @ weight.T + bias`` (fused when the backend has ``linear``)."""
    xs, ws = x._data.shape, weight._data.shape
    if not xs or len(ws) != 2:
        raise RuntimeError(f"linear(): expected input of at least 1 dim and a 2-d weight, got "
                           f"input {list(x.shape)} and weight {list(weight.shape)}")
    if xs[-1] != ws[1]:
        n = x.numel() // max(xs[-1], 1) if len(xs) > 1 else 1
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({n}x{x._data.shape[-1]} "
                           f"and {weight._data.shape[1]}x{weight._data.shape[0]})")
    if bias is not None and bias._data.shape not in ((ws[0],), ()):
        raise RuntimeError(f"linear(): bias of shape {list(bias.shape)} does not match the "
                           f"{weight._data.shape[0]} output features")
    if x._data.dtype != weight._data.dtype or (bias is not None and
                                               bias._data.dtype != weight._data.dtype):
        raise RuntimeError(f"linear(): expected input, weight and bias of one dtype, got "
                           f"{x.dtype.name}, {weight.dtype.name}"
                           + (f" and {bias.dtype.name}" if bias is not None else ""))
    if len(xs) == 1:
        return linear(x.unsqueeze(0), weight, bias).squeeze(0)
    if bias is None:
        return apply_fused(LINEAR, (x, weight), (None,))
    return apply_fused(LINEAR, (x, weight, bias), ())


# ---- relu backward -----------------------------------------------------------------------
def _relu_backward_dec(x: Tensor, g: Tensor) -> Tensor:
    # a multiply by the 0/1 mask: numpy's where() branches per element and is ~10x slower
    return g * (x > 0).to(g.dtype)


RELU_BACKWARD = register_fused(FusedOp("relu_backward", _relu_backward_dec))


def relu_backward(x: Tensor, g: Tensor) -> Tensor:
    """Gradient of ``relu(x)`` for output gradient ``g``: ``g`` where ``x > 0``, else 0
    (PyTorch's ``threshold_backward``); fused when the backend has ``relu_backward``."""
    return apply_fused(RELU_BACKWARD, (x, g), ())


# ---- gelu --------------------------------------------------------------------------------
_SQRT_2_PI = math.sqrt(2.0 / math.pi)


def _gelu_dec(x: Tensor, approximate: str) -> Tensor:
    if approximate == "tanh":
        return 0.5 * x * (1 + ((x + 0.044715 * x * x * x) * _SQRT_2_PI).tanh())
    return 0.5 * x * (1 + (x * (1 / math.sqrt(2.0))).erf())


GELU = register_fused(FusedOp("gelu", _gelu_dec))


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit, exact (``'none'``) or ``'tanh'`` approximation."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate!r}")
    return apply_fused(GELU, (_float(x),), (approximate,))


# ---- conv2d ------------------------------------------------------------------------------
def conv2d_weight_grad(x: Tensor, g: Tensor, wshape: tuple, stride: tuple, padding: tuple,
                       dilation: tuple, groups: int) -> Tensor:
    """Gradient of ``conv2d(x, w)`` with respect to ``w`` (windows of ``x`` against ``g``;
    fused as im2col plus one batched matmul when the backend has it)."""
    return apply_fused(CONV2D_WEIGHT_GRAD, (x, g), (tuple(wshape), tuple(stride), tuple(padding),
                                                    tuple(dilation), groups))


def _conv_weight_grad_dec(x: Tensor, g: Tensor, wshape: tuple, stride: tuple, padding: tuple,
                          dilation: tuple, groups: int) -> Tensor:

    ph, pw = padding
    xp = pad_constant(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), 0.0) if ph or pw else x
    o, cg, kh, kw = wshape
    n = x._data.shape[0]
    win = sliding_window(xp, (kh, kw), stride, dilation)  # n c oh ow kh kw
    oh, ow = win._data.shape[2], win._data.shape[3]
    if groups == 1:
        return _einsum2("nohw,nchwij->ocij", g, win)
    gg = g.reshape(n, groups, o // groups, oh, ow)
    wing = win.reshape(n, groups, cg, oh, ow, kh, kw)
    return _einsum2("ngohw,ngchwij->gocij", gg, wing).reshape(o, cg, kh, kw)


def _conv_input_grad_dec(g: Tensor, w: Tensor, size: tuple, stride: tuple, padding: tuple,
                         dilation: tuple, groups: int) -> Tensor:
    """A transposed convolution: zero-dilate ``g`` by the stride, pad, correlate with the
    flipped kernel."""

    o, cg, kh, kw = w._data.shape
    n, _, oh, ow = g._data.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    if sh > 1 or sw > 1:
        be = g._backend
        zeros = wrap(be.full((n, o, (oh - 1) * sh + 1, (ow - 1) * sw + 1), 0,
                             be.dtype(g._data)), be)
        g = index_put(zeros, (slice(None), slice(None), slice(None, None, sh),
                              slice(None, None, sw)), g)
    hp, wp = size[0] + 2 * ph, size[1] + 2 * pw
    right_h = hp - (oh - 1) * sh - 1
    right_w = wp - (ow - 1) * sw - 1
    g = pad_constant(g, ((0, 0), (0, 0), ((kh - 1) * dh, right_h), ((kw - 1) * dw, right_w)), 0.0)
    wt = w.flip((2, 3)).reshape(groups, o // groups, cg, kh, kw).transpose(1, 2)
    wt = wt.reshape(groups * cg, o // groups, kh, kw)
    out = conv2d_nobias(g, wt, (1, 1), (0, 0), (dh, dw), groups)
    if ph or pw:
        out = out[:, :, ph:ph + size[0], pw:pw + size[1]]
    return out


CONV2D_WEIGHT_GRAD = register_fused(FusedOp("conv2d_weight_grad", _conv_weight_grad_dec))
CONV2D_INPUT_GRAD = register_fused(FusedOp("conv2d_input_grad", _conv_input_grad_dec))


def conv2d_input_grad(g: Tensor, w: Tensor, size: tuple, stride: tuple, padding: tuple,
                      dilation: tuple, groups: int) -> Tensor:
    """Gradient of ``conv2d(x, w)`` with respect to ``x`` of spatial ``size`` (a transposed
    convolution; fused as im2col-transpose + col2im when the backend has it)."""
    return apply_fused(CONV2D_INPUT_GRAD, (g, w), (tuple(size), tuple(stride), tuple(padding),
                                                   tuple(dilation), groups))


def conv_transpose2d_nobias(x: Tensor, w: Tensor, stride: tuple, padding: tuple,
                            output_padding: tuple, dilation: tuple, groups: int) -> Tensor:
    """Transposed 2-d convolution of (N, Cin, H, W) input with (Cin, Cout/groups, kh, kw)
    weights, as ``torch.nn.functional.conv_transpose2d`` without bias."""
    _, _, h, wd = x._data.shape
    _, _, kh, kw = w._data.shape
    size = tuple((n - 1) * s - 2 * p + d * (k - 1) + op + 1 for n, s, p, d, k, op in zip(
        (h, wd), stride, padding, dilation, (kh, kw), output_padding))
    return conv2d_input_grad(x, w, size, tuple(stride), tuple(padding), tuple(dilation), groups)


def _einsum2(eq: str, a: Tensor, b: Tensor) -> Tensor:

    return einsum(eq, a, b)


def _conv2d_dec(x: Tensor, w: Tensor, stride, padding, dilation, groups) -> Tensor:

    ph, pw = padding
    if ph or pw:
        x = pad_constant(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), 0.0)
    o, cg, kh, kw = w._data.shape
    n = x._data.shape[0]
    win = sliding_window(x, (kh, kw), stride, dilation)  # n c oh ow kh kw
    oh, ow = win._data.shape[2], win._data.shape[3]
    outs = []
    og = o // groups
    for gi in range(groups):
        wi = win[:, gi * cg:(gi + 1) * cg] if groups > 1 else win
        cols = wi.permute(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, cg * kh * kw)
        wmat = w[gi * og:(gi + 1) * og].reshape(og, cg * kh * kw) if groups > 1 else \
            w.reshape(o, cg * kh * kw)
        outs.append((cols @ wmat.mT).reshape(n, oh, ow, og))
    if groups > 1:

        return cat(outs, -1).permute(0, 3, 1, 2)
    return outs[0].permute(0, 3, 1, 2)


CONV2D = register_fused(FusedOp("conv2d", _conv2d_dec))


def conv2d_nobias(x: Tensor, w: Tensor, stride: tuple, padding: tuple, dilation: tuple,
                  groups: int) -> Tensor:
    """2-d cross-correlation of (N, C, H, W) input with (O, C/groups, kh, kw) weights."""
    return apply_fused(CONV2D, (x, w), (tuple(stride), tuple(padding), tuple(dilation), groups))
