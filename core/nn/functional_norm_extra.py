"""Instance normalization and local response normalization of :mod:`xgrad.nn.functional`."""
from __future__ import annotations

from ..autograd.grad_mode import no_grad
from ..ops.shape import pad_constant
from ..tensor import Tensor
from .functional_common import _channel_shape

__all__ = ["instance_norm", "local_response_norm"]


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each (sample, channel) over its spatial dims (biased variance).

    With ``use_input_stats`` and running stats given, they are updated in place with the
    batch average of the per-instance mean and unbiased variance, as PyTorch does; without
    ``use_input_stats`` the running stats normalise instead."""
    if input.ndim < 2:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"{input.shape}")
    spatial = 1
    for v in input.shape[2:]:
        spatial *= v
    if use_input_stats and spatial <= 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"{input.shape}")
    shape = _channel_shape(input)
    if use_input_stats:
        axes = tuple(range(2, input.ndim))
        mean = input.mean(axes, keepdim=True)
        d = input - mean
        var = (d * d).mean(axes, keepdim=True)
        if running_mean is not None or running_var is not None:
            n, c = input.shape[:2]
            with no_grad():
                m = momentum
                if running_mean is not None:
                    inst = mean.detach().reshape(n, c).mean(0)
                    running_mean.copy_(running_mean * (1 - m) + inst * m)
                if running_var is not None:
                    unbiased = var.detach().reshape(n, c) * (spatial / (spatial - 1))
                    running_var.copy_(running_var * (1 - m) + unbiased.mean(0) * m)
        out = d * (var + eps).rsqrt()
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("Expected running_mean and running_var to be defined when "
                               "use_input_stats is false")
        out = (input - running_mean.reshape(shape)) * (running_var.reshape(shape) + eps).rsqrt()
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """``x / (k + alpha * mean of x^2 over a window of size channels) ** beta``; the window
    is centred on each channel (``size // 2`` before, ``(size - 1) // 2`` after, zeros beyond
    the edges)."""
    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input "
                         f"(got {input.ndim} dimensions)")
    if input.numel() == 0:
        return input
    c = input.shape[1]
    sq = input * input
    widths = ((0, 0), (size // 2, (size - 1) // 2)) + ((0, 0),) * (input.ndim - 2)
    padded = pad_constant(sq, widths, 0.0)
    total = None
    for j in range(size):
        part = padded[:, j:j + c]
        total = part if total is None else total + part
    div = (total * (alpha / size) + k) ** beta
    return input / div
