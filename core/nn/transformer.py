"""Attention layers as ``torch.nn``: ``MultiheadAttention``, ``TransformerEncoderLayer`` and
``TransformerEncoder``, built on ``nn.functional.scaled_dot_product_attention`` (re-exported
here for old imports).

Scores are ``q @ k^T * scale`` plus an additive float mask; positions a boolean mask
excludes get the dtype's lowest finite value (not -inf, so gradients stay finite), and a
query row that may attend to nothing yields zeros (as PyTorch's math SDPA path does).
"""
from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

from ..autograd.grad_mode import no_grad
from ..creation import arange, empty, zeros
from ..dtypes import bool_
from ..ops.fused import gelu, linear
from ..ops.shape import cat
from ..random import normal_, uniform_
from ..tensor import Tensor
from .containers import ModuleList
from .dropout import Dropout
from .functional import relu, scaled_dot_product_attention
from .functional_attention import _attend, _check_mask
from .linear import Linear, NonDynamicallyQuantizableLinear
from .module import Module
from .normalization import LayerNorm
from .parameter import Parameter

__all__ = ["scaled_dot_product_attention", "MultiheadAttention", "TransformerEncoderLayer",
           "TransformerEncoder", "generate_square_subsequent_mask"]

def generate_square_subsequent_mask(sz: int, device: Any = None, dtype: Any = None) -> Tensor:
    """Float (sz, sz) causal mask: 0 on and below the diagonal, -inf above it (as
    ``torch.nn.Transformer.generate_square_subsequent_mask``)."""
    i = arange(sz, device=device).reshape(sz, 1)
    j = arange(sz, device=device).reshape(1, sz)
    return zeros(sz, sz, dtype=dtype, device=device).masked_fill(j > i, float("-inf"))


def _xavier_uniform(w: Tensor, fan_in: int, fan_out: int) -> None:
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    uniform_(w, -bound, bound)


