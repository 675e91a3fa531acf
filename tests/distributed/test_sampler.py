"""DistributedSampler: PyTorch's split, padding and drop_last (torch as the oracle, unshuffled:
the two libraries' random streams differ), and the shuffle's invariants."""
from __future__ import annotations

import pytest
from xgrad.utils.data import DistributedSampler


@pytest.mark.parametrize("n", [1, 3, 10, 11])
@pytest.mark.parametrize("replicas", [2, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_split_and_padding_match_torch(n: int, replicas: int, drop_last: bool) -> None:
    torch = pytest.importorskip("torch")
    for rank in range(replicas):
        want = torch.utils.data.DistributedSampler(range(n), replicas, rank, shuffle=False,
                                                   drop_last=drop_last)
        got = DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        assert list(got) == list(want) and len(got) == len(want)


def test_shuffle_partitions_and_reshuffles_per_epoch() -> None:
    parts = [DistributedSampler(range(12), 3, r, seed=5) for r in range(3)]
    first = [list(p) for p in parts]
    assert sorted(sum(first, [])) == list(range(12))  # disjoint cover
    assert first == [list(DistributedSampler(range(12), 3, r, seed=5)) for r in range(3)]
    for p in parts:
        p.set_epoch(1)
    second = [list(p) for p in parts]
    assert second != first and sorted(sum(second, [])) == list(range(12))


def test_padding_repeats_the_permutation_head() -> None:
    ranks = [list(DistributedSampler(range(5), 4, r, seed=1)) for r in range(4)]
    flat = [ranks[i % 4][i // 4] for i in range(8)]
    assert flat[5:] == flat[:3] and sorted(flat[:5]) == list(range(5))


def test_invalid_rank_message_is_pytorchs() -> None:
    with pytest.raises(ValueError, match=r"Invalid rank 3, rank should be in the interval \[0, 2\]"):
        DistributedSampler(range(4), 3, 3)
