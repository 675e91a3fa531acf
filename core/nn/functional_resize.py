"""Padding (constant, reflect, replicate, circular) and ``interpolate`` of
:mod:`xgrad.nn.functional`."""
from __future__ import annotations

import math
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
