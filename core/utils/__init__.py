"""Utilities, as ``torch.utils``: ``xgrad.utils.data`` (datasets and data loading),
``xgrad.utils.checkpoint`` (activation checkpointing), :func:`summary` (a model's layer
table, as torchinfo) and, imported explicitly, ``xgrad.utils.tensorboard``."""
from . import checkpoint, data
from .summary import ModelStatistics, summary

__all__ = ["checkpoint", "data", "summary", "ModelStatistics"]
