"""The classes of ``torch.nn.modules.transformer``, from :mod:`xgrad.nn`."""
from __future__ import annotations

from ..transformer import TransformerEncoder, TransformerEncoderLayer
from ..transformer_decoder import Transformer, TransformerDecoder, TransformerDecoderLayer

__all__ = ["TransformerEncoder", "TransformerEncoderLayer", "Transformer", "TransformerDecoder",
    "TransformerDecoderLayer"]
