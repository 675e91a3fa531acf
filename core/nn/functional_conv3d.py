"""3-d convolution and pooling, and adaptive max pooling, of :mod:`xgrad.nn.functional`.

``conv3d`` is a sum over the kernel's depth taps of 2-d convolutions (each depth slice of
the output is a batch entry of :func:`conv2d`), so it uses the backend's fused 2-d kernel and
its gradients. Max pooling finds each window's first maximum (row-major, as PyTorch) and
gathers the input there, so the gradient goes to that element only; average pooling sums
windows and divides by PyTorch's per-window count.
"""
from __future__ import annotations

from typing import Any

from ..creation import arange, ones, tensor
from ..dtypes import int64
from ..ops import pooling as pool_ops
from ..ops.shape import pad_constant, sliding_window
from ..tensor import Tensor
from .functional_common import _pair
from .functional_conv import _conv_check, conv2d, conv_transpose2d

__all__ = ["conv3d", "conv_transpose3d", "max_pool3d", "avg_pool3d", "adaptive_max_pool1d",
           "adaptive_max_pool2d", "adaptive_avg_pool1d"]


def _triple(v: Any) -> tuple:
    return _pair(v, 3)


# ---- convolution -------------------------------------------------------------------------
def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """3-d cross-correlation over (N, C, D, H, W) or (C, D, H, W) input;
    ``padding`` may be an int, a triple, ``'same'`` or ``'valid'``."""
    if input.ndim == 4:
        return conv3d(input.unsqueeze(0), weight, bias, stride, padding, dilation,
                      groups).squeeze(0)
    _conv_check(input, weight, groups, 3, False)
    stride, dilation = _triple(stride), _triple(dilation)
    ks = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0, 0, 0)
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            total = [d * (k - 1) for d, k in zip(dilation, ks)]
            input = pad_constant(input, ((0, 0), (0, 0)) + tuple(
                (t // 2, t - t // 2) for t in total), 0.0)
            padding = (0, 0, 0)
        else:
            raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                             f"{{'valid', 'same'}}")
    padding = _triple(padding)
    (sd, sh, sw), (pd, ph, pw), (dd, dh, dw) = stride, padding, dilation
    x = pad_constant(input, ((0, 0), (0, 0), (pd, pd), (0, 0), (0, 0)), 0.0) if pd else input
    n, c, depth, h, w = x.shape
    span = dd * (ks[0] - 1) + 1
    if depth < span:
        raise RuntimeError(f"Calculated padded input size per channel: ({depth} x "
                           f"{h + 2 * ph} x {w + 2 * pw}). Kernel size: ({span} x "
                           f"{dh * (ks[1] - 1) + 1} x {dw * (ks[2] - 1) + 1}). Kernel size "
                           f"can't be greater than actual input size")
    od = (depth - span) // sd + 1
    out = None
    for i in range(ks[0]):
        start = i * dd
        xi = x[:, :, start:start + (od - 1) * sd + 1:sd]  # (N, C, od, H, W)
        xi = xi.permute(0, 2, 1, 3, 4).reshape(n * od, c, h, w)
        yi = conv2d(xi, weight[:, :, i], None, (sh, sw), (ph, pw), (dh, dw), groups)
        out = yi if out is None else out + yi
    o, oh, ow = out.shape[1:]
    out = out.reshape(n, od, o, oh, ow).permute(0, 2, 1, 3, 4)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1, 1)
    return out


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, dilation: Any = 1) -> Tensor:
    """Transposed 3-d convolution; ``weight`` has shape (in, out / groups, kd, kh, kw).

    Each depth tap is a 2-d transposed convolution of every input depth slice, placed at
    depth ``t * stride + tap * dilation`` of the full output and summed."""
    if input.ndim == 4:
        return conv_transpose3d(input.unsqueeze(0), weight, bias, stride, padding,
                                output_padding, groups, dilation).squeeze(0)
    _conv_check(input, weight, groups, 3, True)
    stride, padding, dilation = _triple(stride), _triple(padding), _triple(dilation)
    output_padding = _triple(output_padding)
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= s and op >= d:
            raise RuntimeError("output padding must be smaller than either stride or dilation, "
                               f"but got output_padding={list(output_padding)}, "
                               f"stride={list(stride)}, dilation={list(dilation)}")
    (sd, sh, sw), (pd, ph, pw), (dd, dh, dw) = stride, padding, dilation
    n, c, di, h, w = input.shape
    kd = weight.shape[2]
    full = (di - 1) * sd + dd * (kd - 1) + 1 + output_padding[0]
    xs = input.permute(0, 2, 1, 3, 4).reshape(n * di, c, h, w)
    out = None
    for i in range(kd):
        yi = conv_transpose2d(xs, weight[:, :, i], None, (sh, sw), (ph, pw),
                              output_padding[1:], groups, (dh, dw))
        o, oh, ow = yi.shape[1:]
        yi = yi.reshape(n, di, o, oh, ow)
        if sd > 1:  # interleave sd - 1 zero slices after each input depth
            yi = pad_constant(yi.unsqueeze(2), ((0, 0), (0, 0), (0, sd - 1), (0, 0), (0, 0),
                                                (0, 0)), 0.0).reshape(n, di * sd, o, oh, ow)
            yi = yi[:, :(di - 1) * sd + 1]
        before = i * dd
        after = full - before - yi.shape[1]
        yi = pad_constant(yi, ((0, 0), (before, after), (0, 0), (0, 0), (0, 0)), 0.0)
        out = yi if out is None else out + yi
    out = out[:, pd:full - pd].permute(0, 2, 1, 3, 4)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1, 1)
    return out


