"""More of :mod:`xgrad.nn.functional` as decompositions into Tensor ops: prelu, selu, celu,
glu, hardswish, hardsigmoid, logsigmoid, softmin, rms_norm, pairwise_distance,
alpha_dropout, conv_transpose1d."""
from __future__ import annotations

import warnings
from typing import Any

from ..ops.fused import softmax
from ..random import rand
from ..shapes import need_type
from ..tensor import Tensor
from ..typeinfo import finfo
from .functional_common import _where
from .functional_conv import conv_transpose2d

__all__ = ["prelu", "selu", "celu", "glu", "hardswish", "hardsigmoid", "logsigmoid", "softmin",
           "rms_norm", "pairwise_distance", "alpha_dropout", "conv_transpose1d"]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _result(input: Tensor, out: Tensor, inplace: bool) -> Tensor:
    return input.copy_(out) if inplace else out


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``x`` if positive else ``weight * x``, with one slope or one per channel (dim 1)."""
    need_type("prelu", "input", input, Tensor)
    need_type("prelu", "weight", weight, Tensor, 2)
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {weight.ndim}")
    n = weight.numel()
    channels = input.shape[1] if input.ndim >= 2 else 1
    if n != 1 and n != channels:
        raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                           f"parameter numbers = {n} and channel size = {channels}.")
    w = weight.reshape(1, -1, *([1] * (input.ndim - 2))) if n != 1 and input.ndim >= 2 \
        else weight.reshape(())
    return _where(input > 0, input, input * w)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """``scale * (max(0, x) + min(0, alpha * (exp(x) - 1)))`` with the self-normalising
    constants."""
    need_type("selu", "input", input, Tensor)
    out = _where(input > 0, input * _SELU_SCALE,
                 input.clamp(max=0).expm1() * (_SELU_ALPHA * _SELU_SCALE))
    return _result(input, out, inplace)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    need_type("celu", "input", input, Tensor)
    out = _where(input > 0, input, (input.clamp(max=0) / alpha).expm1() * alpha)
    return _result(input, out, inplace)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit: the first half of ``dim`` times the sigmoid of the second half."""
    need_type("glu", "input", input, Tensor)
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = dim + input.ndim if dim < 0 else dim
    n = input.shape[d]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    a, b = input.split(n // 2, d)
    return a * b.sigmoid()


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """``relu6(x + 3) / 6``."""
    need_type("hardsigmoid", "input", input, Tensor)
    return _result(input, (input + 3.0).clamp(0.0, 6.0) / 6.0, inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * relu6(x + 3) / 6``."""
    need_type("hardswish", "input", input, Tensor)
    return _result(input, input * (input + 3.0).clamp(0.0, 6.0) / 6.0, inplace)


def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(x))`` without overflow: ``min(x, 0) - log1p(exp(-|x|))``."""
    need_type("logsigmoid", "input", input, Tensor)
    return input.clamp(max=0) - (-input.abs()).exp().log1p()


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """``softmax(-x)`` along ``dim``."""
    need_type("softmin", "input", input, Tensor)
    if dim is None:
        warnings.warn("Implicit dimension choice for softmin has been deprecated. Change the "
                      "call to include dim=X as an argument.", UserWarning,
                      stacklevel=_stacklevel)
        dim = 0 if input.ndim in (0, 1, 3) else 1
    x = input if dtype is None else input.to(dtype)
    return softmax(-x, dim)


def rms_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """``x / sqrt(mean(x^2) + eps)`` over the last ``len(normalized_shape)`` dims, times
    ``weight``; ``eps`` defaults to the dtype's machine epsilon."""
    need_type("rms_norm", "input", input, Tensor)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if tuple(input.shape[input.ndim - k:]) != shape or input.ndim < k:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*{', '.join(str(s) for s in shape)}], but got input of size"
                           f"{list(input.shape)}")
    if eps is None:
        eps = finfo(input.dtype).eps
    dims = tuple(range(input.ndim - k, input.ndim))
    out = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return out * weight if weight is not None else out


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """The ``p``-norm of ``x1 - x2 + eps`` over the last dim."""
    need_type("pairwise_distance", "x1", x1, Tensor)
    need_type("pairwise_distance", "x2", x2, Tensor, 2)
    nd = max(x1.ndim, x2.ndim)
    d = x1 - x2 + eps
    if nd == 0:
        return d.abs() if not keepdim else d.abs().reshape(1)
    return d.norm(p, nd - 1, keepdim)


_ALPHA_PRIME = 1.7580993408473766  # SELU's scale * alpha


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """Dropout that keeps SELU's zero mean and unit variance: dropped units are set to the
    negative saturation value, then everything is rescaled affinely (training only)."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return _result(input, input * 0.0, inplace)
    keep = (rand(input.shape, dtype=input.dtype, device=input.backend) >= p).to(input.dtype)
    a = ((_ALPHA_PRIME * _ALPHA_PRIME * p + 1.0) * (1.0 - p)) ** -0.5
    b = (keep - 1.0) * (_ALPHA_PRIME * a) + _ALPHA_PRIME * a * p
    return _result(input, input * (keep * a) + b, inplace)


def _one(v: Any) -> int:
    return v[0] if isinstance(v, (tuple, list)) else v


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """Transposed 1-d convolution over (N, C, L) or (C, L) input; ``weight`` has shape
    (in_channels, out_channels / groups, k). Computed as a transposed 2-d convolution of
    height 1."""
    need_type("conv_transpose1d", "input", input, Tensor)
    if input.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2D (unbatched) or 3D (batched) input to conv_transpose1d, "
                           f"but got input of size: {list(input.shape)}")
    out = conv_transpose2d(input.unsqueeze(-2), weight.unsqueeze(-2), bias, (1, _one(stride)),
                           (0, _one(padding)), (0, _one(output_padding)), groups,
                           (1, _one(dilation)))
    return out.squeeze(-2)
