"""Padding (constant, reflect, replicate, circular) and ``interpolate`` of
:mod:`xgrad.nn.functional`."""
from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from typing import Any

from ..creation import tensor
from ..dtypes import int64
from ..ops.indexing import index_select
from ..ops.shape import pad_constant
from ..tensor import Tensor

__all__ = [
    "pad", "interpolate",
]


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
    if not isinstance(pad, (tuple, list)):
        raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, not "
                        f"{type(pad).__name__}")
    for i, w in enumerate(pad):
        if w.__class__ is not int:
            raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, but found "
                            f"element of type {type(w).__name__} at pos {i}")
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input "
                         f"dimension but got padding length {len(pad)} and input of dimension "
                         f"{input.ndim}")
    nd = input.ndim
    widths = [(0, 0)] * nd
    for i in range(len(pad) // 2):
        widths[nd - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    if mode == "constant":
        for i, (b, a) in enumerate(widths):
            if input.shape[i] + b + a < 0:
                raise RuntimeError(f"narrow(): length must be non-negative. (pad {pad} of an "
                                   f"input of shape {list(input.shape)})")
        crop = tuple(slice(max(-b, 0), input.shape[i] - max(-a, 0))
                     for i, (b, a) in enumerate(widths))
        x = input[crop] if any(b < 0 or a < 0 for b, a in widths) else input
        pos = tuple((max(b, 0), max(a, 0)) for b, a in widths)
        if all(w == (0, 0) for w in pos):
            return x
        return pad_constant(x, pos, 0.0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    n_pad = len(pad) // 2
    if n_pad not in (1, 2, 3) or nd not in (n_pad + 1, n_pad + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {nd}D input tensor. Supported "
            f"combinations for non-constant padding: 2D or 3D input with padding size 2, 3D or "
            f"4D input with padding size 4, 4D or 5D input with padding size 6 ({mode} mode)")
    out = input
    for dim, (b, a) in enumerate(widths):
        if b == 0 and a == 0:
            continue
        n = out.shape[dim]
        if n + b + a < 1 and mode != "circular":
            raise RuntimeError(f"input (W: {n}) is too small. Calculated output W: {n + b + a} "
                               f"({mode} padding ({b}, {a}) of dim {dim})")
        if mode == "reflect" and (b >= n or a >= n):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding "
                               f"input dimension, but got: padding ({b}, {a}) at dimension "
                               f"{dim} of input {list(input.shape)}")
        idx = tensor(_edge_index(n, b, a, mode), dtype=int64, device=input.backend)
        out = index_select(out, dim, idx)
    return out


_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
_INTERP = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
_CUBIC_A = -0.75


def _f32(v: float) -> float:
    return struct.unpack("f", struct.pack("f", v))[0]


def _source(n_in: int, n_out: int, j: int, scale: float | None, align_corners: bool,
            cubic: bool) -> float:
    """PyTorch's source coordinate of output index ``j`` (``area_pixel_compute_source_index``)."""
    if align_corners:
        return j * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    ratio = 1.0 / scale if scale is not None and scale > 0 else n_in / n_out
    src = ratio * (j + 0.5) - 0.5
    return src if cubic or src >= 0 else 0.0


def _cubic_weights(t: float) -> list:
    a = _CUBIC_A

    def near(x: float) -> float:  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x: float) -> float:  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _taps(n_in: int, n_out: int, scale: float | None, mode: str, align_corners: bool) -> tuple:
    """Per tap, the input index and the weight of every output position along one dim."""
    if mode == "area":  # PyTorch's adaptive-average bins, padded with zero-weight taps
        bins = [(j * n_in // n_out, -((-(j + 1) * n_in) // n_out)) for j in range(n_out)]
        width = max(e - b for b, e in bins)
        idx = [[min(b + t, e - 1) for b, e in bins] for t in range(width)]
        wts = [[1.0 / (e - b) if b + t < e else 0.0 for b, e in bins] for t in range(width)]
        return idx, wts
    if mode == "bicubic":
        idx, wts = [[], [], [], []], [[], [], [], []]
        for j in range(n_out):
            src = _source(n_in, n_out, j, scale, align_corners, True)
            base = math.floor(src)
            for t, w in enumerate(_cubic_weights(src - base)):
                idx[t].append(min(max(base - 1 + t, 0), n_in - 1))
                wts[t].append(w)
        return idx, wts
    lo, hi, lam = [], [], []
    for j in range(n_out):
        src = _source(n_in, n_out, j, scale, align_corners, False)
        i0 = min(int(src), n_in - 1)
        lo.append(i0)
        hi.append(i0 + 1 if i0 < n_in - 1 else i0)
        lam.append(src - i0)
    return [lo, hi], [[1.0 - v for v in lam], lam]


def _resize_dim(x: Tensor, dim: int, idx: list, wts: list) -> Tensor:
    be = x.backend
    shape = [1] * x.ndim
    shape[dim] = len(idx[0])
    out = None
    for ti, tw in zip(idx, wts):
        term = index_select(x, dim, tensor(ti, dtype=int64, device=be))
        term = term * tensor(tw, dtype=x.dtype, device=be).reshape(shape)
        out = term if out is None else out + term
    return out


def _output_size(input: Tensor, size: Any, scale_factor: Any, mode: str,
                 recompute_scale_factor: bool | None) -> tuple:
    nsp = input.ndim - 2
    sp = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != nsp:
                raise ValueError(f"Input and output must have the same number of spatial "
                                 f"dimensions, but got input with spatial dimensions of {sp} "
                                 f"and output size of {size}. Please provide input tensor in "
                                 f"(N, C, d1, d2, ...,dK) format and output size in (o1, o2, "
                                 f"...,oK) format.")
            out = tuple(int(v) for v in size)
        else:
            out = (int(size),) * nsp
        if recompute_scale_factor is not None and recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        return out, [None] * nsp
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if isinstance(scale_factor, (list, tuple)):
        if len(scale_factor) != nsp:
            raise ValueError(f"Input and scale_factor must have the same number of spatial "
                             f"dimensions, but got input with spatial dimensions of {sp} and "
                             f"scale_factor of shape {scale_factor}. Please provide input "
                             f"tensor in (N, C, d1, d2, ...,dK) format and scale_factor in "
                             f"(s1, s2, ...,sK) format.")
        sf = [float(v) for v in scale_factor]
    else:
        sf = [float(scale_factor)] * nsp
    out = tuple(int(math.floor(float(n) * f)) for n, f in zip(sp, sf))
    if mode == "area" or recompute_scale_factor:
        return out, [None] * nsp
    return out, sf


def interpolate(input: Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize the spatial dims of a (N, C, *spatial) input, as ``torch.nn.functional``.

    Modes: ``'nearest'``, ``'nearest-exact'`` and ``'area'`` (1-3 spatial dims), ``'linear'``
    (3-d input), ``'bilinear'``/``'bicubic'`` (4-d), ``'trilinear'`` (5-d). Each spatial dim
    is resized in turn as a weighted sum of gathered input rows, so gradients flow to the
    input. ``scale_factor`` (not ``size``) sets the sampling ratio unless
    ``recompute_scale_factor``; ``antialias`` is not supported.
    """
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    nsp = input.ndim - 2
    out_sp, scales = _output_size(input, size, scale_factor, mode, recompute_scale_factor)
    if not 1 <= nsp <= 3 or (mode not in _INTERP and mode not in ("nearest", "area",
                                                                   "nearest-exact")):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got "
                                  f"{input.ndim}D) for the modes: {_MODES} (got {mode})")
    if antialias:
        if not (mode in ("bilinear", "bicubic") and input.ndim == 4):
            raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos "
                             "modes and requires a 4-D tensor as input")
        raise NotImplementedError("interpolate: antialias=True is not supported")
    if mode in _INTERP and _INTERP[mode] != nsp:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs "
                                  f"{_INTERP[mode] + 2}D input")
    in_sp = tuple(input.shape[2:])
    if any(n <= 0 for n in in_sp) or any(n <= 0 for n in out_sp):
        names = ("D", "H", "W")[3 - nsp:]
        fin = ", ".join(f"{a}: {n}" for a, n in zip(names, in_sp))
        fout = ", ".join(f"{a}: {n}" for a, n in zip(names, out_sp))
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"({fin}) output ({fout})")
    out = input
    for i, (n_in, n_out) in enumerate(zip(in_sp, out_sp)):
        if mode in ("nearest", "nearest-exact"):
            sc = scales[i]  # PyTorch computes the nearest source index in float32
            ratio = _f32(1.0 / sc) if sc is not None and sc > 0 else _f32(n_in / n_out)
            off = 0.5 if mode == "nearest-exact" else 0.0
            src = [min(int(math.floor(_f32((j + off) * ratio))), n_in - 1)
                   for j in range(n_out)]
            out = index_select(out, 2 + i, tensor(src, dtype=int64, device=input.backend))
            continue
        if mode == "area" and n_in == n_out:
            continue
        idx, wts = _taps(n_in, n_out, scales[i], "area" if mode == "area" else
                         ("bicubic" if mode == "bicubic" else "linear"), bool(align_corners))
        out = _resize_dim(out, 2 + i, idx, wts)
    return out
