"""Loss functions of :mod:`xgrad.nn.functional`."""
from __future__ import annotations

from typing import Any

from ..ops import fused as fused_ops
from ..ops.fused import log_softmax
from ..shapes import need_type, scalar_type_name, wrap_dim
from ..tensor import Tensor
from .functional_common import _channel_shape, _legacy_reduction, _reduce, _where

__all__ = [
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "nll_loss", "cross_entropy",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
]


# ---- losses --------------------------------------------------------------------------------
def _check_smoothing(label_smoothing: float) -> None:
    """PyTorch's RuntimeError for a label smoothing outside [0, 1] (after the shape checks)."""
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")


def _check_reduction(reduction: str) -> None:
    """PyTorch's ValueError for an unknown reduction, raised before any other check."""
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")


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
    need_type("smooth_l1_loss", "target", target, Tensor, 2)
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
    need_type("huber_loss", "target", target, Tensor, 2)
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
    """PyTorch's checks of class-index targets, in its order: the batch sizes (ValueError),
    the target dtype (int64 or uint8), then the remaining dims (RuntimeError)."""
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    n_target = target.shape[0] if target.ndim else 0  # PyTorch reads size 0 of a 0-d target
    if input.ndim > 1 and input.shape[0] != n_target:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({n_target}).")
    if target.dtype.name not in ("int64", "uint8"):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{scalar_type_name(target.dtype.name)}")
    if input.ndim == 1 and target.ndim == 1 and target.shape[0] != 1:
        raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: "
                         f"{target.shape[0]}")
    if input.ndim <= 2:
        if target.ndim > 1:
            raise RuntimeError(f"0D or 1D target tensor expected, multi-target not supported "
                               f"(got target of shape {list(target.shape)})")
        if input.ndim == 2 and target.ndim == 0:
            raise RuntimeError(f"size mismatch (got input: {list(input.shape)} , target: [])")
    elif tuple(target.shape) != (input.shape[0],) + tuple(input.shape[2:]):
        raise RuntimeError(f"Expected target size {[input.shape[0]] + list(input.shape[2:])}, "
                           f"got {list(target.shape)}")


def _nll_core(lsm: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int,
              reduction: str, out_shape: tuple, unchecked: bool = False) -> tuple:
    """Per-element weighted NLL of (M, C) log-probabilities, and the mean's denominator.

    ``unchecked``: the targets' range check is deferred (asynchronous backend), so they are
    clamped into range for the kernels; a bad target then raises at the next host read."""
    t = target.reshape(-1)
    valid = t != ignore_index
    safe = t.masked_fill(valid.logical_not(), 0)
    if unchecked:
        safe = safe.clamp(0, lsm.shape[1] - 1)
    picked = -lsm.gather(1, safe.reshape(-1, 1)).reshape(-1)
    w = weight[safe] if weight is not None else None
    vmask = valid.to(lsm.dtype)
    wt = vmask if w is None else _where(valid, w, 0.0)
    # where, not a product with the mask: an ignored row may hold inf/NaN (inf * 0 is NaN)
    loss = _where(valid, picked if w is None else picked * w, 0.0)
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
    checked = fused_ops.check_targets(target, c, ignore_index) is not None
    return _nll_core(_class_last(input), target, weight, ignore_index, reduction,
                     tuple(target.shape), unchecked=not checked)[0]


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
    if tuple(input.shape) == tuple(target.shape):  # class probabilities, as PyTorch decides
        if not target.dtype.is_floating_point:
            raise RuntimeError(f"Expected floating point type for target with class "
                               f"probabilities, got {scalar_type_name(target.dtype.name)}")
        if input.ndim == 0:
            wrap_dim(1, 0)  # PyTorch's IndexError: a 0-d input has no class dim
        c = input.shape[1] if input.ndim > 1 else input.shape[0]
        _check_weight(weight, c)
        _check_smoothing(label_smoothing)
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing, c)
    if input.ndim == 0:
        wrap_dim(1, 0)
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"log_softmax_lastdim_kernel_impl\" not implemented for "
                                  f"'{scalar_type_name(input.dtype.name)}'")
    _check_nll_shapes(input, target)
    c = input.shape[1] if input.ndim > 1 else input.shape[0]
    _check_weight(weight, c)
    _check_smoothing(label_smoothing)
    has_ignored = fused_ops.check_targets(target, c, ignore_index)
    logits = _class_last(input)
    t = target.reshape(-1)
    if weight is None and label_smoothing == 0.0 and logits.ndim == 2:
        if has_ignored is False:
            rows = fused_ops.cross_entropy_rows(logits, t)
            return rows.reshape(target.shape) if reduction == "none" else _reduce(rows, reduction)
        if has_ignored is None:  # not known without a host read: mask the ignored rows
            keep = t != ignore_index
            safe = t.masked_fill(keep.logical_not(), 0).clamp(0, c - 1)
            rows = _where(keep, fused_ops.cross_entropy_rows(logits, safe), 0.0)
            if reduction == "none":
                return rows.reshape(target.shape)
            return rows.sum() if reduction == "sum" else rows.sum() / keep.to(rows.dtype).sum()
    lsm = log_softmax(logits, 1)
    nll, wt = _nll_core(lsm, target, weight, ignore_index, reduction, tuple(target.shape),
                        unchecked=has_ignored is None)
    if label_smoothing == 0.0:
        return nll
    keep = t != ignore_index
    valid = keep.to(lsm.dtype)
    smooth = -(lsm * weight).sum(1) if weight is not None else -lsm.sum(1)
    smooth = _where(keep, smooth, 0.0)
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
    n = (input.numel() // c if c else 0) if input.ndim > 1 else 1
    return loss.sum() / n  # 0 classes: 0 / 0, NaN as PyTorch


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average: Any = None, reduce: Any = None,
                         reduction: str = "mean") -> Tensor:
    """``-(t log x + (1 - t) log(1 - x))`` with logs clamped at -100, as PyTorch."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _check_same_size(input, target, "binary_cross_entropy")
    if target.dtype is not input.dtype:
        raise RuntimeError(f"Found dtype {target.dtype.name} but expected {input.dtype.name} "
                           "(binary_cross_entropy: target must have the input's dtype)")
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
    _check_reduction(reduction)
    _check_same_size(input, target, "binary_cross_entropy_with_logits")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"log_sigmoid_cpu\" not implemented for "
                                  f"'{scalar_type_name(input.dtype.name)}'")
    if not target.dtype.is_floating_point:
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{scalar_type_name(target.dtype.name)}")
    softplus_neg = (-input).relu() + (-input.abs()).exp().log1p()  # log(1 + exp(-x))
    if pos_weight is not None:
        lw = 1 + (pos_weight - 1) * target
        loss = (1 - target) * input + lw * softplus_neg
    else:
        loss = (1 - target) * input + softplus_neg
    if weight is not None:
        loss = loss * weight
    if loss.dtype is not target.dtype:  # PyTorch returns the target's float dtype here
        loss = loss.to(target.dtype)
    return _reduce(loss, reduction)


def kl_div(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """Pointwise KL divergence ``target * (log target - input)`` (input is log-probabilities);
    ``reduction='batchmean'`` divides the sum by the batch size."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction != "batchmean":
        _check_reduction(reduction)
    if not input.dtype.is_floating_point or not target.dtype.is_floating_point:
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        pos = target > 0
        # xlogy(t, t): 0 at t == 0, NaN for a negative target (log of it), as PyTorch
        safe = _where(pos, target, _where(target < 0, float("nan"), 1.0).to(target.dtype))
        loss = target * safe.log() - target * input
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction)
