"""The backend conformance suite: a table of op cases and the checks that prove a backend
right (see README.md in this folder).

Run it with ``pytest --pyargs xgrad.conformance --xgrad-backend=NAME`` or
``xgrad-conformance NAME``. Extend it with :func:`register` or the
``xgrad_conformance_cases`` plugin hook. Importing this package is cheap: the case table
loads on first use.
"""
from __future__ import annotations

from typing import Any

__all__ = ["OpCase", "ModuleCase", "OptimCase", "T", "Idx", "Mask", "Const", "DOMAINS", "TIES", "register",
           "register_module_case", "register_optim_case", "all_cases", "module_cases",
           "optim_cases"]


def __getattr__(name: str) -> Any:
    if name in ("all_cases", "module_cases", "optim_cases"):
        from . import catalog

        return getattr(catalog, name)
    if name in __all__:
        from . import spec

        return getattr(spec, name)
    raise AttributeError(f"module 'xgrad.conformance' has no attribute {name!r}")
