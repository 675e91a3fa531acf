"""xgrad.multiprocessing: tensors pickle by value, shared tensors travel by reference, and
processes training one shared model (Hogwild, as pytorch/examples mnist_hogwild) all update
the same weights under both start methods."""
from __future__ import annotations

import pickle

import numpy as np
import pytest
import xgrad
import xgrad.multiprocessing as mp
from xgrad import nn


def _sgd_on_shared(rank: int, model: nn.Module) -> None:
    opt = xgrad.optim.SGD(model.parameters(), lr=1.0)
    for _ in range(5):
        opt.zero_grad()
        (model.weight.sum() * (rank + 1)).backward()  # d/dw = rank + 1 for every entry
        opt.step()


def _write_rank(rank: int, shared: xgrad.Tensor, private: xgrad.Tensor) -> None:
    with xgrad.no_grad():
        shared[rank] = rank + 10
        private.fill_(-1)


def _fail(rank: int) -> None:
    if rank == 1:
        raise ValueError("rank one fails on purpose")


def test_pickle_by_value_keeps_class_dtype_device_and_flags():
    a = xgrad.tensor([[1.5, -2.0]], requires_grad=True)
    b = pickle.loads(pickle.dumps(a * 2))  # a non-leaf arrives as a leaf, as in PyTorch
    assert b.requires_grad and b.is_leaf and b.tolist() == [[3.0, -4.0]]
    p = pickle.loads(pickle.dumps(nn.Parameter(xgrad.ones(2))))
    assert type(p) is nn.Parameter and p.requires_grad
    x = xgrad.arange(4, dtype=xgrad.int32, device="reference")
    x.note = "kept"
    y = pickle.loads(pickle.dumps(x))
    assert (y.dtype, y.device.type, y.note, y.tolist()) == (xgrad.int32, "reference", "kept",
                                                              [0, 1, 2, 3])
    d = pickle.loads(pickle.dumps(xgrad.device("reference")))  # mnist_hogwild passes one
    assert d == xgrad.device("reference") and str(d) == "reference"
    m = pickle.loads(pickle.dumps(nn.Linear(3, 2)))
    assert isinstance(m.weight, nn.Parameter) and tuple(m.weight.shape) == (2, 3)


def test_share_memory_and_its_errors():
    t = xgrad.ones(3)
    assert not t.is_shared()
    assert t.share_memory_() is t and t.is_shared()
    assert t.share_memory_() is t  # idempotent
    with xgrad.no_grad():
        t.add_(1)  # in-place ops keep writing the shared block
    assert t.is_shared() and t.tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(RuntimeError, match="only tensors of the numpy backend"):
        xgrad.ones(2, device="reference").share_memory_()
    base = xgrad.ones(4)
    with pytest.raises(RuntimeError, match="view"):
        base[1:].share_memory_()
    m = nn.BatchNorm1d(3).share_memory()
    assert all(p.is_shared() for p in m.parameters()) and all(b.is_shared() for b in m.buffers())


@pytest.mark.parametrize("method", ["spawn", "fork"])
def test_hogwild_processes_update_one_shared_model(method):
    ctx = mp.get_context(method)
    model = nn.Linear(3, 1, bias=False)
    with xgrad.no_grad():
        model.weight.zero_()
    model.share_memory()
    procs = [ctx.Process(target=_sgd_on_shared, args=(r, model)) for r in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    # 5 steps of lr 1 with gradient 1 (rank 0) and 2 (rank 1): -5 - 10 on every entry
    np.testing.assert_array_equal(model.weight.detach().numpy(), np.full((1, 3), -15.0))


def test_spawn_shares_only_shared_tensors():
    shared = xgrad.zeros(2).share_memory_()
    private = xgrad.zeros(2)
    mp.spawn(_write_rank, args=(shared, private), nprocs=2)
    assert shared.tolist() == [10.0, 11.0]  # written by the children
    assert private.tolist() == [0.0, 0.0]  # each child wrote its own copy


def test_spawn_reports_the_failing_process():
    with pytest.raises(mp.ProcessRaisedException, match="rank one fails on purpose") as info:
        mp.spawn(_fail, nprocs=2)
    assert info.value.error_index == 1


def test_stdlib_names_and_sharing_strategy():
    assert mp.Process is __import__("multiprocessing").Process and mp.cpu_count() >= 1
    assert mp.get_sharing_strategy() in mp.get_all_sharing_strategies()
    with pytest.raises(ValueError, match="not supported"):
        mp.set_sharing_strategy("file_descriptor_x")
