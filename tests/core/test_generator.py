"""xgrad.Generator: seeded streams independent of the global RNG, accepted by every random
function and fill that PyTorch gives a ``generator=``; PyTorch's argument checks and error
texts (torch is the oracle for those); the distributions checked by closed-form moments."""
from __future__ import annotations

import math

import numpy as np
import pytest
import xgrad
from xgrad.utils.data import DataLoader, RandomSampler, SubsetRandomSampler, random_split

torch = pytest.importorskip("torch")


def _draws(g):
    """One draw from every random entry point that takes a generator."""
    x = xgrad.zeros(6)
    p = xgrad.tensor([0.2, 0.5, 0.3])
    return [
        xgrad.rand(5, generator=g), xgrad.randn(2, 3, generator=g),
        xgrad.randint(0, 10, (4,), generator=g), xgrad.randperm(7, generator=g),
        xgrad.normal(0.0, 1.0, (3,), generator=g), xgrad.normal(xgrad.zeros(3), 2.0, generator=g),
        xgrad.bernoulli(xgrad.full((5,), 0.5), generator=g),
        xgrad.multinomial(p, 2, generator=g),
        xgrad.rand_like(x, generator=g), xgrad.randn_like(x, generator=g),
        xgrad.randint_like(x, 5, generator=g),
        x.clone().uniform_(-1, 1, generator=g), x.clone().normal_(2, 3, generator=g),
        x.clone().random_(0, 9, generator=g), x.clone().bernoulli_(0.3, generator=g),
        x.clone().exponential_(2.0, generator=g), x.clone().geometric_(0.4, generator=g),
        x.clone().cauchy_(generator=g), x.clone().log_normal_(generator=g),
        p.bernoulli(generator=g), p.multinomial(1, generator=g),
        xgrad.nn.init.uniform_(xgrad.zeros(3), generator=g),
        xgrad.nn.init.normal_(xgrad.zeros(3), generator=g),
        xgrad.nn.init.xavier_uniform_(xgrad.zeros(2, 3), generator=g),
        xgrad.nn.init.kaiming_normal_(xgrad.zeros(2, 3), generator=g),
        xgrad.nn.init.trunc_normal_(xgrad.zeros(4), generator=g),
        xgrad.nn.init.orthogonal_(xgrad.zeros(3, 3), generator=g),
    ]


def test_generators_seeded_alike_agree_and_leave_the_global_rng_alone():
    xgrad.manual_seed(123)
    before = xgrad.get_rng_state()
    a = _draws(xgrad.Generator().manual_seed(7))
    assert xgrad.equal(xgrad.get_rng_state(), before)  # the global stream did not move
    xgrad.manual_seed(999)  # a different global seed changes nothing for a seeded generator
    b = _draws(xgrad.Generator().manual_seed(7))
    c = _draws(xgrad.Generator().manual_seed(8))
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    assert sum(not np.array_equal(x.numpy(), y.numpy()) for x, y in zip(a, c, strict=True)) > 20


def test_one_generator_stream_continues_across_calls():
    g = xgrad.Generator().manual_seed(3)
    first, second = xgrad.rand(4, generator=g), xgrad.rand(4, generator=g)
    assert not np.array_equal(first.numpy(), second.numpy())
    both = xgrad.rand(8, generator=xgrad.Generator().manual_seed(3))
    np.testing.assert_array_equal(both.numpy()[:4], first.numpy())


def test_state_offset_and_clone():
    g = xgrad.Generator().manual_seed(11)
    xgrad.rand(3, generator=g)
    state, off = g.get_state(), g.get_offset()
    assert state.dtype is xgrad.int64 and off > 0
    clone = g.clone_state()
    a = xgrad.randn(5, generator=g)
    np.testing.assert_array_equal(xgrad.randn(5, generator=clone).numpy(), a.numpy())
    g.set_state(state)
    np.testing.assert_array_equal(xgrad.randn(5, generator=g).numpy(), a.numpy())
    g.set_offset(off)
    np.testing.assert_array_equal(xgrad.randn(5, generator=g).numpy(), a.numpy())
    big = xgrad.Generator().manual_seed(2 ** 64 - 5)
    assert xgrad.Generator().set_state(big.get_state()).initial_seed() == 2 ** 64 - 5