# ---- pooling -----------------------------------------------------------------------------
def _pool_args(name: str, input: Tensor, nd: int, kernel_size: Any, stride: Any,
               padding: Any, dilation: Any) -> tuple:
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}: Expected {nd + 1}D or {nd + 2}D (batch mode) tensor for "
                           f"input, but got input of size {list(input.shape)}")
    k = _pair(kernel_size, nd)
    s = k if stride is None or (isinstance(stride, (list, tuple)) and not stride) \
        else _pair(stride, nd)
    p, d = _pair(padding, nd), _pair(dilation, nd)
    for ki, pi, dl in zip(k, p, d):
        if pi > (dl * (ki - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={pi}, kernel_size={ki} and dilation={dl}")
    return k, s, p, d


def _windows(x: Tensor, k: tuple, s: tuple, p: tuple, d: tuple, ceil_mode: bool,
             value: float) -> tuple:
    """Windows ``(..., *out, *k)`` of ``x`` padded with ``value``; ``(out sizes, right pads)``."""
    nd = len(k)
    geo = [pool_ops.pool_geometry(n, *a, ceil_mode) for n, a in zip(x.shape[-nd:],
                                                                    zip(k, s, p, d))]
    widths = ((0, 0),) * (x.ndim - nd) + tuple((pi, r) for pi, (_, r) in zip(p, geo))
    xp = pad_constant(x, widths, value) if any(wd != (0, 0) for wd in widths) else x
    win = sliding_window(xp, k, s, d)
    outs = tuple(g[0] for g in geo)
    crop = (slice(None),) * (x.ndim - nd) + tuple(slice(0, o) for o in outs)
    return win[crop], outs


def _first_max_flat_index(x: Tensor, k: tuple, s: tuple, p: tuple, d: tuple,
                          ceil_mode: bool) -> Tensor:
    """int64 index into the flattened spatial dims of each window's first maximum."""
    nd = len(k)
    win, outs = _windows(x.detach(), k, s, p, d, ceil_mode, float("-inf"))
    kn = 1
    for v in k:
        kn *= v
    arg = win.reshape(*win.shape[:-nd], kn).argmax(-1)
    sizes = x.shape[-nd:]
    flat = None
    rem = arg
    for i in range(nd):
        inner = 1
        for v in k[i + 1:]:
            inner *= v
        ki = rem // inner
        rem = rem % inner
        shape = [1] * nd
        shape[i] = outs[i]
        pos = arange(outs[i], dtype=int64, device=x.backend).reshape(shape) * s[i] - p[i]
        coord = pos + ki * d[i]
        flat = coord if flat is None else flat * sizes[i] + coord
    return flat


def _gather_flat(x: Tensor, idx: Tensor, nd: int) -> Tensor:
    lead = x.shape[:-nd]
    vals = x.reshape(*lead, -1).gather(-1, idx.reshape(*lead, -1))
    return vals.reshape(idx.shape)


def max_pool3d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """3-d max pooling over (N, C, D, H, W) or (C, D, H, W) input (stride defaults to
    kernel_size); ``return_indices`` gives flat indices into ``D * H * W``."""
    k, s, p, d = _pool_args("max_pool3d", input, 3, kernel_size, stride, padding, dilation)
    idx = _first_max_flat_index(input, k, s, p, d, ceil_mode)
    out = _gather_flat(input, idx, 3)
    return (out, idx) if return_indices else out


def avg_pool3d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """3-d average pooling (stride defaults to kernel_size)."""
    k, s, p, d = _pool_args("avg_pool3d", input, 3, kernel_size, stride, padding, 1)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    win, outs = _windows(input, k, s, p, d, ceil_mode, 0.0)
    total = win.sum((-3, -2, -1))
    if divisor_override:
        return total / divisor_override
    sizes = input.shape[-3:]
    geo = [pool_ops.pool_geometry(n, ki, si, pi, 1, ceil_mode)
           for n, ki, si, pi in zip(sizes, k, s, p)]
    if count_include_pad:  # padded positions count, the ceil_mode overhang does not
        mask = ones(tuple(n + 2 * pi for n, pi in zip(sizes, p)), dtype=input.dtype,
                    device=input.backend)
        mask = pad_constant(mask, tuple((0, r - pi) for pi, (_, r) in zip(p, geo)), 0.0)
    else:
        mask = ones(tuple(sizes), dtype=input.dtype, device=input.backend)
        mask = pad_constant(mask, tuple((pi, r) for pi, (_, r) in zip(p, geo)), 0.0)
    mwin = sliding_window(mask, k, s, d)[tuple(slice(0, o) for o in outs)]
    return total / mwin.sum((-3, -2, -1))


# ---- adaptive pooling --------------------------------------------------------------------
def _adaptive_size(name: str, output_size: Any, sizes: tuple) -> tuple:
    nd = len(sizes)
    osz = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * nd
    if len(osz) != nd:
        raise ValueError(f"{name}: output_size must be {nd} values, got {list(osz)}")
    return tuple(n if o is None else int(o) for o, n in zip(osz, sizes))


def _bin_table(n_in: int, n_out: int) -> tuple[list, int]:
    """Per output bin, the input indices of PyTorch's adaptive bin (padded by repeating the
    bin's last index up to the widest bin), and that width."""
    bins = []
    for i in range(n_out):
        start = (i * n_in) // n_out
        end = -((-(i + 1) * n_in) // n_out)
        bins.append(list(range(start, end)))
    width = max(len(b) for b in bins)
    return [b + [b[-1]] * (width - len(b)) for b in bins], width


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max pooling to a fixed ``output_size`` over PyTorch's adaptive bins
    (``floor(i*H/oh)`` to ``ceil((i+1)*H/oh)``); ``return_indices`` gives flat ``H * W``
    indices of each bin's first maximum."""
    if input.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: "
                           f"{list(input.shape)}")
    for i in range(1, input.ndim):
        if input.shape[i] == 0:
            raise RuntimeError(f"adaptive_max_pool2d(): Expected input to have non-zero size "
                               f"for non-batch dimensions, but input has sizes "
                               f"{list(input.shape)} with dimension {i} being empty")
    h, w = input.shape[-2:]
    oh, ow = _adaptive_size("adaptive_max_pool2d", output_size, (h, w))
    rows, kh = _bin_table(h, oh)
    cols, kw = _bin_table(w, ow)
    be = input.backend
    ri = tensor(rows, dtype=int64, device=be)  # (oh, kh)
    ci = tensor(cols, dtype=int64, device=be)  # (ow, kw)
    x = input.detach()
    lead = x.shape[:-2]
    win = x.index_select(-2, ri.reshape(-1)).index_select(-1, ci.reshape(-1))
    nl = len(lead)
    win = win.reshape(*lead, oh, kh, ow, kw).permute(
        *range(nl), nl, nl + 2, nl + 1, nl + 3)  # (..., oh, ow, kh, kw)
    arg = win.reshape(*lead, oh, ow, kh * kw).argmax(-1)
    r = ri.reshape(oh, 1, kh).expand(oh, ow, kh)
    c = ci.reshape(1, ow, kw).expand(oh, ow, kw)
    flat = r.unsqueeze(-1) * w + c.unsqueeze(-2)  # (oh, ow, kh, kw)
    flat = flat.reshape(oh, ow, kh * kw).expand(*lead, oh, ow, kh * kw)
    idx = flat.gather(-1, arg.unsqueeze(-1)).squeeze(-1)
    out = _gather_flat(input, idx, 2)
    return (out, idx) if return_indices else out


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """1-d adaptive max pooling over (N, C, L) or (C, L) input."""
    if input.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor "
                           f"for argument #1 'self' (while checking arguments for adaptive_max_pool1d)")
    osz = output_size[0] if isinstance(output_size, (tuple, list)) else output_size
    res = adaptive_max_pool2d(input.unsqueeze(-2), (1, osz), True)
    out, idx = res[0].squeeze(-2), res[1].squeeze(-2)
    return (out, idx) if return_indices else out


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    """1-d adaptive average pooling over (N, C, L) or (C, L) input (PyTorch's bins)."""
    if input.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor "
                           f"for argument #1 'self' (while checking arguments for adaptive_avg_pool1d)")
    osz = output_size[0] if isinstance(output_size, (tuple, list)) else output_size
    n = input.shape[-1]
    bins, width = _bin_table(n, int(osz))
    rows = [[(1.0 / len(set(b))) if j in b else 0.0 for j in range(n)] for b in bins]
    mat = tensor(rows, dtype=input.dtype, device=input.backend)  # (osz, L)
    return input.matmul(mat.mT)

