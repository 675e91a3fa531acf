"""WeightedRandomSampler, SubsetRandomSampler, StackDataset and ChainDataset: behaviour against
closed-form probabilities (the RNGs differ from torch's, so frequencies, not draws) and against
torch.utils.data for everything deterministic (lengths, samples, errors)."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad
from xgrad.utils.data import (
    ChainDataset,
    DataLoader,
    IterableDataset,
    StackDataset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
)

torch = pytest.importorskip("torch")
tud = torch.utils.data

#: Upper 1e-6 tail of the chi-square distribution with 3 and 4 degrees of freedom.
CHI2_CRIT = {3: 30.66, 4: 33.38}


def _chi2(counts, probs):
    expected = np.asarray(probs) * sum(counts)
    return float(((np.asarray(counts) - expected) ** 2 / expected).sum())


def test_weighted_with_replacement_frequencies_follow_the_weights():
    weights = [1.0, 2.0, 0.0, 3.0, 4.0]
    sampler = WeightedRandomSampler(weights, 20000, generator=xgrad.Generator().manual_seed(3))
    draws = list(sampler)
    assert len(draws) == len(sampler) == 20000
    counts = np.bincount(draws, minlength=5)
    assert counts[2] == 0  # a zero weight is never drawn
    nz = [0, 1, 3, 4]
    p = np.array([weights[i] for i in nz]) / sum(weights)
    assert _chi2(counts[nz], p) < CHI2_CRIT[3]


def test_weighted_without_replacement_draws_each_index_once_first_by_weight():
    weights = xgrad.tensor([1.0, 2.0, 3.0, 4.0, 10.0])
    gen = xgrad.Generator().manual_seed(11)
    sampler = WeightedRandomSampler(weights, 5, replacement=False, generator=gen)
    firsts = []
    for _ in range(2000):
        draws = list(sampler)
        assert sorted(draws) == [0, 1, 2, 3, 4]
        firsts.append(draws[0])
    p = weights.numpy() / weights.numpy().sum()
    assert _chi2(np.bincount(firsts, minlength=5), p) < CHI2_CRIT[4]


def test_weighted_reproducible_with_manual_seed_and_generator():
    w = [0.5, 0.1, 0.4]
    xgrad.manual_seed(7)
    a = list(WeightedRandomSampler(w, 50))
    xgrad.manual_seed(7)
    b = list(WeightedRandomSampler(w, 50))
    c = list(WeightedRandomSampler(w, 50))
    assert a == b != c
    g1, g2 = xgrad.Generator().manual_seed(1), xgrad.Generator().manual_seed(1)
    assert list(WeightedRandomSampler(w, 50, generator=g1)) == \
        list(WeightedRandomSampler(w, 50, generator=g2))


def test_weighted_matches_torch_attributes_and_errors():
    xs, ts = WeightedRandomSampler([1, 2, 3], 4), tud.WeightedRandomSampler([1, 2, 3], 4)
    assert (len(xs), xs.num_samples, xs.replacement) == (len(ts), ts.num_samples, ts.replacement)
    assert xs.weights.dtype == xgrad.float64 and xs.weights.tolist() == ts.weights.tolist()
    for args, kw in [(([1, 2], 0), {}), (([1, 2], True), {}), (([1, 2], 2.0), {}),
                     (([1, 2], 2), dict(replacement=1)), (([[1, 2], [3, 4]], 2), {})]:
        with pytest.raises(ValueError) as te:
            tud.WeightedRandomSampler(*args, **kw)
        with pytest.raises(ValueError) as xe:
            WeightedRandomSampler(*args, **kw)
        assert str(xe.value) == str(te.value)


def test_weighted_sampler_drives_a_dataloader():
    ds = TensorDataset(xgrad.arange(6))
    loader = DataLoader(ds, batch_size=4, sampler=WeightedRandomSampler(
        [0, 0, 1, 0, 1, 0], 10, generator=xgrad.Generator().manual_seed(0)))
    batches = [b[0].tolist() for b in loader]
    assert [len(b) for b in batches] == [4, 4, 2]
    assert set(sum(batches, [])) <= {2, 4}


def test_subset_random_sampler_is_a_permutation_of_the_indices():
    idx = [3, 9, 4, 12, 7]
    s = SubsetRandomSampler(idx, generator=xgrad.Generator().manual_seed(5))
    passes = [list(s) for _ in range(30)]
    assert all(sorted(p) == sorted(idx) for p in passes) and len(s) == 5
    assert len({tuple(p) for p in passes}) > 1


def test_stack_dataset_matches_torch():
    a, b = [10, 11, 12], ["x", "y", "z"]
    for args, kw in [((a, b), {}), ((), dict(num=a, name=b))]:
        xd, td = StackDataset(*args, **kw), tud.StackDataset(*args, **kw)
        assert len(xd) == len(td) == 3
        assert [xd[i] for i in range(3)] == [td[i] for i in range(3)]
        assert xd.__getitems__([2, 0]) == td.__getitems__([2, 0])
    for args, kw in [((a, b[:2]), {}), ((), dict(p=a, q=b[:1])), ((a,), dict(q=b)), ((), {})]:
        with pytest.raises(ValueError) as te:
            tud.StackDataset(*args, **kw)
        with pytest.raises(ValueError) as xe:
            StackDataset(*args, **kw)
        assert str(xe.value) == str(te.value)


def test_stack_dataset_uses_nested_getitems_and_batches_in_a_dataloader():
    x = TensorDataset(xgrad.arange(8).reshape(4, 2))

    class Batched(list):
        def __getitems__(self, indices):
            return [self[i] * 100 for i in indices]
    ds = StackDataset(feat=x, label=Batched([1, 2, 3, 4]))
    assert ds.__getitems__([3, 1])[0]["label"] == 400
    batch = next(iter(DataLoader(ds, batch_size=2)))
    assert batch["feat"][0].tolist() == [[0, 1], [2, 3]] and batch["label"].tolist() == [100, 200]

    class Short(list):
        def __getitems__(self, indices):
            return [0]
    with pytest.raises(ValueError, match="Nested dataset's output size mismatch. Expected 2, got 1"):
        StackDataset(Short([1, 2])).__getitems__([0, 1])


class Stream(IterableDataset):
    def __init__(self, items):
        self.items = items

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)


def test_chain_dataset_matches_torch():
    class TStream(tud.IterableDataset):
        def __init__(self, items):
            self.items = items

        def __iter__(self):
            return iter(self.items)

        def __len__(self):
            return len(self.items)
    parts = [[1, 2], [], [3, 4, 5]]
    xd, td = ChainDataset([Stream(p) for p in parts]), tud.ChainDataset([TStream(p) for p in parts])
    assert list(xd) == list(td) == [1, 2, 3, 4, 5] and list(xd) == [1, 2, 3, 4, 5]
    assert len(xd) == len(td) == 5
    assert [b.tolist() for b in DataLoader(xd, batch_size=2)] == [[1, 2], [3, 4], [5]]
    bad = ChainDataset([Stream([1]), TensorDataset(xgrad.arange(2))])
    with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
        list(bad)
    with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
        len(bad)
