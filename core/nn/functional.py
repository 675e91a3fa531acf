"""``xgrad.nn.functional``: PyTorch's functional API as decompositions into Tensor ops.

Ops with a fused backend kernel (softmax, log_softmax, gelu, linear, cross entropy, conv2d)
go through :mod:`xgrad.ops.fused`, which uses the kernel when the backend has it.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ..autograd.grad_mode import no_grad
from ..creation import arange, full, ones, tensor
from ..dtypes import int64
from ..ops import fused as _F
from ..ops import pooling as _P
from ..ops.indexing import index_select
from ..ops.shape import pad_constant, sliding_window
from ..random import rand
from ..tensor import Tensor

__all__ = [
    "linear", "bilinear", "conv1d", "conv2d", "conv_transpose2d", "max_pool1d", "max_pool2d",
    "avg_pool1d", "avg_pool2d", "adaptive_avg_pool2d", "batch_norm", "layer_norm", "group_norm",
    "dropout", "embedding", "relu", "relu6", "leaky_relu", "elu", "gelu", "silu", "mish",
    "sigmoid", "tanh", "softplus", "softmax", "log_softmax", "hardtanh", "mse_loss", "l1_loss",
    "smooth_l1_loss", "huber_loss", "cross_entropy", "nll_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "kl_div", "one_hot", "pad", "interpolate", "normalize",
    "scaled_dot_product_attention", "cosine_similarity",
]

softmax = _F.softmax
log_softmax = _F.log_softmax
linear = _F.linear


def _pair(v: Any, n: int = 2) -> tuple:
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            return tuple(int(v[0]) for _ in range(n))
        if len(v) != n:
            raise ValueError(f"expected {n} values, got {list(v)}")
        return tuple(int(x) for x in v)
    return (int(v),) * n


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _legacy_reduction(size_average: Any, reduce: Any, reduction: str) -> str:
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def _scalar_like(x: Tensor, value: float) -> Tensor:
    return full((), value, dtype=x.dtype, device=x.backend)


# ---- activations -------------------------------------------------------------------------
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(x, 0)``."""
    return input.relu_() if inplace else input.relu()


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(x, 0), 6)``."""
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` if ``x > 0`` else ``negative_slope * x``."""
    out = _where(input > 0, input, input * negative_slope)
    return input.copy_(out) if inplace else out


def _where(cond: Tensor, a: Any, b: Any) -> Tensor:
    from ..ops.elementwise import where

    return where(cond, a, b)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``."""
    out = _where(input > 0, input, alpha * input.clamp(max=0).expm1())
    return input.copy_(out) if inplace else out


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit (exact, or ``approximate='tanh'``)."""
    return _F.gelu(input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * sigmoid(x)``."""
    out = input * input.sigmoid()
    return input.copy_(out) if inplace else out


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta x)) / beta``, linear where ``beta x > threshold``."""
    bx = input * beta
    soft = (bx.relu() + (-bx.abs()).exp().log1p()) / beta
    return _where(bx > threshold, input, soft)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))``."""
    out = input * softplus(input).tanh()
    return input.copy_(out) if inplace else out


def sigmoid(input: Tensor) -> Tensor:
    """Logistic sigmoid."""
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return input.tanh()


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """Clamp to ``[min_val, max_val]``."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return input.clamp_(min_val, max_val) if inplace else input.clamp(min_val, max_val)


