"""Attention and Transformer encoder layers (being written)."""
from __future__ import annotations

from .module import Module


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None):
    """Placeholder: being written."""
    raise NotImplementedError


class MultiheadAttention(Module):
    """Placeholder: being written."""


class TransformerEncoderLayer(Module):
    """Placeholder: being written."""


class TransformerEncoder(Module):
    """Placeholder: being written."""