class MultiheadAttention(Module):
    """Multi-head attention with PyTorch's parameters (``in_proj_weight``, ``in_proj_bias``,
    ``out_proj``; ``q/k/v_proj_weight`` when ``kdim``/``vdim`` differ from ``embed_dim``).

    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)`` returns ``(attn_output, attn_weights)``.
    Boolean masks here mark with True the positions NOT allowed to attend (PyTorch's
    convention for this module); float masks are added to the scores.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads} instead")
        if embed_dim % num_heads:
            raise AssertionError("embed_dim must be divisible by num_heads")
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        kw = {"device": device, "dtype": dtype}
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(empty(3 * embed_dim, embed_dim, **kw))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = Parameter(empty(embed_dim, embed_dim, **kw))
            self.k_proj_weight = Parameter(empty(embed_dim, self.kdim, **kw))
            self.v_proj_weight = Parameter(empty(embed_dim, self.vdim, **kw))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(empty(3 * embed_dim, **kw))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, **kw)
        if add_bias_kv:
            self.bias_k = Parameter(empty(1, 1, embed_dim, **kw))
            self.bias_v = Parameter(empty(1, 1, embed_dim, **kw))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """PyTorch's init: xavier-uniform projections, zero biases, xavier-normal bias_k/v."""
        e = self.embed_dim
        if self._qkv_same_embed_dim:
            _xavier_uniform(self.in_proj_weight, e, 3 * e)
        else:
            _xavier_uniform(self.q_proj_weight, e, e)
            _xavier_uniform(self.k_proj_weight, self.kdim, e)
            _xavier_uniform(self.v_proj_weight, self.vdim, e)
        if self.in_proj_bias is not None:
            with no_grad():
                self.in_proj_bias.zero_()
                self.out_proj.bias.zero_()
        for b in (self.bias_k, self.bias_v):
            if b is not None:
                normal_(b, 0.0, math.sqrt(2.0 / (2 * e)))

    def _project(self, query: Tensor, key: Tensor, value: Tensor) -> tuple:
        e = self.embed_dim
        b = self.in_proj_bias
        bq, bk, bv = (None,) * 3 if b is None else (b[:e], b[e:2 * e], b[2 * e:])
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            if query is key and key is value:
                return linear(query, w, b).chunk(3, -1)
            return (linear(query, w[:e], bq), linear(key, w[e:2 * e], bk),
                    linear(value, w[2 * e:], bv))
        return (linear(query, self.q_proj_weight, bq), linear(key, self.k_proj_weight, bk),
                linear(value, self.v_proj_weight, bv))

    def _check_inputs(self, query: Tensor, key: Tensor, value: Tensor) -> bool:
        for name, t in (("query", query), ("key", key), ("value", value)):
            if not isinstance(t, Tensor):
                raise TypeError(f"MultiheadAttention: expected {name} to be a Tensor, got "
                                f"{type(t).__name__}")
        if query.ndim not in (2, 3):
            raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but "
                                 f"received {query.ndim}-D query tensor")
        if key.ndim != query.ndim or value.ndim != query.ndim:
            raise AssertionError(f"For {'batched (3-D)' if query.ndim == 3 else 'unbatched (2-D)'}"
                                 f" `query`, expected `key` and `value` to be {query.ndim}-D but "
                                 f"found {key.ndim}-D and {value.ndim}-D tensors respectively")
        for name, t, d in (("query", query, self.embed_dim), ("key", key, self.kdim),
                           ("value", value, self.vdim)):
            if t.shape[-1] != d:
                raise AssertionError(f"was expecting {name} embedding dimension of {d}, but got "
                                     f"{t.shape[-1]} (shape {list(t.shape)})")
        if key.shape[:-1] != value.shape[:-1]:
            raise AssertionError(f"key shape {list(key.shape)} does not match value shape "
                                 f"{list(value.shape)}")
        return query.ndim == 3

    def forward(self, query: Tensor, key: Tensor, value: Tensor,
                key_padding_mask: Tensor | None = None, need_weights: bool = True,
                attn_mask: Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        """``(attn_output, attn_weights)``: output (L, N, E) (batch_first: (N, L, E)); weights
        (N, L, S) averaged over heads, or (N, num_heads, L, S), or None if not
        ``need_weights``. Unbatched (L, E) input drops N."""
        batched = self._check_inputs(query, key, value)
        if is_causal and attn_mask is None:
            raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                               "Transformer module method `generate_square_subsequent_mask` to "
                               "create this mask.")
        same = query is key and key is value
        if not batched:
            query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif self.batch_first:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        if same:
            key = value = query
        n_q, n, _ = query.shape
        h, hd = self.num_heads, self.head_dim
        q, k, v = self._project(query, key, value)  # (L, N, E), (S, N, E), (S, N, E)
        if self.bias_k is not None:
            k = cat([k, self.bias_k.expand(1, n, self.embed_dim)], 0)
            v = cat([v, self.bias_v.expand(1, n, self.embed_dim)], 0)
            attn_mask = _pad_last(attn_mask)
            key_padding_mask = _pad_last(key_padding_mask)

        def heads(t: Tensor) -> Tensor:  # (S, N, E) -> (N, H, S, hd)
            return t.reshape(t.shape[0], n, h, hd).permute(1, 2, 0, 3)

        q, k, v = heads(q), heads(k), heads(v)
        if self.add_zero_attn:
            z = zeros(n, h, 1, hd, dtype=k.dtype, device=k.backend)
            k, v = cat([k, z], 2), cat([v, z], 2)
            attn_mask = _pad_last(attn_mask)
            key_padding_mask = _pad_last(key_padding_mask)
        allowed, additive = self._masks(attn_mask, key_padding_mask, q, n_q, k.shape[2], n)
        p = self.dropout if self.training else 0.0
        out, weights = _attend(q, k, v, allowed, additive, p, 1.0 / math.sqrt(hd))
        out = out.permute(2, 0, 1, 3).reshape(n_q, n, self.embed_dim)
        out = self.out_proj(out)
        if not batched:
            out = out.squeeze(1)
        elif self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(1)
        return out, (weights if batched else weights.squeeze(0))

    def _masks(self, attn_mask: Tensor | None, key_padding_mask: Tensor | None, q: Tensor,
               n_q: int, n_k: int, n: int) -> tuple[Tensor | None, Tensor | None]:
        """Both masks as (``allowed`` bool, ``additive`` float), broadcastable to
        (N, H, L, S)."""
        allowed = additive = None
        if attn_mask is not None:
            _check_mask(attn_mask, "attn_mask", q)
            if attn_mask.ndim == 2:
                if tuple(attn_mask.shape) != (n_q, n_k):
                    raise RuntimeError(f"The shape of the 2D attn_mask is {list(attn_mask.shape)},"
                                       f" but should be {[n_q, n_k]}.")
            elif attn_mask.ndim == 3:
                want = (n * self.num_heads, n_q, n_k)
                if tuple(attn_mask.shape) != want:
                    raise RuntimeError(f"The shape of the 3D attn_mask is {list(attn_mask.shape)},"
                                       f" but should be {list(want)}.")
                attn_mask = attn_mask.reshape(n, self.num_heads, n_q, n_k)
            else:
                raise RuntimeError(f"attn_mask's dimension {attn_mask.ndim} is not supported")
            if attn_mask.dtype is bool_:
                allowed = attn_mask.logical_not()
            else:
                additive = attn_mask
        if key_padding_mask is not None:
            _check_mask(key_padding_mask, "key_padding_mask", q)
            if tuple(key_padding_mask.shape) != (n, n_k):
                raise AssertionError(f"expecting key_padding_mask shape of {[n, n_k]}, but got "
                                     f"{list(key_padding_mask.shape)}")
            kpm = key_padding_mask.reshape(n, 1, 1, n_k)
            if kpm.dtype is bool_:
                keep = kpm.logical_not()
                allowed = keep if allowed is None else allowed.logical_and(keep)
            else:
                additive = kpm if additive is None else additive + kpm
        return allowed, additive


