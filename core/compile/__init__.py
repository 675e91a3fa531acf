"""``xgrad.compile``: capture a step once, replay it as a flat list of kernel calls.

``xgrad.compile(fn)`` (or ``xgrad.compile(model)``, or ``@xgrad.compile``) returns a callable
that, per guard signature (see :mod:`xgrad.compile.state`), runs ``fn`` eagerly while
recording every backend kernel it calls (forward, the backward it triggers, optimizer
updates, random draws), checks on a second run that the record is stable, and from then on
replays the program: bind the live arrays, call the kernels, write the results back into
parameters, gradients and optimizer state, advance the random generators and step
counters as eager mode would. On numpy the replay runs the same kernels in the same order,
so results are bit-for-bit those of eager mode.

A step that reads a tensor's value on the host (``.item()``, ``bool(t)``, ``.tolist()``,
``.numpy()``, printing) is a graph break: that signature runs eagerly from then on (with a
one-time warning; ``fullgraph=True`` raises :class:`Unsupported` instead). So does one whose
two captures disagree. After ``config.recompile_limit`` (8, as PyTorch) signatures a
compiled function runs new signatures eagerly with a warning.

What replay does not do (as ``jax.jit`` and tinygrad's TinyJit): run Python side effects of
``fn`` other than tensor writes (appending to a list, printing non-tensor values, hooks), or
return tensors with autograd history: returned tensors are plain values, so compile the
whole training step, not a forward whose result you will backpropagate outside.
"""
from __future__ import annotations

import functools
import types
import warnings
from collections.abc import Callable
from typing import Any

from .capture import Dyn, Op, Seq, Slot, Unsupported
from .program import Program, compile_default, interpret
from .state import Scope, is_module
from .step import _NOT_REPLAYED, Captured, Step, merge, record_step

__all__ = ["compile", "CompiledFunction", "OptimizedModule", "Unsupported", "Program", "Op",
           "Slot", "Seq", "Dyn", "config", "interpret", "compile_default"]

#: Further captures of a signature whose two captures disagreed, before it runs eagerly.
_MAX_RETRIES = 2
_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")


class config:
    """Settings of ``xgrad.compile`` (``torch._dynamo.config``'s names)."""

    #: Signatures cached per compiled function before new ones run eagerly (PyTorch: 8).
    recompile_limit = 8


class _Entry:
    """One signature's state: ``first`` capture waiting for its check, the replayable
    ``step``, or ``reason`` it runs eagerly."""

    __slots__ = ("first", "step", "reason", "tries")

    def __init__(self) -> None:
        self.first: Captured | None = None
        self.step: Step | None = None
        self.reason: str | None = None
        self.tries = 0


class CompiledFunction:
    """What ``xgrad.compile(fn)`` returns for a function: call it like ``fn``.

    ``stats`` counts ``captures``, ``replays`` and ``eager`` calls; :meth:`programs` lists
    the replayable programs (one per signature)."""

    def __init__(self, fn: Callable, *, fullgraph: bool = False, backend: Any = None,
                 module: Any = None, scope_fn: Callable | None = None) -> None:
        self._fn = fn
        self._fullgraph = bool(fullgraph)
        self._use_backend = backend != "eager"
        self._scope = Scope(scope_fn or fn, module)
        self._cache: dict[tuple, _Entry] = {}
        self._warned: set[str] = set()
        self._retried: set[tuple] = set()
        self.stats = {"captures": 0, "replays": 0, "eager": 0}
        if not isinstance(fn, types.MethodType) or module is None:
            functools.update_wrapper(self, fn, updated=())

    def programs(self) -> list[Program]:
        """The replayable program of each cached signature."""
        return [e.step.program for e in self._cache.values() if e.step is not None]

    def reasons(self) -> list[str]:
        """Why each signature that runs eagerly does so."""
        return [e.reason for e in self._cache.values() if e.reason]

    def reset(self) -> None:
        """Forget every capture (the next calls capture again)."""
        self._cache.clear()
        self._warned.clear()

    def _warn(self, text: str) -> None:
        if text not in self._warned:
            self._warned.add(text)
            warnings.warn(text, UserWarning, stacklevel=3)

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        if obj is None:
            return self
        return functools.partial(self, obj)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        sig, live = self._scope.scan(args, kwargs)
        entry = self._cache.get(sig)
        if entry is not None:
            step = entry.step
            if step is not None:
                out = step.run(live)
                if out is not _NOT_REPLAYED:
                    self.stats["replays"] += 1
                    return out
            elif entry.reason is None:
                return self._second(entry, args, kwargs, live)
            self.stats["eager"] += 1
            return self._fn(*args, **kwargs)
        if len(self._cache) >= config.recompile_limit:
            self._warn(f"xgrad.compile: {self._name()} hit config.recompile_limit "
                       f"({config.recompile_limit}); new input signatures run eagerly. The last "
                       "change of signature may come from new shapes, dtypes, requires_grad, "
                       "grad mode, training flags or optimizer hyperparameters")
            self.stats["eager"] += 1
            return self._fn(*args, **kwargs)
        for t in live.tensors[:live.n_args]:
            if t._node is not None and t._rg:
                entry = self._cache[sig] = _Entry()
                self._set_reason(entry, "an argument has autograd history: the step's graph "
                                        "would have to join it")
                self.stats["eager"] += 1
                return self._fn(*args, **kwargs)
        entry = self._cache[sig] = _Entry()
        self.stats["captures"] += 1
        result, rec = record_step(self._fn, args, kwargs, live, self._fullgraph)
        if rec.reason is not None:
            self._unreplayable(entry, sig, rec.reason)
        else:
            entry.first = rec
        return result

    def _name(self) -> str:
        return getattr(self._fn, "__qualname__", None) or type(self._fn).__name__

    def _unreplayable(self, entry: _Entry, sig: tuple, reason: str) -> None:
        if reason.startswith("the step replaced") and sig not in self._retried:
            # an optimizer's first step creates its state: expected once per signature (and
            # the signature changes with it), so capture again when it comes back
            self._retried.add(sig)
            del self._cache[sig]
            return
        self._set_reason(entry, reason)

    def _second(self, entry: _Entry, args: tuple, kwargs: dict, live: Any) -> Any:
        self.stats["captures"] += 1
        result, rec = record_step(self._fn, args, kwargs, live, self._fullgraph)
        if rec.reason is not None:
            entry.first = None
            self._set_reason(entry, rec.reason)
            return result
        step = merge(entry.first, rec, self._use_backend)
        entry.first = None
        if isinstance(step, str):
            if entry.tries < _MAX_RETRIES:
                # one-time work in the first run (a lazily built cache making kernel calls)
                # shows as a mismatch: compare the next run with this one before giving up
                entry.tries += 1
                entry.first = rec
            else:
                self._set_reason(entry, step)
        else:
            entry.step = step
        return result

    def _set_reason(self, entry: _Entry, reason: str) -> None:
        if self._fullgraph:
            raise Unsupported(f"xgrad.compile(fullgraph=True): {self._name()} cannot be "
                              f"captured: {reason}")
        entry.reason = reason
        self._warn(f"xgrad.compile: {self._name()} runs eagerly for this input signature: "
                   f"{reason}")


