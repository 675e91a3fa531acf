"""Device selection: ``device=`` > ``with xgrad.device(...)`` > ``set_default_device`` >
``XGRAD_DEVICE`` > numpy."""
from __future__ import annotations

import os
import threading
from typing import Any

from .backend import Backend
from .registry import get_backend

__all__ = ["device", "set_default_device", "get_default_device", "resolve"]

#: What ``with xgrad.device(...)`` blocks and ``set_default_device`` chose, as device *names*
#: resolved through the registry on every use (the registry's instance cache is the only
#: place backend identity lives). A Backend object the registry does not know by its device
#: string is kept as the object: it has no name to resolve. The ``with`` stack belongs to
#: the thread (as PyTorch's device context); the default is the process's.
_default: list[str | Backend | None] = [None]


class _ThreadStack(threading.local):
    def __init__(self) -> None:
        self.items: list[str | Backend] = []


_THREAD = _ThreadStack()


def _name_of(be: Backend) -> str | Backend:
    """The device name the registry maps to ``be``, else ``be`` itself."""
    for key in (be.device, be.name):
        try:
            if get_backend(key) is be:
                return key
        except Exception:  # noqa: BLE001 - not registered under that name
            pass
    return be


def resolve(device: Any = None) -> Backend:
    """The Backend for ``device`` (a name, Backend, ``xgrad.device`` object or None)."""
    if device is None:
        stack = _THREAD.items
        if stack:
            return get_backend(stack[-1])
        name = _default[0]
        if name is None:
            name = _default[0] = os.environ.get("XGRAD_DEVICE", "").strip() or "numpy"
        return get_backend(name)
    if isinstance(device, Backend):
        return device
    if isinstance(device, device_cls):
        return device.backend
    return get_backend(str(device))


def set_default_device(device: Any) -> None:
    """Make ``device`` (``"numpy"``, ``"cpu"``, ``"reference"``, ``"cuda"``...) the default."""
    _default[0] = None if device is None else _name_of(resolve(device))


def save_state() -> tuple[list[str | Backend], str | Backend | None]:
    """The default device and this thread's ``with xgrad.device`` stack, for
    :func:`restore_state`."""
    return list(_THREAD.items), _default[0]


def restore_state(state: tuple[list[str | Backend], str | Backend | None]) -> None:
    """Put back what :func:`save_state` returned (used by tests to isolate each other)."""
    _THREAD.items[:] = state[0]
    _default[0] = state[1]


def get_default_device() -> device_cls:
    """The device factories use when given no ``device=``."""
    return device_cls(resolve(None))


class device_cls:
    """A device, as ``torch.device``: ``xgrad.device("cpu")``. Also a context manager that
    makes it the default for the block: ``with xgrad.device("reference"): ...``."""

    __slots__ = ("backend",)

    def __init__(self, spec: Any) -> None:
        self.backend = resolve(spec) if spec is not None else resolve(None)

    @property
    def type(self) -> str:
        return self.backend.name

    @property
    def index(self) -> int | None:
        _, _, idx = self.backend.device.partition(":")
        return int(idx) if idx else None

    def __enter__(self) -> device_cls:
        _THREAD.items.append(_name_of(self.backend))
        return self

    def __exit__(self, *exc: Any) -> None:
        _THREAD.items.pop()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            try:
                return resolve(other) is self.backend
            except Exception:  # noqa: BLE001 - an unknown name is simply not equal
                return False
        return isinstance(other, device_cls) and other.backend is self.backend

    def __hash__(self) -> int:
        return hash(self.backend.device)

    def __str__(self) -> str:
        return self.backend.device

    def __repr__(self) -> str:
        return f"device(type={self.backend.device!r})"

    def __reduce__(self) -> tuple:
        """Pickled by name (sent to another process, it resolves there)."""
        return device_cls, (self.backend.device,)


device = device_cls