def test_global_functions_match_torch_api():
    g = xgrad.manual_seed(5)
    assert isinstance(g, xgrad.Generator) and g is xgrad.default_generator
    assert xgrad.initial_seed() == 5 == torch.manual_seed(5).initial_seed()
    state = xgrad.get_rng_state()
    a = xgrad.rand(3)
    xgrad.set_rng_state(state)
    np.testing.assert_array_equal(xgrad.rand(3).numpy(), a.numpy())
    assert xgrad.Generator().initial_seed() == torch.Generator().initial_seed()
    assert xgrad.Generator(device="cpu").device == "cpu"
    assert xgrad.manual_seed(-1).initial_seed() == torch.manual_seed(-1).initial_seed()
    s = xgrad.Generator().seed()
    assert isinstance(s, int) and 0 <= s < 2 ** 64


def _same_error(fx, ft):
    with pytest.raises(Exception) as et:
        ft()
    with pytest.raises(type(et.value)) as ex:
        fx()
    return str(ex.value), str(et.value)


@pytest.mark.parametrize("call", [
    lambda m: m.Generator().manual_seed("a"),
    lambda m: m.Generator().manual_seed(1.5),
    lambda m: m.Generator().manual_seed(2 ** 64),
    lambda m: m.manual_seed("x"),
    lambda m: m.zeros(3).random_(5, 2),
    lambda m: m.zeros(3).uniform_(2, 1),
    lambda m: m.zeros(3).normal_(0, -1),
    lambda m: m.zeros(3).exponential_(-1),
    lambda m: m.zeros(3).geometric_(0),
    lambda m: m.zeros(3).geometric_(1),
    lambda m: m.zeros(3).bernoulli_(1.5),
    lambda m: m.zeros(3).cauchy_(0, -1),
    lambda m: m.zeros(3).log_normal_(0, -1),
    lambda m: m.zeros(2, dtype=m.int64).uniform_(),
    lambda m: m.zeros(2, dtype=m.int32).normal_(),
    lambda m: m.zeros(2, dtype=m.int64).exponential_(),
    lambda m: m.zeros(2, dtype=m.int32).cauchy_(),
    lambda m: m.zeros(2, dtype=m.bool).log_normal_(),
    lambda m: m.zeros(2, dtype=m.bool).geometric_(0.5),
    lambda m: m.ones(2, requires_grad=True).uniform_(),
    lambda m: m.ones(2, requires_grad=True).normal_(),
    lambda m: m.bernoulli(m.tensor([1.5])),
    lambda m: m.randint(5, 2, (3,)),
    lambda m: m.normal(0.0, -1.0, (2,)),
])
def test_errors_match_torch(call):
    got, want = _same_error(lambda: call(xgrad), lambda: call(torch))
    assert got == want


def test_generator_argument_type_is_checked():
    for fn in (lambda: xgrad.rand(2, generator=3), lambda: xgrad.zeros(2).uniform_(generator="g"),
               lambda: xgrad.randperm(3, generator=object())):
        with pytest.raises(TypeError, match="argument 'generator' must be xgrad.Generator, not"):
            fn()
    with pytest.raises(TypeError, match="expected a xgrad.Tensor .* but got int"):
        xgrad.Generator().set_state(3)
    with pytest.raises(RuntimeError, match="int64 tensor of 3 elements"):
        xgrad.Generator().set_state(xgrad.zeros(3))


def test_fills_keep_dtype_and_support_torch_argument_forms():
    g = xgrad.Generator().manual_seed(0)
    ints = xgrad.zeros(2000, dtype=xgrad.int64).random_(3, 7, generator=g)
    assert ints.dtype is xgrad.int64 and set(ints.tolist()) == {3, 4, 5, 6}
    assert set(xgrad.zeros(500).random_(4, generator=g).tolist()) == {0.0, 1.0, 2.0, 3.0}
    assert set(xgrad.zeros(200, dtype=xgrad.bool).random_(generator=g).tolist()) == {False, True}
    top = xgrad.zeros(2000).random_(generator=g)  # [0, 2**24] for float32, as PyTorch
    assert top.min().item() >= 0 and top.max().item() <= 2 ** 24 and top.max().item() > 2 ** 23
    big = xgrad.zeros(2000, dtype=xgrad.int64).random_(generator=g)
    assert big.min().item() >= 0 and big.max().item() > 2 ** 62
    geo = xgrad.zeros(50, dtype=xgrad.int64).geometric_(0.5, generator=g)
    assert geo.dtype is xgrad.int64 and geo.min().item() >= 1
    rows = xgrad.zeros(1000, 3).bernoulli_(xgrad.tensor([0.0, 1.0, 0.5]), generator=g)
    m = rows.mean(0).tolist()
    assert m[0] == 0.0 and m[1] == 1.0 and abs(m[2] - 0.5) < 0.06
    assert xgrad.zeros(3, dtype=xgrad.int64).bernoulli_(1.0).tolist() == [1, 1, 1]
    assert xgrad.bernoulli(xgrad.ones(4) * 0.5, 0.0).tolist() == [0.0] * 4
    x = xgrad.ones(3, requires_grad=True)
    with xgrad.no_grad():
        x.uniform_(generator=g)  # allowed under no_grad, as PyTorch
    assert x.requires_grad and x.is_leaf


