"""Differentiable ops. Importing this package binds the op table (:mod:`.table`) onto
:class:`xgrad.Tensor` as methods, in-place forms and operators."""
from __future__ import annotations

from ..tensor import Tensor
from . import shape as _shape
from .table import bind as _bind

_bind(Tensor)
Tensor.T = property(_shape.T, doc="``self`` with its dimensions reversed.")
Tensor.mT = property(_shape.mT, doc="``self`` with its last two dimensions swapped.")
Tensor.retains_grad = property(lambda self: bool(self.__dict__.get("_retains")),
                               doc="Whether :meth:`retain_grad` was called on this non-leaf tensor.")