class OptimizedModule:
    """What ``xgrad.compile(module)`` returns: calling it runs the compiled ``module(...)``;
    every other attribute (``parameters``, ``state_dict``, ``train``, submodules...) is the
    original module's, found as ``_orig_mod`` (PyTorch's ``OptimizedModule``). Methods of the
    original that return the module itself (``to``, ``train``, ``eval``...) return this
    wrapper, so ``model = model.to(device)`` keeps it compiled."""

    def __init__(self, mod: Any, compiled: CompiledFunction) -> None:
        object.__setattr__(self, "_orig_mod", mod)
        object.__setattr__(self, "_compiled", compiled)

    @property
    def forward(self) -> CompiledFunction:
        """The compiled call of the original module."""
        return self._compiled

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._compiled(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._orig_mod, name)
        if isinstance(attr, types.MethodType) and attr.__self__ is self._orig_mod:
            orig = self._orig_mod

            @functools.wraps(attr)
            def method(*args: Any, **kwargs: Any) -> Any:
                out = attr(*args, **kwargs)
                return self if out is orig else out

            return method
        return attr

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._orig_mod, name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._orig_mod, name)

    def __dir__(self) -> list[str]:
        return sorted(set(dir(self._orig_mod)) | {"_orig_mod", "forward"})

    def __repr__(self) -> str:
        inner = repr(self._orig_mod).replace("\n", "\n  ")
        return f"OptimizedModule(\n  (_orig_mod): {inner}\n)"


def compile(model: Callable | None = None, *, fullgraph: bool = False,
            dynamic: bool | None = None, backend: str | Callable | None = None,
            mode: str | None = None, options: dict[str, Any] | None = None,
            disable: bool = False) -> Any:
    """Compile a function or module into capture-and-replay form (``torch.compile``'s
    signature).

    * ``model``: a function (also a bound method) or a module; ``None`` returns a decorator,
      so ``@xgrad.compile`` and ``@xgrad.compile(mode=...)`` both work.
    * ``fullgraph``: raise :class:`Unsupported` instead of running a step eagerly when it
      cannot be captured whole (a host read such as ``.item()``).
    * ``dynamic``: accepted; every new shape is a new signature (a new capture).
    * ``backend``: ``None``/``"inductor"``/``"xgrad"`` let the array backend compile the
      program (its optional ``compile_program`` hook, else the replay loop); ``"eager"``
      always uses the replay loop. Any other value raises.
    * ``mode``, ``options``: accepted and checked as PyTorch does (one of them at most;
      ``mode`` one of PyTorch's names); they do not change what xgrad does.
    * ``disable``: return ``model`` unchanged.
    """
    if model is None:
        def decorate(fn: Callable) -> Any:
            if fn is None:
                raise RuntimeError("Model can't be None")
            return compile(fn, fullgraph=fullgraph, dynamic=dynamic, backend=backend,
                           mode=mode, options=options, disable=disable)

        return decorate
    if not callable(model):
        raise AssertionError(f"A callable function is expected, but {type(model)} is provided.")
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be "
                           "specified at the same time.")
    if mode is not None and mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")
    if options is not None and not isinstance(options, dict):
        raise TypeError(f"options must be a dict, got {type(options).__name__}")
    if backend not in (None, "inductor", "xgrad", "eager"):
        raise ValueError(f"xgrad.compile: unknown backend {backend!r}; expected None, "
                         "'inductor', 'xgrad' or 'eager' (the array backend's compile_program "
                         "hook is used automatically)")
    if disable:
        return model
    if isinstance(model, (CompiledFunction, OptimizedModule)):
        return model
    if is_module(model):
        fwd = getattr(type(model), "forward", None)
        compiled = CompiledFunction(model, fullgraph=fullgraph, backend=backend, module=model,
                                    scope_fn=fwd if isinstance(fwd, types.FunctionType) else None)
        return OptimizedModule(model, compiled)
    return CompiledFunction(model, fullgraph=fullgraph, backend=backend)

