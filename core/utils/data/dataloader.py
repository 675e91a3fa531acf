"""``DataLoader``: iterate a dataset in (shuffled) batches."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ...random import Generator, default_generator
from .collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler
from .worker import MultiProcessIterator, get_worker_info

__all__ = ["DataLoader", "get_worker_info"]


class DataLoader:
    """Batches of ``dataset``, as ``torch.utils.data.DataLoader``.

    ``shuffle=True`` draws a new permutation every epoch from ``generator`` (or from a generator
    seeded off the default one, so ``xgrad.manual_seed`` makes it reproducible). ``sampler``
    and ``batch_sampler`` replace the index order; ``collate_fn`` (default
    :func:`default_collate`) merges samples; ``batch_size=None`` disables batching.

    ``num_workers > 0`` loads in that many worker processes (see
    :mod:`xgrad.utils.data.worker`: ``multiprocessing_context``, ``worker_init_fn``,
    ``prefetch_factor`` batches per worker in flight, ``persistent_workers``, ``timeout``;
    :func:`get_worker_info` inside a worker), batches still in order. ``pin_memory`` is
    accepted and has no effect (no page-locked host memory on these backends).
    """

    def __init__(self, dataset: Dataset | Iterable[Any], batch_size: int | None = 1,
                 shuffle: bool | None = None, sampler: Sampler | Iterable[int] | None = None,
                 batch_sampler: Sampler | Iterable[list[int]] | None = None, num_workers: int = 0,
                 collate_fn: Callable[[list[Any]], Any] | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable[[int], None] | None = None,
                 multiprocessing_context: Any = None, generator: Generator | None = None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "") -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        self.dataset = dataset
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.generator = generator
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set "
                             "prefetch_factor to None.")
        if num_workers == 0 and persistent_workers:
            raise ValueError("persistent_workers option needs num_workers > 0")
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.multiprocessing_context = multiprocessing_context
        self._pool = None
        self._epochs = 0
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (None, False):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None and not self._iterable:
            sampler = RandomSampler(dataset, generator=generator) if shuffle \
                else SequentialSampler(dataset)  # type: ignore[arg-type]
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)  # type: ignore[arg-type]
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        if collate_fn is None:
            collate_fn = default_convert if batch_size is None and batch_sampler is None \
                else default_collate
        self.collate_fn = collate_fn

    def __iter__(self) -> Iterator[Any]:
        if self.num_workers > 0:
            self._epochs += 1
            return iter(MultiProcessIterator(self, self._base_seed()))
        return self._in_process()

    def _base_seed(self) -> int:
        """The workers' base seed of this epoch, from the generator's state without advancing
        it (so the batches are the same with and without workers) and the epoch count."""
        g = self.generator if self.generator is not None else default_generator
        mixed = g.initial_seed() * 0x9E3779B97F4A7C15 + g.get_offset() * 0xBF58476D1CE4E5B9
        return (mixed + self._epochs * 0x94D049BB133111EB) % (2 ** 62)

    def __del__(self) -> None:
        pool = self.__dict__.get("_pool")
        if pool is not None:
            pool.close()

    def _in_process(self) -> Iterator[Any]:
        if self._iterable:
            yield from self._iter_stream()
            return
        fetch = getattr(self.dataset, "__getitems__", None)
        if self.batch_sampler is not None:
            for indices in self.batch_sampler:
                samples = fetch(indices) if fetch is not None else \
                    [self.dataset[i] for i in indices]  # type: ignore[index]
                yield self.collate_fn(samples)
        else:
            for i in self.sampler:  # type: ignore[union-attr]
                yield self.collate_fn(self.dataset[i])  # type: ignore[index]

    def _iter_stream(self) -> Iterator[Any]:
        if self.batch_size is None:
            for sample in self.dataset:  # type: ignore[union-attr]
                yield self.collate_fn(sample)
            return
        batch: list[Any] = []
        for sample in self.dataset:  # type: ignore[union-attr]
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)  # type: ignore[arg-type]
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        if self.batch_sampler is not None:
            return len(self.batch_sampler)  # type: ignore[arg-type]
        return len(self.sampler)  # type: ignore[arg-type]
