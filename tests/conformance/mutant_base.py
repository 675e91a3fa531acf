"""The base class and helpers of the planted-bug corpus (see ``mutants.py``)."""
from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from xgrad.backends.numpy import NumpyBackend

__all__ = ["Mutant", "CATEGORIES"]

CATEGORIES = ("values", "ties", "empty", "dtype", "mutation", "broadcast", "indexing", "fused",
              "optim", "rng", "reductions", "movement", "matmul", "aliasing", "compile")


class Mutant(NumpyBackend):
    """Base of the corpus: the numpy backend under a test name."""

    category: ClassVar[str] = ""
    cases: ClassVar[tuple[str, ...]] = ()


def _f16(x: Any) -> bool:
    return getattr(x, "dtype", None) == np.float16


def _writable(x: Any) -> bool:
    return isinstance(x, np.ndarray) and x.flags.writeable
