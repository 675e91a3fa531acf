"""The gradient-recording switch, one per thread as in PyTorch: no_grad, enable_grad,
set_grad_enabled, inference_mode."""
from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled"]


class _ThreadState(threading.local):
    # Each thread starts with recording on (the class attribute) and sees only its own
    # writes, so a no_grad() in one thread never stops another thread's graph.
    enabled = True


_State = _ThreadState()


def is_grad_enabled() -> bool:
    """Whether ops on tensors that require grad currently record a graph."""
    return _State.enabled


class _GradModeContext:
    _target: bool

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        # ``@no_grad`` / ``@inference_mode`` without parentheses decorate directly, as PyTorch
        if len(args) == 1 and not kwargs and callable(args[0]) and not isinstance(args[0], bool) \
                and cls is not set_grad_enabled:
            return cls()(args[0])
        return super().__new__(cls)

    def __enter__(self) -> None:
        self._prev = _State.enabled
        _State.enabled = self._target

    def __exit__(self, *exc: Any) -> None:
        _State.enabled = self._prev

    def __call__(self, fn: Callable) -> Callable:
        target = self._target

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = _State.enabled
            _State.enabled = target
            try:
                return fn(*args, **kwargs)
            finally:
                _State.enabled = prev
        return wrapper


class no_grad(_GradModeContext):
    """Context manager / decorator that disables graph recording."""

    _target = False


class enable_grad(_GradModeContext):
    """Context manager / decorator that enables graph recording."""

    _target = True


class inference_mode(_GradModeContext):
    """Like ``no_grad`` (xgrad allocates no graph under either)."""

    def __init__(self, mode: bool = True) -> None:
        self._target = not mode


class set_grad_enabled(_GradModeContext):
    """Set graph recording on or off; works as a function, context manager or decorator."""

    def __init__(self, mode: bool) -> None:
        self._target = bool(mode)
        self._prev = _State.enabled
        _State.enabled = self._target

    def __call__(self, fn: Callable) -> Callable:
        _State.enabled = self._prev  # used as a decorator: only the wrapped call changes mode
        return super().__call__(fn)

    def __enter__(self) -> None:
        pass
