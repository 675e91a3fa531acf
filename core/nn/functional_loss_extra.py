"""More losses of :mod:`xgrad.nn.functional`, as decompositions into Tensor ops:
margin_ranking_loss, hinge_embedding_loss, soft_margin_loss, multilabel_soft_margin_loss,
cosine_embedding_loss, triplet_margin_loss, poisson_nll_loss, gaussian_nll_loss."""
from __future__ import annotations

import math
from typing import Any

from ..autograd.grad_mode import no_grad
from ..creation import arange
from ..dtypes import int64
from ..shapes import scalar_type_name
from ..tensor import Tensor
from .functional_activation_extra import logsigmoid, pairwise_distance
from .functional_common import _legacy_reduction, _reduce, _where
from .functional_loss import _check_reduction

__all__ = ["margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss",
           "multilabel_soft_margin_loss", "cosine_embedding_loss", "triplet_margin_loss",
           "poisson_nll_loss", "gaussian_nll_loss", "multi_margin_loss", "multilabel_margin_loss"]


def _reduction(size_average: Any, reduce: Any, reduction: str) -> str:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    return reduction


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        size_average: Any = None, reduce: Any = None,
                        reduction: str = "mean") -> Tensor:
    """``max(0, -target * (input1 - input2) + margin)`` (``target`` of 1 or -1)."""
    reduction = _reduction(size_average, reduce, reduction)
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(
            f"margin_ranking_loss : All input tensors should have same dimension but got "
            f"sizes: input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} ")
    return _reduce((-target * (input1 - input2) + margin).clamp_min(0.0), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         size_average: Any = None, reduce: Any = None,
                         reduction: str = "mean") -> Tensor:
    """``input`` where ``target`` is 1, ``max(0, margin - input)`` where it is -1."""
    reduction = _reduction(size_average, reduce, reduction)
    margin_part = _where(target != 1, (margin - input).clamp_min(0.0), 0.0)
    self_part = _where(target != -1, input, 0.0)
    return _reduce(margin_part + self_part, reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average: Any = None,
                     reduce: Any = None, reduction: str = "mean") -> Tensor:
    """``log(1 + exp(-target * input))`` (two-class logistic loss, ``target`` of 1 or -1)."""
    reduction = _reduction(size_average, reduce, reduction)
    return _reduce(-logsigmoid(input * target), reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average: Any = None, reduce: Any = None,
                                reduction: str = "mean") -> Tensor:
    """Per-class binary logistic loss of ``input`` (N, C) against 0/1 ``target``, averaged
    over the classes."""
    reduction = _reduction(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1.0 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.ndim - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    return _reduce(loss, reduction)


_EPS = 1e-12


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          size_average: Any = None, reduce: Any = None,
                          reduction: str = "mean") -> Tensor:
    """``1 - cos(input1, input2)`` where ``target`` is 1, ``max(0, cos - margin)`` where it
    is -1 (the cosine over the last dim)."""
    reduction = _reduction(size_average, reduce, reduction)
    if input1.ndim != input2.ndim or input1.ndim not in (1, 2):
        raise RuntimeError(f"{input1.ndim}D target tensor expects {input1.ndim - 1}D input "
                           f"tensors, but found inputs with sizes {list(input1.shape)} and "
                           f"{list(input2.shape)}.")
    d = input1.ndim - 1
    prod = (input1 * input2).sum(d)
    m1 = (input1 * input1).sum(d) + _EPS
    m2 = (input2 * input2).sum(d) + _EPS
    cos = prod / (m1 * m2).sqrt()
    pos = _where(target == 1, 1.0 - cos, 0.0)
    neg = _where(target == -1, (cos - margin).clamp_min(0.0), 0.0)
    return _reduce(pos + neg, reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False,
                        size_average: Any = None, reduce: Any = None,
                        reduction: str = "mean") -> Tensor:
    """``max(0, margin + d(anchor, positive) - d(anchor, negative))`` with the ``p``-norm
    distance; ``swap`` uses the smaller of ``d(anchor, negative)`` and
    ``d(positive, negative)``."""
    reduction = _reduction(size_average, reduce, reduction)
    a, po, ne = anchor.ndim, positive.ndim, negative.ndim
    if not a == po == ne:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {a}D, positive {po}D, "
                           f"and negative {ne}D inputs")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = d_neg.minimum(pairwise_distance(positive, negative, p, eps))
    return _reduce((margin + d_pos - d_neg).clamp_min(0.0), reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average: Any = None, eps: float = 1e-8, reduce: Any = None,
                     reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of ``target`` under a Poisson of rate ``exp(input)``
    (``log_input``) or ``input``; ``full`` adds Stirling's term where ``target > 1``."""
    reduction = _reduction(size_average, reduce, reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        safe = _where(target > 1, target, 1.0)
        stirling = safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log()
        loss = loss + _where(target > 1, stirling, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Any, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of ``target`` under a Gaussian of mean ``input`` and variance
    ``var`` (clamped at ``eps`` without changing its gradient, as PyTorch)."""
    if not isinstance(var, Tensor):
        var = input.new_full((), float(var))
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.ndim and
                  var.shape[-1] == 1) and var.ndim:
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    with no_grad():
        if bool((var < 0).any()):
            raise ValueError("var has negative entry/entries")
    var = var + (var.clamp(min=eps) - var).detach()
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def _class_targets(fn: str, input: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:  # noqa: A002
    """``input`` as (N, C) and ``target`` as (N,) int64, checked as PyTorch does."""
    if target.dtype.is_floating_point:
        raise RuntimeError(f"expected scalar type Long but found {scalar_type_name(target.dtype.name)}")
    x = input.reshape(1, -1) if input.ndim <= 1 else input
    y = target.reshape(-1)
    if y.shape[0] != x.shape[0]:
        raise RuntimeError(
            f"{fn}: target tensor should be 1-D with size equal to the number of input samples "
            f"(batch size). Expected target size [{x.shape[0]}], but got {list(target.shape)}. "
            f"Input has shape {list(input.shape)}.")
    if y.numel() and (int(y.amax()) >= x.shape[1] or int(y.amin()) < 0):
        raise RuntimeError("target out of range")
    return x, y


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,  # noqa: A002
                      weight: Tensor | None = None, size_average: Any = None, reduce: Any = None,
                      reduction: str = "mean") -> Tensor:
    """Multi-class hinge loss: ``sum_{j != y} max(0, margin - x[y] + x[j])^p / C`` per sample,
    scaled by ``weight[y]``."""
    reduction = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    x, y = _class_targets("multi_margin_loss", input, target)
    c = x.shape[1]
    if weight is not None and tuple(weight.shape) != (c,):
        raise RuntimeError(f"inconsistent weight size, expected {c} but got {list(weight.shape)}")
    pick = x.gather(1, y.reshape(-1, 1))
    hinge = (margin - pick + x).clamp_min(0.0)
    if p == 2:
        hinge = hinge * hinge
    if weight is not None:
        hinge = hinge * weight.gather(0, y).reshape(-1, 1)
    others = y.reshape(-1, 1) != arange(c, device=input.device).reshape(1, -1)
    loss = _where(others, hinge, 0.0).sum(1) / c
    if input.ndim <= 1:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def multilabel_margin_loss(input: Tensor, target: Tensor, size_average: Any = None,  # noqa: A002
                           reduce: Any = None, reduction: str = "mean") -> Tensor:
    """Multi-label hinge loss: ``target`` lists each sample's classes (ended by the first
    -1); ``sum_{j in targets, k not} max(0, 1 - (x[j] - x[k])) / C`` per sample."""
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: "
                           f"{list(input.shape)}")
    x = input.reshape(1, -1) if input.ndim <= 1 else input
    t = target.reshape(x.shape).to(int64)
    c = x.shape[1]
    valid = (t == -1).to(int64).cumsum(1) == 0  # targets before the first -1
    if bool((valid & ((t < 0) | (t >= c))).any()):
        raise RuntimeError("argument #2 'target' is out of range")
    safe = _where(valid, t, 0)
    classes = arange(c, device=input.device).reshape(1, 1, -1)
    is_target = ((safe.unsqueeze(-1) == classes) & valid.unsqueeze(-1)).any(1)  # (N, C)
    picked = x.gather(1, safe)  # (N, T)
    hinge = (1.0 - (picked.unsqueeze(-1) - x.unsqueeze(1))).clamp_min(0.0)  # (N, T, C)
    pairs = valid.unsqueeze(-1) & is_target.logical_not().unsqueeze(1)
    loss = _where(pairs, hinge, 0.0).sum((1, 2)) / c
    if input.ndim <= 1:
        loss = loss.reshape(())
    return _reduce(loss, reduction)
