"""Utilities, as ``torch.utils``: ``xgrad.utils.data`` (datasets and data loading)."""
from . import data

__all__ = ["data"]
