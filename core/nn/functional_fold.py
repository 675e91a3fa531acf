"""im2col / col2im (``unfold`` / ``fold``) and pixel (un)shuffle of :mod:`xgrad.nn.functional`.

``unfold`` takes the sliding windows of the padded input (one differentiable window op);
``fold`` is its adjoint, written as a grouped transposed convolution with one-hot kernels so
overlapping blocks add up and gradients come from the convolution's own rules. Pixel
(un)shuffle are reshapes and permutes.
"""
from __future__ import annotations

from typing import Any

from ..creation import eye
from ..ops.shape import pad_constant, sliding_window
from ..tensor import Tensor
from .functional_common import _pair
from .functional_conv import conv_transpose2d

__all__ = ["unfold", "fold", "pixel_shuffle", "pixel_unshuffle"]


def _fold_args(kernel_size: Any, dilation: Any, padding: Any, stride: Any) -> tuple:
    k, d, p, s = (_pair(v) for v in (kernel_size, dilation, padding, stride))
    if any(v <= 0 for v in k):
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {k[0]} kW: "
                           f"{k[1]}")
    if any(v <= 0 for v in s):
        raise RuntimeError(f"stride should be greater than zero, but got dH: {s[0]} dW: {s[1]}")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {d[0]} "
                           f"dilationW: {d[1]}")
    if any(v < 0 for v in p):
        raise RuntimeError(f"padding should be non-negative, but got padH: {p[0]} padW: {p[1]}")
    return k, d, p, s


def _blocks(size: tuple, k: tuple, d: tuple, p: tuple, s: tuple) -> tuple:
    return tuple((n + 2 * pi - (di * (ki - 1) + 1)) // si + 1
                 for n, ki, di, pi, si in zip(size, k, d, p, s))


def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
           stride: Any = 1) -> Tensor:
    """Sliding local blocks of a (N, C, H, W) or (C, H, W) input as columns:
    ``(N, C * kh * kw, L)`` with ``L`` the number of blocks (im2col)."""
    if input.ndim not in (3, 4):
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with possibly 0 batch size "
                           f"and other non-zero dimensions for input, but got: "
                           f"{list(input.shape)}")
    if input.ndim == 3:
        return unfold(input.unsqueeze(0), kernel_size, dilation, padding, stride).squeeze(0)
    k, d, p, s = _fold_args(kernel_size, dilation, padding, stride)
    n, c, h, w = input.shape
    oh, ow = _blocks((h, w), k, d, p, s)
    if oh < 1 or ow < 1:
        raise RuntimeError(f"Given input with spatial size ({h}, {w}), kernel_size=({k[0]}, "
                           f"{k[1]}), dilation=({d[0]}, {d[1]}), padding=({p[0]}, {p[1]}), "
                           f"calculated shape of the array of sliding blocks as ({oh}, {ow}), "
                           f"but its components must be at least one.")
    x = pad_constant(input, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])), 0.0) \
        if any(p) else input
    win = sliding_window(x, k, s, d)[:, :, :oh, :ow]  # (N, C, oh, ow, kh, kw)
    return win.permute(0, 1, 4, 5, 2, 3).reshape(n, c * k[0] * k[1], oh * ow)


def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1,
         padding: Any = 0, stride: Any = 1) -> Tensor:
    """Sum columns ``(N, C * kh * kw, L)`` (or unbatched ``(C * kh * kw, L)``) back into a
    ``(N, C, *output_size)`` image (col2im, the adjoint of :func:`unfold`)."""
    if input.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2D or 3D (batch mode) tensor for input with possibly 0 "
                           f"batch size and non-zero dimensions for input, but got: "
                           f"{list(input.shape)}")
    if input.ndim == 2:
        return fold(input.unsqueeze(0), output_size, kernel_size, dilation, padding,
                    stride).squeeze(0)
    k, d, p, s = _fold_args(kernel_size, dilation, padding, stride)
    size = _pair(output_size)
    if any(v <= 0 for v in size):
        raise RuntimeError(f"output should be greater than zero, but got output_height: "
                           f"{size[0]} output_width: {size[1]}")
    n, ck, length = input.shape
    kk = k[0] * k[1]
    if ck % kk:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the "
                           f"product of kernel_size, but got input.size(1)={ck} and "
                           f"kernel_size=({k[0]}, {k[1]}).")
    oh, ow = _blocks(size, k, d, p, s)
    if oh < 1 or ow < 1:
        raise RuntimeError(f"Given output_size=({size[0]}, {size[1]}), kernel_size=({k[0]}, "
                           f"{k[1]}), dilation=({d[0]}, {d[1]}), padding=({p[0]}, {p[1]}), "
                           f"stride=({s[0]}, {s[1]}), calculated shape of the array of sliding "
                           f"blocks as ({oh}, {ow}), but its components must be at least one.")
    if oh * ow != length:
        raise RuntimeError(f"Given output_size=({size[0]}, {size[1]}), kernel_size=({k[0]}, "
                           f"{k[1]}), dilation=({d[0]}, {d[1]}), padding=({p[0]}, {p[1]}), "
                           f"stride=({s[0]}, {s[1]}), expected size of input's dimension 2 to "
                           f"match the calculated number of sliding blocks {oh} * {ow} = "
                           f"{oh * ow}, but got input.size(2)={length}.")
    c = ck // kk
    onehot = eye(kk, dtype=input.dtype, device=input.backend).reshape(kk, 1, k[0], k[1])
    weight = onehot.repeat(c, 1, 1, 1)  # (C * kk, 1, kh, kw): channel c*kk + j -> block pos j
    cols = input.reshape(n, ck, oh, ow)
    img = conv_transpose2d(cols, weight, None, s, 0, 0, c, d)
    full = (size[0] + 2 * p[0], size[1] + 2 * p[1])
    extra = [f - g for f, g in zip(full, img.shape[2:])]
    if any(extra):
        img = pad_constant(img, ((0, 0), (0, 0), (0, extra[0]), (0, extra[1])), 0.0)
    return img[:, :, p[0]:p[0] + size[0], p[1]:p[1] + size[1]]


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """``(*, C * r^2, H, W) -> (*, C, H * r, W * r)``."""
    r = int(upscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    nl = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    perm = tuple(range(nl)) + (nl, nl + 3, nl + 1, nl + 4, nl + 2)
    return x.permute(*perm).reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """``(*, C, H * r, W * r) -> (*, C * r^2, H, W)`` (the inverse of :func:`pixel_shuffle`)."""
    r = int(downscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but "
                           f"got input with {input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if h % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by "
                           f"downscale_factor, but input.size(-2)={h} is not divisible by {r}")
    if w % r:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by "
                           f"downscale_factor, but input.size(-1)={w} is not divisible by {r}")
    nl = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    perm = tuple(range(nl)) + (nl, nl + 2, nl + 4, nl + 1, nl + 3)
    return x.permute(*perm).reshape(*lead, c * r * r, h // r, w // r)
