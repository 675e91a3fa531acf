"""DataLoader worker processes (num_workers > 0): the same batches in the same order as in
process, work really spread over processes, PyTorch's seeding, worker_init_fn and
get_worker_info, iterable datasets sharded by worker, errors carried back, and both start
methods."""
from __future__ import annotations

import os

import pytest
import xgrad
from xgrad.utils.data import DataLoader, Dataset, IterableDataset, TensorDataset, get_worker_info


class Tagged(Dataset):
    """Item i: (i, the worker id and pid that loaded it, a random draw in that worker)."""

    def __len__(self):
        return 12

    def __getitem__(self, i):
        info = get_worker_info()
        wid = -1 if info is None else info.id
        return {"i": i, "worker": wid, "pid": os.getpid(), "draw": xgrad.rand(()).item(),
                "init": os.environ.get("XGRAD_TEST_WORKER_INIT", "")}


class Shards(IterableDataset):
    """range(n), split between the workers as PyTorch's documentation shows."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))


class Fails(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 2:
            raise KeyError(f"no item {i}")
        return i


def _init(worker_id):
    os.environ["XGRAD_TEST_WORKER_INIT"] = f"w{worker_id}"


def _batches(loader):
    return [{k: (v.tolist() if isinstance(v, xgrad.Tensor) else v) for k, v in b.items()}
            for b in loader]


def test_same_batches_as_in_process_with_shuffle():
    x = xgrad.arange(40.0).reshape(20, 2)
    ds = TensorDataset(x, xgrad.arange(20))
    runs = []
    for workers in (0, 3):
        g = xgrad.Generator().manual_seed(7)
        loader = DataLoader(ds, batch_size=3, shuffle=True, generator=g, num_workers=workers,
                            drop_last=True)
        runs.append([(a.tolist(), b.tolist()) for a, b in loader])
    assert runs[0] == runs[1] and len(runs[1]) == 6


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_work_is_spread_over_seeded_workers(method):
    xgrad.manual_seed(0)
    loader = DataLoader(Tagged(), batch_size=2, num_workers=3, worker_init_fn=_init,
                        multiprocessing_context=method)
    batches = _batches(loader)
    assert [b["i"] for b in batches] == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9], [10, 11]]
    assert [b["worker"] for b in batches] == [[0, 0], [1, 1], [2, 2]] * 2  # round robin
    pids = {p for b in batches for p in b["pid"]}
    assert len(pids) == 3 and os.getpid() not in pids
    assert [b["init"] for b in batches[:3]] == [["w0", "w0"], ["w1", "w1"], ["w2", "w2"]]
    draws = [d for b in batches for d in b["draw"]]
    assert len(set(draws)) == len(draws)  # each worker has its own stream
    xgrad.manual_seed(0)
    again = _batches(DataLoader(Tagged(), batch_size=2, num_workers=3, worker_init_fn=_init,
                                multiprocessing_context=method))
    assert [b["draw"] for b in again] == [b["draw"] for b in batches]  # seeded from the loader


def test_iterable_dataset_sharded_by_worker():
    loader = DataLoader(Shards(11), batch_size=2, num_workers=2)
    got = sorted(v for b in loader for v in b.tolist())
    assert got == list(range(11))
    # without sharding every worker yields the whole stream, as in PyTorch
    class Whole(IterableDataset):
        def __iter__(self):
            return iter(range(3))

    assert sorted(v for b in DataLoader(Whole(), batch_size=None, num_workers=2)
                  for v in [int(b)]) == [0, 0, 1, 1, 2, 2]


def test_worker_error_is_raised_with_its_traceback():
    with pytest.raises(KeyError, match="Caught KeyError in DataLoader worker process 0") as info:
        list(DataLoader(Fails(), batch_size=None, num_workers=2))
    assert "no item 2" in str(info.value)


def test_persistent_workers_keep_their_processes():
    loader = DataLoader(Tagged(), batch_size=4, num_workers=2, persistent_workers=True)
    first = {p for b in _batches(loader) for p in b["pid"]}
    second = {p for b in _batches(loader) for p in b["pid"]}
    assert first == second and len(first) == 2
    del loader


def test_option_checks_match_pytorch():
    with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
        DataLoader(Tagged(), persistent_workers=True)
    with pytest.raises(ValueError, match="prefetch_factor option could only be specified in "
                                         "multiprocessing"):
        DataLoader(Tagged(), prefetch_factor=2)


def test_torch_agrees_on_order_and_worker_ids():
    torch = pytest.importorskip("torch")

    class TorchTagged(torch.utils.data.Dataset):
        def __len__(self):
            return 12

        def __getitem__(self, i):
            return torch.utils.data.get_worker_info().id

    theirs = [b.tolist() for b in torch.utils.data.DataLoader(TorchTagged(), batch_size=2,
                                                              num_workers=3)]
    ours = [b["worker"] for b in _batches(DataLoader(Tagged(), batch_size=2, num_workers=3))]
    assert ours == theirs
