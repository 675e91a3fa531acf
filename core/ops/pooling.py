"""2-d max pooling as fused ops with decompositions into primitives.

``max_pool2d(x)`` takes each window's maximum; its backward is ``max_pool2d_backward(x, g)``,
which routes each window's gradient to the window's *first* maximum (row-major kernel
order), as PyTorch does. ``max_pool2d_backward_out(x, out, g)`` is the same given the
forward's output ``out``, which a backend may use instead of computing the maxima again
(autograd passes it while the output is alive and unmodified). The backward is linear in
``g``; its own backward gathers ``gg`` at the same positions, so double backward works.
Both decompositions go through the first-maximum flat indices (:func:`max_pool2d_indices`),
so fused and decomposed paths agree on ties.
"""
from __future__ import annotations

from ..creation import arange
from ..dtypes import int64
from ..tensor import Tensor, wrap
from .fusion import FusedOp, apply_fused, register_fused
from .shape import pad_constant, sliding_window

__all__ = ["pool_geometry", "pool_windows", "max_pool2d", "max_pool2d_backward",
           "max_pool2d_backward_out", "max_pool2d_indices", "MAX_POOL2D", "MAX_POOL2D_BACKWARD",
           "MAX_POOL2D_BACKWARD_OUT"]


def pool_geometry(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> tuple:
    """(output size, extra right padding beyond ``p``) for one spatial dim, as PyTorch.

    Refuses, with PyTorch's errors, a kernel, stride, padding or dilation that is not an int
    (TypeError) or out of range (RuntimeError), before any arithmetic divides by it."""
    for name, v in (("kernel_size", k), ("stride", s), ("padding", p), ("dilation", d)):
        if v.__class__ is not int:
            raise TypeError(f"argument '{name}' must be tuple of ints, but found element of type "
                            f"{type(v).__name__}")
    if k <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_size: {k}")
    if s == 0:
        raise RuntimeError("stride should not be zero")
    if s < 0:
        raise RuntimeError(f"stride should be greater than zero, but got stride: {s}")
    if d <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilation: {d}")
    if p < 0:
        raise RuntimeError(f"pad must be non-negative, but got pad: {p}")
    span = d * (k - 1) + 1
    num = size + 2 * p - span
    if num < 0:
        raise RuntimeError(f"Given input size: {size}. Calculated output size would be too small "
                           f"(kernel {k}, stride {s}, padding {p}, dilation {d})")
    out = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    right = max((out - 1) * s + span - (size + p), p)
    return out, right


def pool_windows(x: Tensor, k: tuple, s: tuple, p: tuple, d: tuple, ceil_mode: bool,
                 value: float) -> tuple:
    """Windows ``(..., oh, ow, kh, kw)`` of ``x`` padded with ``value``, and ``(oh, ow)``."""
    sp = x._data.shape[-2:]
    geo = [pool_geometry(n, *args, ceil_mode) for n, args in zip(sp, zip(k, s, p, d))]
    widths = ((0, 0),) * (x.ndim - 2) + tuple((pi, r) for pi, (_, r) in zip(p, geo))
    xp = pad_constant(x, widths, value) if any(w != (0, 0) for w in widths) else x
    win = sliding_window(xp, k, s, d)
    oh, ow = geo[0][0], geo[1][0]
    if win._data.shape[-4:-2] != (oh, ow):
        win = win[..., :oh, :ow, :, :]
    return win, (oh, ow)


def max_pool2d_indices(x: Tensor, kernel: tuple, stride: tuple, padding: tuple,
                       dilation: tuple, ceil_mode: bool) -> Tensor:
    """int64 ``(N, C, oh, ow)``: flat index into ``H * W`` of each window's first maximum
    (``return_indices`` of ``torch.nn.functional.max_pool2d``)."""
    k, s, p, d = kernel, stride, padding, dilation
    win, (oh, ow) = pool_windows(x.detach(), k, s, p, d, ceil_mode, float("-inf"))
    arg = win.reshape(*win._data.shape[:-2], k[0] * k[1]).argmax(-1)
    be = x._backend
    ki, kj = arg // k[1], arg % k[1]
    rows = arange(oh, dtype=int64, device=be).reshape(oh, 1) * s[0] - p[0]
    cols = arange(ow, dtype=int64, device=be).reshape(1, ow) * s[1] - p[1]
    return (rows + ki * d[0]) * x._data.shape[-1] + cols + kj * d[1]


def _gather_at(src: Tensor, idx: Tensor) -> Tensor:
    """``src`` (N, C, H, W) read at flat spatial indices ``idx`` (N, C, oh, ow)."""
    n, c, oh, ow = idx._data.shape
    return src.flatten(2).gather(2, idx.flatten(2)).reshape(n, c, oh, ow)


def _mp_dec(x: Tensor, *params) -> Tensor:
    return _gather_at(x, max_pool2d_indices(x, *params))


def _mpb_dec(x: Tensor, g: Tensor, *params) -> Tensor:
    idx = max_pool2d_indices(x, *params)
    be = g._backend
    n, c, h, w = x._data.shape
    zeros = wrap(be.full((n, c, h * w), 0, be.dtype(g._data)), be)
    return zeros.scatter_add(2, idx.flatten(2), g.flatten(2)).reshape(n, c, h, w)


def _mpbo_dec(x: Tensor, out: Tensor, g: Tensor, *params) -> Tensor:
    return max_pool2d_backward(x, g, *params)


MAX_POOL2D = register_fused(FusedOp("max_pool2d", _mp_dec, hints_output=True))
MAX_POOL2D_BACKWARD = register_fused(FusedOp("max_pool2d_backward", _mpb_dec))
MAX_POOL2D_BACKWARD_OUT = register_fused(FusedOp("max_pool2d_backward_out", _mpbo_dec))


def max_pool2d(x: Tensor, kernel: tuple, stride: tuple, padding: tuple, dilation: tuple,
               ceil_mode: bool) -> Tensor:
    """Max pooling of (N, C, H, W) ``x`` (arguments already validated, as pairs); windows
    reaching past the input are padded with -inf. Fused when the backend has ``max_pool2d``."""
    for n, k, s, p, d in zip(x._data.shape[2:], kernel, stride, padding, dilation):
        pool_geometry(n, k, s, p, d, ceil_mode)  # raises when the output would be empty
    return apply_fused(MAX_POOL2D, (x,), (tuple(kernel), tuple(stride), tuple(padding),
                                          tuple(dilation), bool(ceil_mode)))


def max_pool2d_backward(x: Tensor, g: Tensor, kernel: tuple, stride: tuple, padding: tuple,
                        dilation: tuple, ceil_mode: bool) -> Tensor:
    """Gradient of :func:`max_pool2d` with respect to ``x`` for output gradient ``g``: each
    window's ``g`` lands on its first maximum (summed where windows overlap)."""
    return apply_fused(MAX_POOL2D_BACKWARD, (x, g), (tuple(kernel), tuple(stride),
                                                     tuple(padding), tuple(dilation),
                                                     bool(ceil_mode)))


def max_pool2d_backward_out(x: Tensor, out: Tensor, g: Tensor, kernel: tuple, stride: tuple,
                            padding: tuple, dilation: tuple, ceil_mode: bool) -> Tensor:
    """:func:`max_pool2d_backward` given ``out``, the forward's result for ``x`` (a backend
    may use it instead of computing the window maxima again)."""
    return apply_fused(MAX_POOL2D_BACKWARD_OUT, (x, out, g), (tuple(kernel), tuple(stride),
                                                              tuple(padding), tuple(dilation),
                                                              bool(ceil_mode)))
