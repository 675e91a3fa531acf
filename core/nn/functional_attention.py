"""Attention of :mod:`xgrad.nn.functional`: ``scaled_dot_product_attention`` and the score
masking that :class:`xgrad.nn.MultiheadAttention` shares with it.

Scores are ``q @ k^T * scale`` plus an additive float mask; positions a boolean mask
excludes get the dtype's lowest finite value (not -inf, so gradients stay finite), and a
query row that may attend to nothing yields zeros (as PyTorch's math SDPA path does).
"""
from __future__ import annotations

import math

from ..creation import arange
from ..dtypes import bool_
from ..ops.fused import softmax
from ..tensor import Tensor
from .functional_activation import dropout as _dropout

__all__ = ["scaled_dot_product_attention"]

_LOWEST = {"float16": -65504.0, "float32": -3.4028234663852886e38,
           "float64": -1.7976931348623157e308}


def _causal(n_q: int, n_k: int, like: Tensor) -> Tensor:
    """Boolean (L, S) mask, True on and below the diagonal (top-left aligned)."""
    i = arange(n_q, device=like.backend).reshape(n_q, 1)
    j = arange(n_k, device=like.backend).reshape(1, n_k)
    return j <= i


def _attend(q: Tensor, k: Tensor, v: Tensor, allowed: Tensor | None, additive: Tensor | None,
            dropout_p: float, scale: float) -> tuple[Tensor, Tensor]:
    """``softmax(q k^T * scale + additive, masked by allowed) @ v``; returns (out, weights)."""
    scores = q.matmul(k.transpose(-2, -1)) * scale
    if additive is not None:
        scores = scores + additive
    if allowed is not None:
        scores = scores.masked_fill(allowed.logical_not(), _LOWEST.get(scores.dtype.name, -1e30))
    weights = softmax(scores, -1)
    if allowed is not None:
        weights = weights * allowed.any(-1, keepdim=True).to(weights.dtype)
    if dropout_p > 0.0:
        weights = _dropout(weights, dropout_p)
    return weights.matmul(v), weights


def _check_mask(mask: Tensor, what: str, q: Tensor) -> None:
    if not isinstance(mask, Tensor):
        raise TypeError(f"{what}: expected a Tensor, got {type(mask).__name__}")
    if mask.dtype is not bool_ and not mask.dtype.is_floating_point:
        raise RuntimeError(f"Expected {what} dtype to be bool or float or to match query dtype, "
                           f"got {mask.dtype}")
    if mask.dtype.is_floating_point and mask.dtype is not q.dtype:
        raise RuntimeError(f"Expected {what} dtype to be bool or float or to match query dtype, "
                           f"got {mask.dtype} for query of dtype {q.dtype}")


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """``softmax(Q K^T * scale + mask) V`` over the last two dims, as PyTorch's function.

    ``query`` (..., L, E), ``key`` (..., S, E), ``value`` (..., S, Ev). A boolean
    ``attn_mask`` marks with True the positions that take part; a float mask is added to the
    scores. ``is_causal`` applies a top-left aligned lower-triangular mask (then
    ``attn_mask`` must be None). ``dropout_p`` is always applied when > 0, as PyTorch.
    """
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"scaled_dot_product_attention(): expected {name} to be a Tensor, "
                            f"got {type(t).__name__}")
        if t.ndim < 2:
            raise RuntimeError(f"scaled_dot_product_attention(): expected {name} with at least "
                               f"2 dims, got shape {list(t.shape)}")
    if not query.dtype.is_floating_point or query.dtype is not key.dtype \
            or query.dtype is not value.dtype:
        raise RuntimeError("Expected query, key, and value to have the same floating dtype, but "
                           f"got query.dtype: {query.dtype} key.dtype: {key.dtype} and "
                           f"value.dtype: {value.dtype} instead.")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"scaled_dot_product_attention(): expected query (..., L, E), key "
                           f"(..., S, E) and value (..., S, Ev), got {list(query.shape)}, "
                           f"{list(key.shape)} and {list(value.shape)}")
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        rep = query.shape[-3] // key.shape[-3]
        key, value = _repeat_heads(key, rep), _repeat_heads(value, rep)
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"dropout_p should be in [0, 1], got {dropout_p}")
    n_q, n_k = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    allowed = additive = None
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be "
                               "set when is_causal=True")
        allowed = _causal(n_q, n_k, query)
    elif attn_mask is not None:
        _check_mask(attn_mask, "attn_mask", query)
        if attn_mask.dtype is bool_:
            allowed = attn_mask
        else:
            additive = attn_mask
    return _attend(query, key, value, allowed, additive, dropout_p, scale)[0]


def _repeat_heads(t: Tensor, rep: int) -> Tensor:
    """(..., Hk, S, E) -> (..., Hk*rep, S, E), each head repeated ``rep`` times in a row."""
    return t.unsqueeze(-3).expand(*t.shape[:-2], rep, *t.shape[-2:]).flatten(-4, -3)
