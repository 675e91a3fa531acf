"""Batch, layer and group normalization, ``normalize`` and ``cosine_similarity`` of
:mod:`xgrad.nn.functional`."""
from __future__ import annotations

import math
from collections.abc import Sequence

from ..autograd.grad_mode import no_grad
from ..dtypes import bfloat16, float16, float32
from ..shapes import int_sizes, need_type, scalar_type_name
from ..tensor import Tensor
from .functional_common import _channel_shape

__all__ = [
    "batch_norm", "layer_norm", "group_norm", "normalize", "cosine_similarity",
]


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise over every dim but the channel dim (1); in training, update running stats
    in place with the unbiased batch variance, as PyTorch does."""
    need_type("batch_norm", "input", input, Tensor)
    if training and eps <= 0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    if eps < 0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    if training:
        per_channel = input.shape[0] * math.prod(input.shape[2:]) if input.ndim else 1
        if per_channel == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {input.shape}")
    if input.numel() == 0:
        return input.clone()  # nothing to normalize: PyTorch checks nothing further either
    _check_batch_norm_args(input, running_mean, running_var, weight, bias)
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
    if input.ndim < 2:
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-max(input.ndim, 1)}, {max(input.ndim, 1) - 1}], but got 1) "
                         f"(batch_norm: the channel dim of an input of shape {list(input.shape)})")
    c = input.shape[1]
    shape = _channel_shape(input)
    axes = (0,) + tuple(range(2, input.ndim))
    if training:
        n = input.numel() // c
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


def _check_batch_norm_args(input: Tensor, *stats: Tensor | None) -> None:
    """PyTorch's checks of batch_norm's running stats, weight and bias: each holds one value
    per channel (``input.shape[1]``; none for a 1-d input) and has the input's dtype (float32
    parameters are also accepted for float16/bfloat16 input)."""
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"batch_norm\" not implemented for "
                                  f"'{scalar_type_name(input.dtype.name)}'")
    c = input.shape[1] if input.ndim > 1 else 0
    given = [(n, t) for n, t in zip(("running_mean", "running_var", "weight", "bias"), stats)
             if t is not None]
    for name, t in given:
        if t.numel() != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")
    dts = {t.dtype for _, t in given}
    if dts and dts != {input.dtype} and not (
            dts == {float32} and input.dtype in (float16, bfloat16)):
        raise RuntimeError(f"expected scalar type {scalar_type_name(input.dtype.name)} but found "
                           f"{scalar_type_name(next(t for t in dts if t != input.dtype).name)} "
                           f"(batch_norm: the running stats, weight and bias need the input's "
                           f"dtype)")


def layer_norm(input: Tensor, normalized_shape: Sequence[int], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` dims (biased variance)."""
    if not isinstance(normalized_shape, (tuple, list)):  # PyTorch's F.layer_norm wants a tuple
        raise TypeError(f"layer_norm(): argument 'normalized_shape' (position 2) must be tuple "
                        f"of ints, not {type(normalized_shape).__name__}")
    ns = int_sizes("layer_norm", "normalized_shape", (normalized_shape,))
    if not ns:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., "
                           "containing at least one element, but got normalized_shape = []")
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
    need_type("normalize", "input", input, Tensor)
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {scalar_type_name(input.dtype.name)}")
    return input / input.norm(p, dim, keepdim=True).clamp_min(eps)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine of the angle between ``x1`` and ``x2`` along ``dim`` (norms clamped at ``eps``)."""
    if dim.__class__ is not int:
        raise TypeError(f"cosine_similarity(): argument 'dim' (position 3) must be int, not "
                        f"{type(dim).__name__}")
    for x in (x1, x2):
        need_type("cosine_similarity", "x1", x, Tensor)
    if not (x1.dtype.is_floating_point or x2.dtype.is_floating_point):
        name = scalar_type_name(x1.dtype.name if x1.dtype.is_floating_point else x2.dtype.name)
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is "
                           f"{scalar_type_name(x2.dtype.name) if name == 'Bool' else name}")
    n1 = x1.norm(2, dim, keepdim=True).clamp_min(eps)
    n2 = x2.norm(2, dim, keepdim=True).clamp_min(eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)
