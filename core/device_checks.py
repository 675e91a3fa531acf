"""Value checks deferred to the next host read, for asynchronous backends.

Some argument checks depend on values (a class index in range). On a synchronous backend
(numpy, reference) the values are on the host and the check runs at once. On an
asynchronous one (a GPU, JAX) reading them would stall the device on every call, so the
frontend computes the check's inputs as small device arrays, queues them here and raises
the error at the next point where the program reads values back (``item``, ``tolist``,
``numpy``, printing, ``synchronize``), as a CUDA device-side assert surfaces in PyTorch.
The error keeps its text and type, with a note naming the call that queued it.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

__all__ = ["MAX_PENDING", "PENDING", "defer", "pending", "raise_pending"]

#: queued checks beyond this many are evaluated at once (bounds the device memory they hold)
MAX_PENDING = 64

#: the queued checks (cleared in place, never rebound: readers test its truth cheaply)
PENDING: list[tuple[Any, tuple, Callable[..., BaseException | None], str]] = []

_LOCK = threading.Lock()


def defer(backend: Any, arrays: tuple, make_error: Callable[..., BaseException | None],
          where: str) -> None:
    """Queue a check: ``make_error(*host_values)`` of ``arrays`` (native arrays of
    ``backend``) returns the exception to raise, or ``None`` when the values are fine."""
    with _LOCK:
        PENDING.append((backend, arrays, make_error, where))
        full = len(PENDING) >= MAX_PENDING
    if full:
        raise_pending()


def pending() -> int:
    """How many checks are queued."""
    return len(PENDING)


def raise_pending() -> None:
    """Evaluate every queued check; raise the first failure (all are cleared either way)."""
    if not PENDING:
        return
    with _LOCK:
        queued = PENDING[:]
        PENDING.clear()
    for backend, arrays, make_error, where in queued:
        values = [backend.to_numpy(a).reshape(()).item() for a in arrays]
        err = make_error(*values)
        if err is not None:
            err.add_note(f"(found by a deferred device-side check of {where} on backend "
                         f"'{backend.name}'; raised at the next read of values)")
            raise err
