"""DataLoader worker processes (``num_workers > 0``), as PyTorch's.

Each worker is a process of the loader's multiprocessing context with its own copy of the
dataset. The main process sends it batches of indices (a map-style dataset) or asks it for
its next batch (an iterable dataset, which each worker iterates whole unless it shards
itself with :func:`get_worker_info`); results come back on one queue and are yielded in
order. Worker ``i`` seeds xgrad's and Python's RNG with ``base_seed + i`` (``base_seed`` is
drawn from the loader's generator each epoch) and then calls ``worker_init_fn(i)``. An
exception in a worker is raised again in the main process, of the same type, with the
worker's traceback; a worker that dies raises RuntimeError naming its pid.
"""
from __future__ import annotations

import multiprocessing
import queue
import random
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ...random import manual_seed

__all__ = ["WorkerInfo", "get_worker_info", "MultiProcessIterator"]

_POLL_S = 2.0  # how often a waiting main process checks that its workers are alive


@dataclass(frozen=True)
class WorkerInfo:
    """What :func:`get_worker_info` returns inside a worker."""

    id: int
    num_workers: int
    seed: int
    dataset: Any


_INFO: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """The current worker's ``id``, ``num_workers``, ``seed`` and ``dataset`` copy inside a
    DataLoader worker process; ``None`` in the main process."""
    return _INFO


class _Failure:
    """An exception raised in a worker, carried to the main process."""

    def __init__(self, worker_id: int, exc: BaseException) -> None:
        self.exc_type = type(exc)
        self.text = (f"Caught {type(exc).__name__} in DataLoader worker process {worker_id}.\n"
                     f"Original {traceback.format_exc()}")

    def reraise(self) -> None:
        try:
            err = self.exc_type(self.text)
        except Exception:  # noqa: BLE001 - an exception type that takes other arguments
            err = RuntimeError(self.text)
        raise err


class _End:
    """An iterable dataset's worker ran out of samples."""


def _loop(dataset: Any, iterable: bool, collate: Callable, batch_size: int | None,
          drop_last: bool, auto_collation: bool, init_fn: Callable | None, worker_id: int,
          num_workers: int, tasks: Any, results: Any) -> None:
    global _INFO
    stream: Iterator[Any] | None = None
    while True:
        task = tasks.get()
        if task is None:
            return
        kind, idx, payload = task
        try:
            if kind == "epoch":  # a new epoch: reseed, (re)initialise, restart the iterator
                _INFO = WorkerInfo(worker_id, num_workers, payload, dataset)
                manual_seed(payload)
                random.seed(payload)
                if init_fn is not None:
                    init_fn(worker_id)
                stream = iter(dataset) if iterable else None
                continue
            if not iterable:
                samples = [dataset[i] for i in payload] if auto_collation else dataset[payload]
                results.put((idx, collate(samples)))
                continue
            if batch_size is None:
                results.put((idx, collate(next(stream))))
                continue
            batch = []
            for sample in stream:
                batch.append(sample)
                if len(batch) == batch_size:
                    break
            if not batch or (len(batch) < batch_size and drop_last):
                results.put((idx, _End()))
            else:
                results.put((idx, collate(batch)))
        except StopIteration:
            results.put((idx, _End()))
        except Exception as exc:  # noqa: BLE001 - carried to the main process
            results.put((idx, _Failure(worker_id, exc)))


class _Pool:
    """The worker processes of one DataLoader (kept across epochs with persistent_workers)."""

    def __init__(self, loader: Any) -> None:
        ctx = loader.multiprocessing_context
        if ctx is None:
            ctx = multiprocessing.get_context()
        elif isinstance(ctx, str):
            ctx = multiprocessing.get_context(ctx)
        self.results = ctx.Queue()
        self.epoch = 0
        self.tasks = []
        self.procs = []
        auto = loader.batch_sampler is not None
        for i in range(loader.num_workers):
            q = ctx.Queue()
            p = ctx.Process(target=_loop, daemon=True, args=(
                loader.dataset, loader._iterable, loader.collate_fn, loader.batch_size,
                loader.drop_last, auto, loader.worker_init_fn, i, loader.num_workers, q,
                self.results))
            p.start()
            self.tasks.append(q)
            self.procs.append(p)

    def get(self, timeout: float) -> tuple[int, Any]:
        waited = 0.0
        while True:
            step = _POLL_S if not timeout else min(_POLL_S, timeout - waited)
            try:
                return self.results.get(timeout=step)
            except queue.Empty:
                waited += step
                dead = [p.pid for p in self.procs if not p.is_alive()]
                if dead:
                    raise RuntimeError(f"DataLoader worker (pid(s) {', '.join(map(str, dead))}) "
                                       f"exited unexpectedly") from None
                if timeout and waited >= timeout:
                    raise RuntimeError(f"DataLoader timed out after {timeout} seconds") from None

    def close(self) -> None:
        for q in self.tasks:
            try:
                q.put(None)
            except (OSError, ValueError):
                pass
        for p in self.procs:
            p.join(5)
            if p.is_alive():
                p.terminate()
        self.procs = []


class MultiProcessIterator:
    """One epoch over a DataLoader with worker processes."""

    def __init__(self, loader: Any, base_seed: int) -> None:
        self.loader = loader
        pool = loader._pool if loader.persistent_workers else None
        self.pool = pool or _Pool(loader)
        if loader.persistent_workers:
            loader._pool = self.pool
        self.pool.epoch += 1  # results of an epoch left unfinished are dropped
        self.epoch = self.pool.epoch
        n = loader.num_workers
        for i, q in enumerate(self.pool.tasks):
            q.put(("epoch", None, base_seed + i))
        self.prefetch = (loader.prefetch_factor or 2) * n
        self.order = iter(loader.batch_sampler if loader.batch_sampler is not None
                          else loader.sampler) if not loader._iterable else None
        self.live = list(range(n))  # workers that may still produce (iterable datasets)
        self.next_worker = 0
        self.sent = self.done = 0
        self.pending: dict[int, Any] = {}
        self.owner: dict[int, int] = {}

    def _send(self) -> bool:
        if self.order is not None:
            try:
                payload = next(self.order)
            except StopIteration:
                return False
        else:
            if not self.live:
                return False
            payload = None
        w = self.live[self.next_worker % len(self.live)] if self.order is None \
            else self.next_worker % self.loader.num_workers
        self.next_worker += 1
        self.pool.tasks[w].put(("batch", (self.epoch, self.sent), payload))
        self.owner[self.sent] = w
        self.sent += 1
        return True

    def __iter__(self) -> Iterator[Any]:
        try:
            while self.sent - self.done < self.prefetch and self._send():
                pass
            while self.done < self.sent:
                while self.done not in self.pending:
                    (epoch, idx), data = self.pool.get(self.loader.timeout)
                    if epoch == self.epoch:
                        self.pending[idx] = data
                data = self.pending.pop(self.done)
                w = self.owner.pop(self.done)
                self.done += 1
                if isinstance(data, _Failure):
                    data.reraise()
                if isinstance(data, _End):
                    if w in self.live:
                        self.live.remove(w)
                else:
                    yield data
                while self.sent - self.done < self.prefetch and self._send():
                    pass
        finally:
            if not self.loader.persistent_workers:
                self.pool.close()
