"""The assembled case catalog: the built-in tables (:mod:`.cases`, :mod:`.cases_nn`,
:mod:`.cases_modules`) plus the cases plugins add through ``xgrad_conformance_cases``,
loaded on first use."""
from __future__ import annotations

from xgrad.registry import plugin_manager

from . import cases as _cases  # noqa: F401  (registers the built-in op table)
from . import cases_linalg as _cases_linalg  # noqa: F401  (xgrad.linalg cases)
from . import cases_modules as _cases_modules  # noqa: F401  (layer and optimizer cases)
from . import cases_names as _cases_names  # noqa: F401  (ops real programs use)
from . import cases_nn as _cases_nn  # noqa: F401  (nn.functional cases)
from . import cases_nn_names as _cases_nn_names  # noqa: F401  (nn names real programs use)
from .spec import (
    _CASES,
    _MODULE_CASES,
    _OPTIM_CASES,
    ModuleCase,
    OpCase,
    OptimCase,
    register,
    register_module_case,
    register_optim_case,
)

__all__ = ["all_cases", "module_cases", "optim_cases"]


class _State:
    plugins_loaded = False


def _load() -> None:
    if _State.plugins_loaded:
        return
    _State.plugins_loaded = True
    for extra in plugin_manager().hook.xgrad_conformance_cases():
        for c in extra or ():
            if isinstance(c, OpCase):
                register(c)
            elif isinstance(c, ModuleCase):
                register_module_case(c)
            elif isinstance(c, OptimCase):
                register_optim_case(c)
            else:
                raise TypeError(f"xgrad_conformance_cases returned {type(c).__name__}; expected "
                                "OpCase, ModuleCase or OptimCase")


def all_cases() -> dict[str, OpCase]:
    """Every op case: the built-in table plus those added by plugins and :func:`register`."""
    _load()
    return dict(_CASES)


def module_cases() -> dict[str, ModuleCase]:
    """Every layer case."""
    _load()
    return dict(_MODULE_CASES)


def optim_cases() -> dict[str, OptimCase]:
    """Every optimizer case."""
    _load()
    return dict(_OPTIM_CASES)