def test_fill_writes_through_a_view():
    base = xgrad.zeros(4, 3)
    base[1].uniform_(5, 6, generator=xgrad.Generator().manual_seed(1))
    assert (base[1] >= 5).all().item() and (base[0] == 0).all().item()


N = 200_000


@pytest.mark.parametrize("fill, mean, var", [
    (lambda t, g: t.uniform_(-2, 4, generator=g), 1.0, 36 / 12),
    (lambda t, g: t.normal_(3, 2, generator=g), 3.0, 4.0),
    (lambda t, g: t.exponential_(2.0, generator=g), 0.5, 0.25),
    (lambda t, g: t.geometric_(0.25, generator=g), 4.0, 0.75 / 0.0625),
    (lambda t, g: t.log_normal_(0.0, 0.5, generator=g), math.exp(0.125),
     (math.exp(0.25) - 1) * math.exp(0.25)),
    (lambda t, g: t.bernoulli_(0.3, generator=g), 0.3, 0.21),
    (lambda t, g: t.random_(0, 10, generator=g), 4.5, 99 / 12),
])
def test_fill_moments_match_closed_form(fill, mean, var):
    t = fill(xgrad.zeros(N, dtype=xgrad.float64), xgrad.Generator().manual_seed(42)).numpy()
    se = math.sqrt(var / N)
    assert abs(t.mean() - mean) < 6 * se
    assert abs(t.var() - var) / var < 0.05


def test_cauchy_quartiles():
    t = xgrad.zeros(N, dtype=xgrad.float64).cauchy_(1.0, 2.0, generator=xgrad.Generator().manual_seed(0))
    q1, q2, q3 = np.quantile(t.numpy(), [0.25, 0.5, 0.75])  # median +- sigma
    assert abs(q2 - 1.0) < 0.03 and abs(q1 + 1.0) < 0.05 and abs(q3 - 3.0) < 0.05


def test_data_utilities_use_the_generator_only():
    ds = list(range(20))

    def epoch(g):
        return [b.tolist() for b in DataLoader(ds, batch_size=4, shuffle=True, generator=g)]

    xgrad.manual_seed(0)
    before = xgrad.get_rng_state()
    a = epoch(xgrad.Generator().manual_seed(5))
    assert xgrad.equal(xgrad.get_rng_state(), before)
    xgrad.manual_seed(77)
    assert epoch(xgrad.Generator().manual_seed(5)) == a
    assert sorted(sum(a, [])) == ds
    assert list(RandomSampler(ds, generator=xgrad.Generator().manual_seed(2))) == \
        list(RandomSampler(ds, generator=xgrad.Generator().manual_seed(2)))
    sub = [3, 5, 7, 9]
    s1 = list(SubsetRandomSampler(sub, generator=xgrad.Generator().manual_seed(4)))
    assert s1 == list(SubsetRandomSampler(sub, generator=xgrad.Generator().manual_seed(4)))
    assert sorted(s1) == sub
    p1 = [list(s) for s in random_split(ds, [0.5, 0.5], generator=xgrad.Generator().manual_seed(9))]
    p2 = [list(s) for s in random_split(ds, [10, 10], generator=xgrad.Generator().manual_seed(9))]
    assert p1 == p2 and sorted(p1[0] + p1[1]) == ds


def test_unseeded_shuffle_follows_the_global_seed():
    ds = list(range(10))
    xgrad.manual_seed(1)
    a = list(RandomSampler(ds))
    xgrad.manual_seed(1)
    assert list(RandomSampler(ds)) == a
