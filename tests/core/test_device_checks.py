"""Class-index target checks on an asynchronous backend: no host read per call, the error
deferred to the next read of values with PyTorch's text (issue 19, item 4)."""
import numpy as np
import pytest
import xgrad
import xgrad.nn.functional as F
from xgrad import device_checks

LOGITS = np.random.default_rng(0).standard_normal((5, 4))


@pytest.fixture
def host_reads(monkeypatch):
    """The numpy backend posing as asynchronous; yields the list of its host reads."""
    be = xgrad.ones(1)._backend
    reads = []
    real = be.to_numpy

    def counting(arr):
        reads.append(np.shape(arr))
        return real(arr)

    monkeypatch.setattr(be, "asynchronous", True, raising=False)
    monkeypatch.setattr(be, "to_numpy", counting, raising=False)
    yield reads
    device_checks.raise_pending()


def _loss(target, **kw):
    if kw.get("weight") == "w":
        kw = {**kw, "weight": xgrad.tensor([0.5, 1.0, 2.0, 0.25])}
    x = xgrad.tensor(LOGITS, requires_grad=True)
    loss = F.cross_entropy(x, xgrad.tensor(target), **kw)
    return x, loss


def _sync_result(target, **kw):
    x, loss = _loss(target, **kw)
    loss.sum().backward()
    return loss.numpy().copy(), x.grad.numpy().copy()


CASES = [
    ([0, 1, 2, 3, 1], {}),
    ([0, 1, 2, 3, 1], {"ignore_index": 1}),
    ([0, -100, 2, -100, 3], {}),
    ([0, 1, 2, 3, 1], {"ignore_index": 1, "reduction": "sum"}),
    ([0, 1, 2, 3, 1], {"ignore_index": 1, "reduction": "none"}),
    ([2, 2, 2, 2, 2], {"ignore_index": 2}),  # all ignored: 0/0, NaN as PyTorch
    ([0, 1, 2, 3, 1], {"ignore_index": 1, "weight": "w"}),
    ([0, 1, 2, 3, 1], {"label_smoothing": 0.1, "ignore_index": 3}),
]


@pytest.mark.parametrize("target,kw", CASES)
def test_no_host_read_and_same_values(target, kw, monkeypatch):
    want_loss, want_grad = _sync_result(target, **kw)
    be = xgrad.ones(1)._backend
    reads = []
    real = be.to_numpy
    monkeypatch.setattr(be, "asynchronous", True, raising=False)
    monkeypatch.setattr(be, "to_numpy", lambda a: reads.append(1) or real(a), raising=False)
    x, loss = _loss(target, **kw)
    loss.sum().backward()
    assert reads == []  # forward and backward without one host round trip
    assert device_checks.pending() >= 1
    np.testing.assert_allclose(loss.numpy(), want_loss, rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(x.grad.numpy(), want_grad, rtol=1e-12, atol=1e-15)
    assert device_checks.pending() == 0


def test_all_ignored_mean_is_nan(host_reads):
    _, loss = _loss([2, 2, 2, 2, 2], ignore_index=2)
    assert np.isnan(loss.item())


@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
def test_bad_target_raises_at_next_read(host_reads, fn):
    x = xgrad.tensor(LOGITS)
    loss = getattr(F, fn)(x, xgrad.tensor([0, 1, 7, 3, 1]))  # no error yet: nothing was read
    assert host_reads == []
    with pytest.raises(IndexError, match=r"^Target 7 is out of bounds\.") as info:
        loss.item()
    assert any("deferred device-side check" in n for n in info.value.__notes__)
    assert loss.item() == loss.item()  # the failure is reported once, then cleared


def test_negative_target_and_ignored_out_of_range(host_reads):
    x = xgrad.tensor(LOGITS)
    F.cross_entropy(x, xgrad.tensor([0, -1, 2, 3, 1]))
    with pytest.raises(IndexError, match=r"^Target -1 is out of bounds"):
        xgrad.cuda.synchronize()
    # an ignored entry may be out of range; the rest are checked
    loss = F.cross_entropy(x, xgrad.tensor([0, 9, 2, 3, 1]), ignore_index=9)
    assert np.isfinite(loss.item())


def test_sync_backend_still_raises_at_the_call():
    x = xgrad.tensor(LOGITS)
    with pytest.raises(IndexError, match=r"^Target 7 is out of bounds"):
        F.cross_entropy(x, xgrad.tensor([0, 1, 7, 3, 1]))
    assert device_checks.pending() == 0


def test_queue_is_bounded(host_reads):
    x = xgrad.tensor(LOGITS)
    t = xgrad.tensor([0, 1, 2, 3, 1])
    for _ in range(device_checks.MAX_PENDING + 3):
        F.cross_entropy(x, t)
    assert 0 < device_checks.pending() < device_checks.MAX_PENDING
    assert host_reads  # the full queue was evaluated on the way


def test_error_text_matches_torch():
    torch = pytest.importorskip("torch")
    with pytest.raises(IndexError) as theirs:
        torch.nn.functional.cross_entropy(torch.tensor(LOGITS), torch.tensor([0, 1, 7, 3, 1]))
    with pytest.raises(IndexError) as ours:
        F.cross_entropy(xgrad.tensor(LOGITS), xgrad.tensor([0, 1, 7, 3, 1]))
    assert str(ours.value).split(" (")[0] == str(theirs.value).split(" (")[0].strip()
