"""Hook specifications of xgrad (pluggy project name and entry-point group: ``xgrad``).

A plugin is a module or object with functions marked ``@xgrad.hookimpl``. Installed
packages are found through the entry-point group ``xgrad``::

    [project.entry-points.xgrad]
    mybackend = "mypkg.xgrad_plugin"

All hooks are called with keyword arguments.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

PROJECT = "xgrad"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def xgrad_register_backends() -> list[Any]:
    """Return a list of :class:`xgrad.registry.BackendSpec` this plugin provides.

    Called once, when the registry is first used. Built-in backends answer this hook
    the same way third-party backends do. A spec's factory must be lazy: importing the
    plugin must not import the backend's array library.
    """


@hookspec(firstresult=True)
def xgrad_dispatch(op: str, phase: str, backend: Any, inputs: tuple, node: Any,
                   run: Callable[[], Any]) -> Any:
    """Run one op's kernel; implement as a ``wrapper=True`` hookimpl to observe dispatch.

    ``op`` is the op name (``"mul"``, ``"log_softmax"``), ``phase`` is ``"forward"`` or
    ``"backward"``, ``backend`` the Backend instance, ``inputs`` the op's inputs (native
    arrays for forward, Tensors of upstream gradients for backward), ``node`` the graph
    node whose backward runs (``None`` for forward; its ``inputs`` are the forward inputs
    and, while ``xgrad.dispatch.Dispatch.record_stack`` was on, ``stack`` the forward call's formatted
    Python stack), ``run`` computes and returns the op's outputs (the kernel's return for
    forward, the tuple of input-gradient Tensors for backward). A hookimpl may accept any
    subset of these arguments. xgrad's own implementation calls ``run()``; a wrapper does::

        @xgrad.hookimpl(wrapper=True)
        def xgrad_dispatch(op, phase, backend, inputs, run):
            start = time.perf_counter()
            outputs = yield
            record(op, phase, time.perf_counter() - start)
            return outputs

    While no plugin implements this hook as a wrapper, xgrad does not call it at all, so
    the dispatch hot path pays nothing for its existence.
    """


@hookspec
def xgrad_conformance_cases() -> list[Any]:
    """Return extra :class:`xgrad.conformance.OpCase` objects to add to the suite."""


@hookspec
def xgrad_fallback(op: str, backend: Any) -> None:
    """Called when ``backend`` lacks the fused op (or optional primitive) ``op`` and its
    decomposition runs instead.

    Only called while some plugin implements it; xgrad counts fallbacks regardless
    (see ``xgrad.backends.describe``).
    """
