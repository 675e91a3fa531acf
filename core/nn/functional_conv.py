"""Convolutions and pooling of :mod:`xgrad.nn.functional` (conv2d and max-pooling use the
backend's fused kernels through :mod:`xgrad.ops.fused` when it has them)."""
from __future__ import annotations

from typing import Any

from ..creation import ones, tensor, zeros
from ..dtypes import int64
from ..ops import fused as fused_ops
from ..ops import pooling as pool_ops
from ..ops.shape import pad_constant, sliding_window
from ..shapes import scalar_type_name, wrap_dim
from ..tensor import Tensor
from .functional_common import _pair

__all__ = [
    "conv2d", "conv1d", "conv_transpose2d", "max_pool2d", "max_pool1d", "avg_pool2d",
    "avg_pool1d", "adaptive_avg_pool2d",
]


# ---- convolution -------------------------------------------------------------------------
def _conv_check(input: Tensor, weight: Tensor, groups: int, nd: int, transposed: bool) -> None:
    if groups <= 0:
        raise RuntimeError(f"non-positive groups is not supported (got groups={groups})")
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
    stride, dilation = _pair(stride), _pair(dilation)  # argument types first, as PyTorch
    if not isinstance(padding, str):
        padding = _pair(padding)
    if input.ndim == 3:
        return conv2d(input.unsqueeze(0), weight, bias, stride, padding, dilation,
                      groups).squeeze(0)
    _conv_check(input, weight, groups, 2, False)
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
    out = fused_ops.conv2d_nobias(input, weight, stride, padding, dilation, groups)
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
    out = fused_ops.conv_transpose2d_nobias(input, weight, stride, padding, output_padding, dilation,
                                     groups)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    return out


# ---- pooling -----------------------------------------------------------------------------
_pool_geometry = pool_ops.pool_geometry


_pool_windows = pool_ops.pool_windows


def _single(fn: str, arg: str, v: Any) -> Any:
    """A 1-d pool's size argument: an int, or a sequence of exactly one (PyTorch's
    RuntimeError otherwise; an empty stride means the default)."""
    if isinstance(v, (tuple, list)) and len(v) != 1 and not (arg == "stride" and not v):
        raise RuntimeError(f"{fn}() argument '{arg}' should contain one int (got {len(v)})")
    return v


def _no_bool(fn: str, input: Tensor) -> None:
    if input.dtype.name == "bool":
        raise RuntimeError(f'"{fn}" not implemented for \'Bool\'')


def _check_pool_pad(k: tuple, p: tuple, d: tuple) -> None:
    for ki, pi, di in zip(k, p, d):
        if pi > (di * (ki - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={pi}, kernel_size={ki} and dilation={di}")


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """2-d max pooling over (N, C, H, W) or (C, H, W) input (stride defaults to kernel_size)."""
    _no_bool("max_pool2d", input)
    if input.ndim not in (3, 4):
        raise RuntimeError(f"max_pool2d: Expected 3D or 4D (batch mode) tensor for input, but "
                           f"got input of size {list(input.shape)}")
    k = _pair(kernel_size)
    s = k if stride is None or (isinstance(stride, (list, tuple)) and not stride) else _pair(stride)
    p, d = _pair(padding), _pair(dilation)
    _check_pool_pad(k, p, d)
    x = input if input.ndim == 4 else input.unsqueeze(0)
    out = pool_ops.max_pool2d(x, k, s, p, d, ceil_mode)
    if input.ndim == 3:
        out = out.squeeze(0)
    if not return_indices:
        return out
    idx = pool_ops.max_pool2d_indices(x, k, s, p, d, ceil_mode)
    return out, (idx if input.ndim == 4 else idx.squeeze(0))


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """1-d max pooling over (N, C, L) or (C, L) input."""
    kernel_size = _single("max_pool1d", "kernel_size", kernel_size)
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
    """2-d average pooling (stride defaults to kernel_size). int64 input stays int64, each
    average truncated toward zero, as PyTorch; other integer dtypes and bool are refused."""
    if input.ndim < 3:  # PyTorch reads input.size(-3) first
        wrap_dim(-3, input.ndim)
    if input.ndim > 4:
        raise RuntimeError(f"avg_pool2d: Expected 3D or 4D (batch mode) tensor for input, but "
                           f"got input of size {list(input.shape)}")
    if not input.dtype.is_floating_point and input.dtype is not int64:
        raise NotImplementedError(f"\"avg_pool2d\" not implemented for "
                                  f"'{scalar_type_name(input.dtype.name)}'")
    k = _pair(kernel_size)
    s = k if stride is None or (isinstance(stride, (list, tuple)) and not stride) else _pair(stride)
    p, d = _pair(padding), (1, 1)
    _check_pool_pad(k, p, d)
    win, (oh, ow) = _pool_windows(input, k, s, p, d, ceil_mode, 0.0)
    total = win.sum((-2, -1))
    if divisor_override:
        return _average(total, divisor_override)
    h, w = input.shape[-2:]
    if not count_include_pad and not any(p) and not ceil_mode:
        return _average(total, k[0] * k[1])
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
    return _average(total, mwin.sum((-2, -1)))


def _average(total: Tensor, count: Any) -> Tensor:
    """``total / count``; for int64 pooling truncated toward zero in int64, as PyTorch."""
    if total.dtype.is_floating_point:
        return total / count
    return total.div(count, rounding_mode="trunc")


def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """1-d average pooling over (N, C, L) or (C, L) input."""
    kernel_size = _single("avg_pool1d", "kernel_size", kernel_size)
    if stride is not None:
        stride = _single("avg_pool1d", "stride", stride)
    padding = _single("avg_pool1d", "padding", padding)
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
    if output_size is None:
        raise TypeError("adaptive_avg_pool2d(): argument 'output_size' must be int or tuple of "
                        "ints, not NoneType")
    osz = output_size if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    if len(osz) != 2:
        raise RuntimeError(f"adaptive_avg_pool2d: output_size must be 2 (got {list(osz)})")
    if input.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got "
                           f"{list(input.shape)}")
    h, w = input.shape[-2:]
    oh, ow = (h if osz[0] is None else _pair(osz[0], 1)[0]), \
        (w if osz[1] is None else _pair(osz[1], 1)[0])
    if oh < 0 or ow < 0:
        raise RuntimeError(f"adaptive_avg_pool2d: elements of output_size must be greater than "
                           f"or equal to 0 but received {{{oh}, {ow}}}")
    if oh == 0 or ow == 0:  # an empty result: PyTorch checks no dtype then
        return zeros(tuple(input.shape[:-2]) + (oh, ow), dtype=input.dtype, device=input.backend)
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"adaptive_avg_pool2d\" not implemented for "
                                  f"'{scalar_type_name(input.dtype.name)}'")
    if h % oh == 0 and w % ow == 0:
        return avg_pool2d(input, (h // oh, w // ow))
    ph = _adaptive_matrix(h, oh, input)
    pw = _adaptive_matrix(w, ow, input)
    return ph.matmul(input).matmul(pw.mT)