def _pad_last(mask: Tensor | None) -> Tensor | None:
    """Append one column (allowed / zero) to a mask's last dimension."""
    if mask is None:
        return None
    pad = zeros(*mask.shape[:-1], 1, dtype=mask.dtype, device=mask.backend)
    return cat([mask, pad], -1)


def _activation(activation: str | Callable) -> Callable:
    if callable(activation):
        return activation
    if activation == "relu":
        return relu  # a module-level function, so layers pickle (torch.save(model))
    if activation == "gelu":
        return gelu
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")


class TransformerEncoderLayer(Module):
    """Self-attention and feed-forward blocks with residuals and LayerNorm (post-norm by
    default, pre-norm with ``norm_first=True``), as ``torch.nn.TransformerEncoderLayer``."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: str | Callable = "relu",
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, **kw)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = _activation(activation)

    def forward(self, src: Tensor, src_mask: Tensor | None = None,
                src_key_padding_mask: Tensor | None = None, is_causal: bool = False) -> Tensor:
        """Encode ``src`` (L, N, E) (batch_first: (N, L, E); unbatched (L, E))."""
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._ff_block(self.norm2(x))
        x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._ff_block(x))

    def _sa_block(self, x: Tensor, attn_mask: Tensor | None, key_padding_mask: Tensor | None,
                  is_causal: bool) -> Tensor:
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x: Tensor) -> Tensor:
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout2(x)


class TransformerEncoder(Module):
    """A stack of ``num_layers`` deep copies of ``encoder_layer`` (in ``layers``), then an
    optional final ``norm``."""

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int,
                 norm: Module | None = None, enable_nested_tensor: bool = True,
                 mask_check: bool = True) -> None:
        super().__init__()
        if not isinstance(encoder_layer, Module):
            raise TypeError(f"TransformerEncoder: expected encoder_layer to be a Module, got "
                            f"{type(encoder_layer).__name__}")
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, src: Tensor, mask: Tensor | None = None,
                src_key_padding_mask: Tensor | None = None,
                is_causal: bool | None = None) -> Tensor:
        """Pass ``src`` through every layer (same masks for each), then ``norm``."""
        out = src
        for layer in self.layers:
            out = layer(out, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                        is_causal=bool(is_causal))
        return self.norm(out) if self.norm is not None else out