# ---- dropout / embedding / one_hot --------------------------------------------------------
def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero elements with probability ``p`` and scale the rest by ``1/(1-p)`` (training only)."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        out = input * 0.0
    else:
        keep = rand(input.shape, dtype=input.dtype, device=input.backend) >= p
        out = input * keep.to(input.dtype) * (1.0 / (1.0 - p))
    return input.copy_(out) if inplace else out


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` selected by the integer ``input``; no gradient to ``padding_idx``."""
    if input.dtype.is_floating_point:
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following "
                           f"scalar types: Long, Int; but got {input.dtype} instead")
    n = weight.shape[0]
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = padding_idx + n if padding_idx < 0 else padding_idx
    if input.numel():
        hi, lo = input.amax().item(), input.amin().item()
        if hi >= n or lo < 0:
            raise IndexError(f"index {hi if hi >= n else lo} is out of range for an embedding "
                             f"of {n} rows (expected indices in [0, {n - 1}])")
    if max_norm is not None:
        with no_grad():
            rows = weight[input.reshape(-1)]
            norms = rows.norm(norm_type, -1, keepdim=True)
            scale = _where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
            weight[input.reshape(-1)] = rows * scale
    out = weight[input]
    if padding_idx is not None and weight.requires_grad:
        keep = (input != padding_idx).unsqueeze(-1)
        out = _where(keep, out, out.detach())
    return out


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Int64 one-hot encoding with a new last dimension of ``num_classes``."""
    if tensor.dtype.is_floating_point:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        num_classes = int(tensor.amax().item()) + 1 if tensor.numel() else 0
    if tensor.numel():
        if tensor.amin().item() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if tensor.amax().item() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    classes = arange(num_classes, dtype=tensor.dtype, device=tensor.backend)
    return (tensor.unsqueeze(-1) == classes).to(int64)


# ---- normalization -------------------------------------------------------------------------
def _channel_shape(x: Tensor) -> tuple:
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise over every dim but the channel dim (1); in training, update running stats
    in place with the unbiased batch variance, as PyTorch does."""
    if input.ndim < 2:
        raise ValueError(f"expected 2D or more input (got {input.ndim}D input)")
    c = input.shape[1]
    shape = _channel_shape(input)
    axes = (0,) + tuple(range(2, input.ndim))
    if training:
        n = input.numel() // c
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {input.shape}")
        mean = input.mean(axes, keepdim=True)
        d = input - mean
        var = (d * d).mean(axes, keepdim=True)
        if running_mean is not None and running_var is not None:
            with no_grad():
                m = momentum
                running_mean.copy_(running_mean * (1 - m) + mean.detach().reshape(c) * m)
                unbiased = var.detach().reshape(c) * (n / (n - 1))
                running_var.copy_(running_var * (1 - m) + unbiased * m)
        out = d * (var + eps).rsqrt()
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
        out = (input - running_mean.reshape(shape)) * (running_var.reshape(shape) + eps).rsqrt()
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def layer_norm(input: Tensor, normalized_shape: Sequence[int], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` dims (biased variance)."""
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(ns):]) != ns or input.ndim < len(ns):
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape "
                           f"[*, {', '.join(map(str, ns))}], but got input of size "
                           f"{list(input.shape)}")
    axes = tuple(range(input.ndim - len(ns), input.ndim))
    mean = input.mean(axes, keepdim=True)
    d = input - mean
    var = (d * d).mean(axes, keepdim=True)
    out = d * (var + eps).rsqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise each group of ``C / num_groups`` channels per sample."""
    shape = input.shape
    if input.ndim < 2 or shape[1] % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, "
                           f"but got input of shape {list(shape)} and num_groups={num_groups}")
    n = shape[0]
    x = input.reshape(n, num_groups, -1)
    mean = x.mean(2, keepdim=True)
    d = x - mean
    var = (d * d).mean(2, keepdim=True)
    out = (d * (var + eps).rsqrt()).reshape(shape)
    cs = _channel_shape(input)
    if weight is not None:
        out = out * weight.reshape(cs)
    if bias is not None:
        out = out + bias.reshape(cs)
    return out


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """``x / max(||x||_p, eps)`` along ``dim``."""
    return input / input.norm(p, dim, keepdim=True).clamp_min(eps)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine of the angle between ``x1`` and ``x2`` along ``dim`` (norms clamped at ``eps``)."""
    n1 = x1.norm(2, dim, keepdim=True).clamp_min(eps)
    n2 = x2.norm(2, dim, keepdim=True).clamp_min(eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor,
             bias: Tensor | None = None) -> Tensor:
    """``y_k = x1^T W_k x2 + b_k`` with ``weight`` of shape (out, in1, in2)."""
    from ..ops.linalg import einsum

    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got "
                           f"{list(input1.shape)} and {list(input2.shape)}")
    o, i1, i2 = weight.shape
    if input1.shape[-1] != i1 or input2.shape[-1] != i2:
        raise RuntimeError(f"bilinear(): expected inputs of {i1} and {i2} features for weight "
                           f"{list(weight.shape)}, got {list(input1.shape)} and "
                           f"{list(input2.shape)}")
    lead = input1.shape[:-1]
    a = input1.reshape(-1, i1)
    b = input2.reshape(-1, i2)
    t = a.matmul(weight.permute(1, 0, 2).reshape(i1, o * i2)).reshape(-1, o, i2)
    out = einsum("nok,nk->no", t, b)
    if bias is not None:
        out = out + bias
    return out.reshape(*lead, o)


# ---- convolution -------------------------------------------------------------------------
def _conv_check(input: Tensor, weight: Tensor, groups: int, nd: int, transposed: bool) -> None:
    if input.ndim != nd + 2:
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"conv{nd}d, but got input of size: {list(input.shape)}")
    if weight.ndim != nd + 2:
        raise RuntimeError(f"conv{nd}d: expected a {nd + 2}-d weight, got weight of size "
                           f"{list(weight.shape)}")
    c = input.shape[1]
    if transposed:
        if weight.shape[0] != c:
            raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, "
                               f"expected input{list(input.shape)} to have "
                               f"{weight.shape[0]} channels, but got {c} channels instead")
    elif weight.shape[1] * groups != c:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected "
                           f"input{list(input.shape)} to have {weight.shape[1] * groups} "
                           f"channels, but got {c} channels instead")
    if input.dtype is not weight.dtype:
        raise RuntimeError(f"Input type ({input.dtype}) and weight type ({weight.dtype}) "
                           f"should be the same")


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-d cross-correlation; ``padding`` may be an int, a pair, ``'same'`` or ``'valid'``."""
    if input.ndim == 3:
        return conv2d(input.unsqueeze(0), weight, bias, stride, padding, dilation,
                      groups).squeeze(0)
    _conv_check(input, weight, groups, 2, False)
    stride, dilation = _pair(stride), _pair(dilation)
    ks = weight.shape[2:]
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0, 0)
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            total = [d * (k - 1) for d, k in zip(dilation, ks)]
            left = [t // 2 for t in total]
            if any(t % 2 for t in total):
                input = pad_constant(input, ((0, 0), (0, 0)) + tuple(
                    (lf, t - lf) for lf, t in zip(left, total)), 0.0)
                padding = (0, 0)
            else:
                padding = tuple(left)
        else:
            raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                             f"{{'valid', 'same'}}")
    padding = _pair(padding)
    out = _F.conv2d_nobias(input, weight, stride, padding, dilation, groups)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    return out


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-d cross-correlation, computed as a height-1 :func:`conv2d`."""
    if input.ndim == 2:
        return conv1d(input.unsqueeze(0), weight, bias, stride, padding, dilation,
                      groups).squeeze(0)
    _conv_check(input, weight, groups, 1, False)
    pad = padding if isinstance(padding, str) else (0, _pair(padding, 1)[0])
    out = conv2d(input.unsqueeze(2), weight.unsqueeze(2), bias, (1, _pair(stride, 1)[0]), pad,
                 (1, _pair(dilation, 1)[0]), groups)
    return out.squeeze(2)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """Transposed 2-d convolution (the gradient of :func:`conv2d` with respect to its input);
    ``weight`` has shape (in_channels, out_channels / groups, kh, kw)."""
    if input.ndim == 3:
        return conv_transpose2d(input.unsqueeze(0), weight, bias, stride, padding,
                                output_padding, groups, dilation).squeeze(0)
    _conv_check(input, weight, groups, 2, True)
    stride, padding, dilation = _pair(stride), _pair(padding), _pair(dilation)
    output_padding = _pair(output_padding)
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= s and op >= d:
            raise RuntimeError("output padding must be smaller than either stride or dilation, "
                               f"but got output_padding={list(output_padding)}, "
                               f"stride={list(stride)}, dilation={list(dilation)}")
    out = _F.conv_transpose2d_nobias(input, weight, stride, padding, output_padding, dilation,
                                     groups)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    return out


# ---- pooling -----------------------------------------------------------------------------
_pool_geometry = _P.pool_geometry
_pool_windows = _P.pool_windows


def _check_pool_pad(k: tuple, p: tuple, d: tuple) -> None:
    for ki, pi, di in zip(k, p, d):
        if pi > (di * (ki - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={pi}, kernel_size={ki} and dilation={di}")


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """2-d max pooling over (N, C, H, W) or (C, H, W) input (stride defaults to kernel_size)."""
    if input.ndim not in (3, 4):
        raise RuntimeError(f"max_pool2d: Expected 3D or 4D (batch mode) tensor for input, but "
                           f"got input of size {list(input.shape)}")
    k = _pair(kernel_size)
    s = k if stride is None or (isinstance(stride, (list, tuple)) and not stride) else _pair(stride)
    p, d = _pair(padding), _pair(dilation)
    _check_pool_pad(k, p, d)
    x = input if input.ndim == 4 else input.unsqueeze(0)
    out = _P.max_pool2d(x, k, s, p, d, ceil_mode)
    if input.ndim == 3:
        out = out.squeeze(0)
    if not return_indices:
        return out
    idx = _P.max_pool2d_indices(x, k, s, p, d, ceil_mode)
    return out, (idx if input.ndim == 4 else idx.squeeze(0))


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """1-d max pooling over (N, C, L) or (C, L) input."""
    if input.ndim not in (2, 3):
        raise RuntimeError(f"max_pool1d() Expected 2D or 3D input tensor, but got "
                           f"{list(input.shape)}")
    k = _pair(kernel_size, 1)[0]
    s = k if stride is None or (isinstance(stride, (list, tuple)) and not stride) \
        else _pair(stride, 1)[0]
    res = max_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, _pair(padding, 1)[0]),
                     (1, _pair(dilation, 1)[0]), ceil_mode, return_indices)
    if return_indices:
        return res[0].squeeze(-2), res[1].squeeze(-2)
    return res.squeeze(-2)


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """2-d average pooling (stride defaults to kernel_size)."""
    if input.ndim not in (3, 4):
        raise RuntimeError(f"avg_pool2d: Expected 3D or 4D (batch mode) tensor for input, but "
                           f"got input of size {list(input.shape)}")
    k = _pair(kernel_size)
    s = k if stride is None or (isinstance(stride, (list, tuple)) and not stride) else _pair(stride)
    p, d = _pair(padding), (1, 1)
    _check_pool_pad(k, p, d)
    win, (oh, ow) = _pool_windows(input, k, s, p, d, ceil_mode, 0.0)
    total = win.sum((-2, -1))
    if divisor_override:
        return total / divisor_override
    h, w = input.shape[-2:]
    if not count_include_pad and not any(p) and not ceil_mode:
        return total / (k[0] * k[1])
    # divisor per output pixel: pool a mask of the positions PyTorch counts
    (_, r0), (_, r1) = (_pool_geometry(h, k[0], s[0], p[0], 1, ceil_mode),
                        _pool_geometry(w, k[1], s[1], p[1], 1, ceil_mode))
    if count_include_pad:
        mask = ones((h + 2 * p[0], w + 2 * p[1]), dtype=input.dtype, device=input.backend)
        mask = pad_constant(mask, ((0, r0 - p[0]), (0, r1 - p[1])), 0.0)
    else:
        mask = ones((h, w), dtype=input.dtype, device=input.backend)
        mask = pad_constant(mask, ((p[0], r0), (p[1], r1)), 0.0)
    mwin = sliding_window(mask, k, s, d)[:oh, :ow]
    return total / mwin.sum((-2, -1))


def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """1-d average pooling over (N, C, L) or (C, L) input."""
    k = _pair(kernel_size, 1)[0]
    s = k if stride is None or (isinstance(stride, (list, tuple)) and not stride) \
        else _pair(stride, 1)[0]
    out = avg_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, _pair(padding, 1)[0]), ceil_mode,
                     count_include_pad)
    return out.squeeze(-2)


def _adaptive_matrix(n_in: int, n_out: int, x: Tensor) -> Tensor:
    rows = []
    for i in range(n_out):
        start = (i * n_in) // n_out
        end = -((-(i + 1) * n_in) // n_out)
        rows.append([1.0 / (end - start) if start <= j < end else 0.0 for j in range(n_in)])
    return tensor(rows, dtype=x.dtype, device=x.backend)


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Average pooling to a fixed ``output_size`` with PyTorch's bin edges
    (``floor(i*H/oh)`` to ``ceil((i+1)*H/oh)``)."""
    if input.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got "
                           f"{list(input.shape)}")
    h, w = input.shape[-2:]
    osz = output_size if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    oh, ow = (h if osz[0] is None else int(osz[0])), (w if osz[1] is None else int(osz[1]))
    if h % oh == 0 and w % ow == 0:
        return avg_pool2d(input, (h // oh, w // ow))
    ph = _adaptive_matrix(h, oh, input)
    pw = _adaptive_matrix(w, ow, input)
    return ph.matmul(input).matmul(pw.mT)


# ---- padding / resizing ------------------------------------------------------------------
def _edge_index(n: int, before: int, after: int, mode: str) -> list:
    idx = []
    for j in range(-before, n + after):
        if mode == "replicate":
            idx.append(min(max(j, 0), n - 1))
        elif mode == "reflect":
            period = 2 * (n - 1)
            m = j % period if period else 0
            idx.append(m if m < n else period - m)
        else:  # circular
            idx.append(j % n)
    return idx


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant",
        value: float | None = None) -> Tensor:
    """Pad the last ``len(pad) // 2`` dims; ``pad = (last_left, last_right, prev_left, ...)``.

    Modes: ``'constant'`` (negative widths crop), ``'reflect'``, ``'replicate'``, ``'circular'``.
    """
    if len(pad) % 2:
        raise ValueError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise ValueError(f"Padding length should be less than or equal to two times the input "
                         f"dimension but got padding length {len(pad)} and input of dimension "
                         f"{input.ndim}")
    nd = input.ndim
    widths = [(0, 0)] * nd
    for i in range(len(pad) // 2):
        widths[nd - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    if mode == "constant":
        crop = tuple(slice(max(-b, 0), input.shape[i] - max(-a, 0))
                     for i, (b, a) in enumerate(widths))
        x = input[crop] if any(b < 0 or a < 0 for b, a in widths) else input
        pos = tuple((max(b, 0), max(a, 0)) for b, a in widths)
        if all(w == (0, 0) for w in pos):
            return x
        return pad_constant(x, pos, 0.0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    out = input
    for dim, (b, a) in enumerate(widths):
        if b == 0 and a == 0:
            continue
        n = out.shape[dim]
        if mode == "reflect" and (b >= n or a >= n):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding "
                               f"input dimension, but got: padding ({b}, {a}) at dimension "
                               f"{dim} of input {list(input.shape)}")
        idx = tensor(_edge_index(n, b, a, mode), dtype=int64, device=input.backend)
        out = index_select(out, dim, idx)
    return out


def _resize_source(n_in: int, n_out: int, scale: float | None, align_corners: bool) -> list:
    if align_corners:
        step = (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        return [j * step for j in range(n_out)]
    ratio = 1.0 / scale if scale else n_in / n_out
    return [max((j + 0.5) * ratio - 0.5, 0.0) for j in range(n_out)]


def interpolate(input: Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize the spatial dims (``'nearest'`` for 3-5 d input; ``'linear'``/``'bilinear'``)."""
    nsp = input.ndim - 2
    if nsp < 1:
        raise ValueError(f"interpolate expects at least 3-d input, got {list(input.shape)}")
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined")
    in_sp = input.shape[2:]
    if size is not None:
        out_sp = tuple(size) if isinstance(size, (tuple, list)) else (size,) * nsp
        scales = [None] * nsp
    else:
        sf = tuple(scale_factor) if isinstance(scale_factor, (tuple, list)) else \
            (scale_factor,) * nsp
        out_sp = tuple(int(math.floor(n * f)) for n, f in zip(in_sp, sf))
        scales = [None if recompute_scale_factor else f for f in sf]
    if mode in ("nearest", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
        out = input
        for i, (n_in, n_out) in enumerate(zip(in_sp, out_sp)):
            ratio = 1.0 / scales[i] if scales[i] else n_in / n_out
            if mode == "nearest":
                src = [min(int(math.floor(j * ratio)), n_in - 1) for j in range(n_out)]
            else:
                src = [min(int(math.floor((j + 0.5) * ratio)), n_in - 1) for j in range(n_out)]
            out = index_select(out, 2 + i, tensor(src, dtype=int64, device=input.backend))
        return out
    if mode not in ("linear", "bilinear", "trilinear"):
        raise NotImplementedError(f"interpolate: mode {mode!r} is not supported (nearest, "
                                  f"nearest-exact, linear, bilinear, trilinear)")
    need = {"linear": 1, "bilinear": 2, "trilinear": 3}[mode]
    if nsp != need:
        raise ValueError(f"Got {input.ndim}D input, but {mode} mode needs {need + 2}D input")
    ac = bool(align_corners)
    out = input
    for i, (n_in, n_out) in enumerate(zip(in_sp, out_sp)):
        src = _resize_source(n_in, n_out, scales[i], ac)
        i0 = [min(int(math.floor(v)), n_in - 1) for v in src]
        i1 = [min(a + 1, n_in - 1) for a in i0]
        lam = [v - a for v, a in zip(src, i0)]
        be = input.backend
        shape = [1] * out.ndim
        shape[2 + i] = n_out
        w1 = tensor(lam, dtype=input.dtype, device=be).reshape(shape)
        lo = index_select(out, 2 + i, tensor(i0, dtype=int64, device=be))
        hi = index_select(out, 2 + i, tensor(i1, dtype=int64, device=be))
        out = lo + (hi - lo) * w1
    return out


# ---- losses --------------------------------------------------------------------------------
def _check_same_size(input: Tensor, target: Tensor, name: str) -> None:
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"{name}: Using a target size ({target.shape}) that is different to the "
                         f"input size ({input.shape}) is not supported; expected equal shapes")


def mse_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean squared error."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    d = input - target
    loss = d * d
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def l1_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean absolute error."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    loss = (input - target).abs()
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta``."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    d = (input - target).abs()
    if beta == 0:
        return _reduce(d, reduction)
    loss = _where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """``0.5 d^2`` where ``|d| <= delta``, else ``delta (|d| - 0.5 delta)``."""
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    d = (input - target).abs()
    loss = _where(d <= delta, 0.5 * d * d, delta * (d - 0.5 * delta))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def _class_last(input: Tensor) -> Tensor:
    """(N, C, d1, ...) -> (N * d1 * ..., C); (N, C) and (C,) as (N, C) / (1, C)."""
    if input.ndim == 1:
        return input.unsqueeze(0)
    if input.ndim == 2:
        return input
    c = input.shape[1]
    perm = (0,) + tuple(range(2, input.ndim)) + (1,)
    return input.permute(perm).reshape(-1, c)


def _check_nll_shapes(input: Tensor, target: Tensor) -> None:
    if target.dtype.is_floating_point:
        raise RuntimeError(f"expected scalar type Long but found {target.dtype}")
    if input.ndim == 1:
        ok = target.ndim == 0
    else:
        ok = target.ndim == input.ndim - 1 and target.shape[0] == input.shape[0] \
            and target.shape[1:] == input.shape[2:]
    if not ok:
        if input.ndim == 2 and target.ndim == 1:
            raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                             f"batch_size ({target.shape[0]}).")
        raise RuntimeError(f"expected target of shape {[input.shape[0]] if input.ndim > 1 else []}"
                           f"{list(input.shape[2:]) if input.ndim > 2 else ''} for input "
                           f"of shape {list(input.shape)}, got target of shape {list(target.shape)}")


def _nll_core(lsm: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int,
              reduction: str, out_shape: tuple) -> tuple:
    """Per-element weighted NLL of (M, C) log-probabilities, and the mean's denominator."""
    t = target.reshape(-1)
    valid = t != ignore_index
    safe = t.masked_fill(valid.logical_not(), 0)
    picked = -lsm.gather(1, safe.reshape(-1, 1)).reshape(-1)
    w = weight[safe] if weight is not None else None
    vmask = valid.to(lsm.dtype)
    wt = vmask if w is None else w * vmask
    loss = picked * wt
    if reduction == "none":
        return loss.reshape(out_shape), None
    if reduction == "sum":
        return loss.sum(), None
    if reduction == "mean":
        return loss.sum() / wt.sum(), wt
    raise ValueError(f"{reduction} is not a valid value for reduction")


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average: Any = None,
             ignore_index: int = -100, reduce: Any = None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class-index targets given log-probabilities, with
    class ``weight`` and ``ignore_index``; ``'mean'`` divides by the summed target weights."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_nll_shapes(input, target)
    c = input.shape[1] if input.ndim > 1 else input.shape[0]
    _check_weight(weight, c)
    _F.check_targets(target, c, ignore_index)
    return _nll_core(_class_last(input), target, weight, ignore_index, reduction,
                     tuple(target.shape))[0]


def _check_weight(weight: Tensor | None, c: int) -> None:
    if weight is not None and tuple(weight.shape) != (c,):
        raise RuntimeError(f"weight tensor should be defined either for all {c} classes or no "
                           f"classes but got weight tensor of shape: {list(weight.shape)}")


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average: Any = None, ignore_index: int = -100, reduce: Any = None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy of logits ``input`` (C), (N, C) or (N, C, d1, ...) against class indices
    or class probabilities, with ``weight``, ``ignore_index`` and ``label_smoothing``."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    c = input.shape[1] if input.ndim > 1 else input.shape[0]
    _check_weight(weight, c)
    if target.dtype.is_floating_point:
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing, c)
    _check_nll_shapes(input, target)
    has_ignored = _F.check_targets(target, c, ignore_index)
    logits = _class_last(input)
    t = target.reshape(-1)
    if weight is None and label_smoothing == 0.0 and logits.ndim == 2 and not has_ignored:
        rows = _F.cross_entropy_rows(logits, t)
        return rows.reshape(target.shape) if reduction == "none" else _reduce(rows, reduction)
    lsm = log_softmax(logits, 1)
    nll, wt = _nll_core(lsm, target, weight, ignore_index, reduction, tuple(target.shape))
    if label_smoothing == 0.0:
        return nll
    valid = (t != ignore_index).to(lsm.dtype)
    smooth = -(lsm * weight).sum(1) if weight is not None else -lsm.sum(1)
    smooth = smooth * valid
    if reduction == "none":
        smooth = smooth.reshape(target.shape)
    elif reduction == "sum":
        smooth = smooth.sum()
    else:
        smooth = smooth.sum() / (wt.sum() if weight is not None else valid.sum())
    return (1 - label_smoothing) * nll + smooth * (label_smoothing / c)


def _cross_entropy_probs(input: Tensor, target: Tensor, weight: Tensor | None, reduction: str,
                         label_smoothing: float, c: int) -> Tensor:
    if tuple(input.shape) != tuple(target.shape):
        raise RuntimeError(f"cross_entropy: class-probability targets must have the input's "
                           f"shape {list(input.shape)}, got {list(target.shape)}")
    lsm = log_softmax(input, 1 if input.ndim > 1 else 0)
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / c
    prod = lsm * target
    if weight is not None:
        prod = prod * (weight.reshape(_channel_shape(input)) if input.ndim > 1 else weight)
    loss = -prod.sum(1 if input.ndim > 1 else 0)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / (input.numel() // c if input.ndim > 1 else 1)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average: Any = None, reduce: Any = None,
                         reduction: str = "mean") -> Tensor:
    """``-(t log x + (1 - t) log(1 - x))`` with logs clamped at -100, as PyTorch."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_same_size(input, target, "binary_cross_entropy")
    if input.numel():
        lo, hi = input.amin().item(), input.amax().item()
        if lo < 0 or hi > 1:
            raise RuntimeError("all elements of input should be between 0 and 1")
    loss = -(target * input.log().clamp_min(-100) + (1 - target) * (1 - input).log().clamp_min(-100))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average: Any = None, reduce: Any = None,
                                     reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Sigmoid + binary cross entropy in one numerically stable expression."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_same_size(input, target, "binary_cross_entropy_with_logits")
    softplus_neg = (-input).relu() + (-input.abs()).exp().log1p()  # log(1 + exp(-x))
    if pos_weight is not None:
        lw = 1 + (pos_weight - 1) * target
        loss = (1 - target) * input + lw * softplus_neg
    else:
        loss = (1 - target) * input + softplus_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def kl_div(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """Pointwise KL divergence ``target * (log target - input)`` (input is log-probabilities);
    ``reduction='batchmean'`` divides the sum by the batch size."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        pos = target > 0
        safe = _where(pos, target, 1.0)
        loss = target * safe.log() - target * input
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction)


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, *args: Any,
                                 **kwargs: Any) -> Tensor:
    """Attention ``softmax(q k^T / sqrt(d) + mask) v`` (see :mod:`xgrad.nn.transformer`)."""
    from .transformer import scaled_dot_product_attention as sdpa

    return sdpa(query, key, value, *args, **kwargs)
