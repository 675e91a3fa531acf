"""``xgrad.multiprocessing``: Python's :mod:`multiprocessing` with tensors that can be shared.

Everything of :mod:`multiprocessing` is here under its own name (``Process``, ``Queue``,
``set_start_method``, ``get_context``, ...), as in ``torch.multiprocessing``. What it adds:

* tensors (and ``nn.Parameter``/``Buffer``) sent to another process after
  ``t.share_memory_()`` (``model.share_memory()``) travel as a reference to their shared
  memory, so every process updates the same values (Hogwild training); other tensors are
  copied by value;
* :func:`spawn` — start ``nprocs`` processes running ``fn(i, *args)`` and join them, raising
  :class:`ProcessRaisedException` (with the child's traceback) when one fails.
"""
from __future__ import annotations

import multiprocessing as _mp
import traceback as _traceback
from multiprocessing import *  # noqa: F403  (the whole stdlib API under its own names)
from typing import Any

from . import shared_memory as _shared

__all__ = [*_mp.__all__, "spawn", "start_processes", "ProcessContext", "ProcessRaisedException",
           "ProcessExitedException", "get_all_sharing_strategies", "get_sharing_strategy",
           "set_sharing_strategy"]

_shared.register_reductions()


def get_all_sharing_strategies() -> set[str]:
    """The ways tensors are shared: named shared-memory blocks (``file_system``, PyTorch's
    name for the same idea)."""
    return {"file_system"}


def get_sharing_strategy() -> str:
    """The current sharing strategy: ``'file_system'``."""
    return "file_system"


def set_sharing_strategy(new_strategy: str) -> None:
    """Accepts ``'file_system'`` (the only one); anything else raises ValueError."""
    if new_strategy not in get_all_sharing_strategies():
        raise ValueError(f"sharing strategy '{new_strategy}' is not supported; supported: "
                         f"{sorted(get_all_sharing_strategies())}")


class ProcessRaisedException(Exception):
    """A process started by :func:`spawn` raised; the message holds its traceback."""

    def __init__(self, msg: str, error_index: int, error_pid: int) -> None:
        super().__init__(msg)
        self.error_index = error_index
        self.pid = error_pid


class ProcessExitedException(Exception):
    """A process started by :func:`spawn` exited with a non-zero code (or a signal)."""

    def __init__(self, msg: str, error_index: int, error_pid: int, exit_code: int) -> None:
        super().__init__(msg)
        self.error_index = error_index
        self.pid = error_pid
        self.exit_code = exit_code


def _wrap(fn: Any, i: int, args: tuple, errors: Any) -> None:
    _shared.register_reductions()
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass
    except Exception:
        errors.put(_traceback.format_exc())
        raise SystemExit(1) from None


class ProcessContext:
    """The processes :func:`spawn` started; :meth:`join` waits for them."""

    def __init__(self, processes: list, error_queues: list) -> None:
        self.processes = processes
        self.error_queues = error_queues

    def pids(self) -> list[int]:
        """Process ids of the children."""
        return [p.pid for p in self.processes]

    def join(self, timeout: float | None = None) -> bool:
        """Wait for every process; True when all ended. The first failure raises (the others
        are terminated): :class:`ProcessRaisedException` or :class:`ProcessExitedException`."""
        for p in self.processes:
            p.join(timeout)
        for i, p in enumerate(self.processes):
            if p.exitcode not in (None, 0):
                for other in self.processes:
                    if other.is_alive():
                        other.terminate()
                q = self.error_queues[i]
                if not q.empty():
                    msg = f"\n\n-- Process {i} terminated with the following error:\n{q.get()}"
                    raise ProcessRaisedException(msg, i, p.pid)
                raise ProcessExitedException(f"process {i} terminated with exit code "
                                             f"{p.exitcode}", i, p.pid, p.exitcode)
        return all(p.exitcode is not None for p in self.processes)


def start_processes(fn: Any, args: tuple = (), nprocs: int = 1, join: bool = True,
                    daemon: bool = False, start_method: str = "spawn") -> ProcessContext | None:
    """Start ``nprocs`` processes of ``start_method`` running ``fn(i, *args)``; with ``join``
    wait for them (see :meth:`ProcessContext.join`), else return the context."""
    ctx = _mp.get_context(start_method)
    queues, procs = [], []
    for i in range(int(nprocs)):
        q = ctx.SimpleQueue()
        p = ctx.Process(target=_wrap, args=(fn, i, tuple(args), q), daemon=daemon)
        p.start()
        queues.append(q)
        procs.append(p)
    context = ProcessContext(procs, queues)
    if not join:
        return context
    context.join()
    return None


def spawn(fn: Any, args: tuple = (), nprocs: int = 1, join: bool = True, daemon: bool = False,
          start_method: str = "spawn") -> ProcessContext | None:
    """``torch.multiprocessing.spawn``: :func:`start_processes` with the spawn start method."""
    return start_processes(fn, args, nprocs, join, daemon, start_method)
