"""Connects the ``xgrad_dispatch`` hook to the op dispatch switch.

xgrad's own implementation of the hook just runs the kernel. Only when some plugin adds a
``wrapper=True`` implementation does dispatch route through pluggy; otherwise the hot path
checks one class attribute and calls the kernel directly.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .autograd.node import Dispatch
from .hookspecs import hookimpl


class CoreDispatch:
    """xgrad's innermost ``xgrad_dispatch`` implementation: run the kernel."""

    @staticmethod
    @hookimpl(trylast=True)
    def xgrad_dispatch(op: str, phase: str, backend: Any, inputs: tuple, run: Callable) -> Any:
        return run()


def refresh(pm: Any) -> None:
    """Turn dispatch hooking on iff a plugin wraps ``xgrad_dispatch``."""
    wrappers = [i for i in pm.hook.xgrad_dispatch.get_hookimpls() if i.wrapper or i.hookwrapper]
    Dispatch.call = pm.hook.xgrad_dispatch if wrappers else None
    Dispatch.active = bool(wrappers)
