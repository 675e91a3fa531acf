"""Utilities, as ``torch.utils``: ``xgrad.utils.data`` (datasets and data loading),
:func:`summary` (a model's layer table, as torchinfo) and, imported explicitly,
``xgrad.utils.tensorboard``."""
from . import data
from .summary import ModelStatistics, summary

__all__ = ["data", "summary", "ModelStatistics"]
