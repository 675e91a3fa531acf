"""The classes of ``torch.nn.modules.container``, from :mod:`xgrad.nn`."""
from __future__ import annotations

from ..containers import ModuleDict, ModuleList, Sequential
from ..containers_param import ParameterDict, ParameterList

__all__ = ["Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]
