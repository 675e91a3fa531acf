"""xgrad.utils.data: batching, shuffling, collation, splits, samplers."""
from __future__ import annotations

from collections import namedtuple

import numpy as np
import pytest
import xgrad
from xgrad.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)


def make(n=10, device="numpy"):
    x = xgrad.arange(n * 2, dtype=xgrad.float32, device=device).reshape(n, 2)
    y = xgrad.arange(n, device=device)
    return TensorDataset(x, y)


def test_batching_and_drop_last(backend):
    ds = make(10, backend)
    batches = list(DataLoader(ds, batch_size=4))
    assert [b[0].shape[0] for b in batches] == [4, 4, 2]
    assert batches[0][0].device.type == backend
    assert xgrad.cat([b[1] for b in batches]).tolist() == list(range(10))
    np.testing.assert_array_equal(batches[1][0].numpy(), np.arange(8, 16).reshape(4, 2))
    dl = DataLoader(ds, batch_size=4, drop_last=True)
    assert len(dl) == 2 and [b[1].tolist() for b in dl] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(DataLoader(ds, batch_size=4)) == 3


def test_shuffle_reproducible_with_generator():
    ds = make(20)

    def order(gen):
        return [i for _, y in DataLoader(ds, batch_size=6, shuffle=True, generator=gen)
                for i in y.tolist()]

    a = order(xgrad.Generator().manual_seed(7))
    b = order(xgrad.Generator().manual_seed(7))
    c = order(xgrad.Generator().manual_seed(8))
    assert a == b and sorted(a) == list(range(20)) and a != list(range(20)) and a != c
    gen = xgrad.Generator().manual_seed(7)
    dl = DataLoader(ds, batch_size=20, shuffle=True, generator=gen)
    e1, e2 = [next(iter(dl))[1].tolist() for _ in range(2)]
    assert e1 == a and e2 != e1 and sorted(e2) == list(range(20))  # new permutation each epoch
    xgrad.manual_seed(3)
    d1 = [y.tolist() for _, y in DataLoader(ds, batch_size=20, shuffle=True)]
    xgrad.manual_seed(3)
    d2 = [y.tolist() for _, y in DataLoader(ds, batch_size=20, shuffle=True)]
    assert d1 == d2


def test_default_collate_structures():
    Point = namedtuple("Point", "x y")
    batch = [{"img": np.ones((2,), np.float32) * i, "label": i, "w": 0.5 * i, "name": f"s{i}",
              "pair": (xgrad.tensor([i, i]), True), "pt": Point(i, 2 * i)} for i in range(3)]
    out = default_collate(batch)
    assert out["img"].dtype is xgrad.float32 and out["img"].tolist() == [[0, 0], [1, 1], [2, 2]]
    assert out["label"].dtype is xgrad.int64 and out["label"].tolist() == [0, 1, 2]
    assert out["w"].dtype is xgrad.float64 and out["w"].tolist() == [0.0, 0.5, 1.0]
    assert out["name"] == ["s0", "s1", "s2"]
    assert isinstance(out["pair"], list) and out["pair"][0].tolist() == [[0, 0], [1, 1], [2, 2]]
    assert out["pair"][1].dtype is xgrad.bool and out["pair"][1].tolist() == [True] * 3
    assert isinstance(out["pt"], Point) and out["pt"].y.tolist() == [0, 2, 4]
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [1]])
    with pytest.raises(RuntimeError, match=r"\(2,\) at entry 0 and \(3,\) at entry 1"):
        default_collate([xgrad.zeros(2), xgrad.zeros(3)])
    with pytest.raises(TypeError, match="found <class 'object'>"):
        default_collate([object()])


def test_custom_collate_sampler_and_batch_sampler():
    ds = make(6)
    dl = DataLoader(ds, batch_size=2, collate_fn=lambda b: [int(y) for _, y in b])
    assert list(dl) == [[0, 1], [2, 3], [4, 5]]
    dl = DataLoader(ds, batch_size=3, sampler=[5, 4, 3, 2, 1, 0])
    assert [y.tolist() for _, y in dl] == [[5, 4, 3], [2, 1, 0]]
    bs = BatchSampler(SequentialSampler(ds), 4, drop_last=False)
    assert list(bs) == [[0, 1, 2, 3], [4, 5]] and len(bs) == 2
    dl = DataLoader(ds, batch_sampler=bs)
    assert [y.tolist() for _, y in dl] == [[0, 1, 2, 3], [4, 5]]
    dl = DataLoader(ds, batch_size=None)
    assert [y.item() for _, y in dl] == list(range(6))
    rs = RandomSampler(ds, replacement=True, num_samples=40, generator=xgrad.Generator().manual_seed(1))
    draws = list(rs)
    assert len(draws) == 40 and set(draws) <= set(range(6)) and len(set(draws)) > 1
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(ds, sampler=[0], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(ds, batch_sampler=bs, batch_size=2)
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        DataLoader(ds, num_workers=-1)


def test_num_workers_gives_the_same_batches():
    assert [y.tolist() for _, y in DataLoader(make(4), batch_size=2, num_workers=2)] == [[0, 1], [2, 3]]


def test_iterable_dataset():
    class Stream(IterableDataset):
        def __iter__(self):
            return iter(range(7))

    assert [b.tolist() for b in DataLoader(Stream(), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert len(list(DataLoader(Stream(), batch_size=3, drop_last=True))) == 2
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        DataLoader(Stream(), shuffle=True)


def test_random_split_subset_concat():
    ds = make(10)
    parts = random_split(ds, [3, 7], generator=xgrad.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [3, 7]
    idx = sorted(parts[0].indices + parts[1].indices)
    assert idx == list(range(10))
    again = random_split(ds, [3, 7], generator=xgrad.Generator().manual_seed(0))
    assert again[0].indices == parts[0].indices
    fr = random_split(range(11), [0.5, 0.3, 0.2], generator=xgrad.Generator().manual_seed(0))
    assert [len(p) for p in fr] == [6, 3, 2]  # floors 5, 3, 2; the remainder goes to the first
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(ds, [3, 3])
    sub = Subset(ds, [9, 0])
    assert sub[0][1].item() == 9 and len(sub) == 2
    cat = ConcatDataset([sub, make(3)])
    assert len(cat) == 5 and cat[2][1].item() == 0 and cat[-1][1].item() == 2
    assert len(sub + make(3)) == 5
    with pytest.raises(ValueError, match="Size mismatch"):
        TensorDataset(xgrad.zeros(3), xgrad.zeros(4))

    class NoItems(Dataset):
        pass

    with pytest.raises(NotImplementedError):
        NoItems()[0]
