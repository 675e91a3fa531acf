"""The pure-Python reference backend (``xgrad.backends.reference``): the conformance oracle."""
from __future__ import annotations

from ._array import RefArray
from .backend import ReferenceBackend

__all__ = ["ReferenceBackend", "RefArray"]
