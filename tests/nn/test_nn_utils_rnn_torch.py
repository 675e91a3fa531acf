"""nn.utils.rnn and RNN/LSTM/GRU on PackedSequence against PyTorch (float64): packed data,
batch sizes, permutations, unpacking, gradients, final states, and error texts."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad
import xgrad.nn as nn
from xgrad.nn.utils import rnn as R

torch = pytest.importorskip("torch")
TR = torch.nn.utils.rnn


def _seqs(rng, lens, feat=3):
    return [rng.standard_normal((n, feat)) for n in lens]


@pytest.mark.parametrize("enforce_sorted,lens", [(True, [5, 3, 3, 1]), (False, [2, 5, 3]),
                                                 (False, [1, 4, 2, 4])])
def test_pack_and_pad_roundtrip_matches_torch(rng, enforce_sorted, lens):
    seqs = _seqs(rng, lens)
    xs = [xgrad.tensor(s, requires_grad=True) for s in seqs]
    ts = [torch.tensor(s, requires_grad=True) for s in seqs]
    xp = R.pack_sequence(xs, enforce_sorted=enforce_sorted)
    tp = TR.pack_sequence(ts, enforce_sorted=enforce_sorted)
    np.testing.assert_array_equal(xp.batch_sizes.numpy(), tp.batch_sizes.numpy())
    if not enforce_sorted and len(set(lens)) == len(lens):  # ties may sort either way
        np.testing.assert_array_equal(xp.sorted_indices.numpy(), tp.sorted_indices.numpy())
        np.testing.assert_array_equal(xp.unsorted_indices.numpy(), tp.unsorted_indices.numpy())
        np.testing.assert_allclose(xp.data.numpy(), tp.data.detach().numpy())
    for bf in (False, True):
        xo, xl = R.pad_packed_sequence(xp, batch_first=bf, padding_value=-2.0, total_length=7)
        to, tl = TR.pad_packed_sequence(tp, batch_first=bf, padding_value=-2.0, total_length=7)
        np.testing.assert_allclose(xo.detach().numpy(), to.detach().numpy())
        np.testing.assert_array_equal(xl.numpy(), tl.numpy())
    g = rng.standard_normal(tuple(to.shape))
    (xo * xgrad.tensor(g)).sum().backward()
    (to * torch.tensor(g)).sum().backward()
    for x, t in zip(xs, ts):
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())
    back = R.unpack_sequence(xp)
    for b, s in zip(back, seqs):
        np.testing.assert_allclose(b.detach().numpy(), s)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_matches_torch(rng, batch_first, side):
    seqs = [rng.standard_normal((n, 2, 2)) for n in (3, 1, 4)]
    xo = R.pad_sequence([xgrad.tensor(s) for s in seqs], batch_first, 1.5, side)
    to = TR.pad_sequence([torch.tensor(s) for s in seqs], batch_first, 1.5, side)
    np.testing.assert_allclose(xo.numpy(), to.numpy())


def test_pack_padded_sequence_accepts_a_lengths_tensor(rng):
    a = rng.standard_normal((4, 3, 2))
    xp = R.pack_padded_sequence(xgrad.tensor(a), xgrad.tensor([4, 2, 1]))
    tp = TR.pack_padded_sequence(torch.tensor(a), torch.tensor([4, 2, 1]))
    np.testing.assert_allclose(xp.data.numpy(), tp.data.numpy())
    assert xp.sorted_indices is None and xp.batch_sizes.dtype is xgrad.int64


@pytest.mark.parametrize("call", [
    lambda r, m, x: r.pack_padded_sequence(x.randn(5, 3, 2), [2, 5, 3]),
    lambda r, m, x: r.pack_padded_sequence(x.randn(5, 3, 2), [5, 3]),
    lambda r, m, x: r.pack_padded_sequence(x.randn(5, 3, 2), [5, 3, 0]),
    lambda r, m, x: r.pack_padded_sequence(x.randn(5, 3, 2), x.tensor([[5, 3, 1]])),
    lambda r, m, x: r.pad_packed_sequence(r.pack_padded_sequence(x.randn(5, 3, 2), [5, 3, 1]),
                                          total_length=3),
    lambda r, m, x: r.pad_sequence([x.zeros(2), x.zeros(3)], padding_side="mid"),
    lambda r, m, x: r.pad_sequence([]),
    lambda r, m, x: r.pack_sequence([x.zeros(2), x.zeros(3)]),
    lambda r, m, x: m.GRU(2, 3)(r.pack_padded_sequence(x.randn(5, 3, 2), [5, 3, 1]),
                                x.zeros(1, 2, 3)),
    lambda r, m, x: m.GRU(3, 3)(r.pack_padded_sequence(x.randn(5, 3, 2), [5, 3, 1])),
])
def test_errors_match_torch(call):
    with pytest.raises(Exception) as te:
        call(TR, torch.nn, torch)
    with pytest.raises(type(te.value)) as xe:
        call(R, nn, xgrad)
    assert str(xe.value) == str(te.value)


@pytest.mark.parametrize("mode,kw", [
    ("RNN", {}), ("RNN", {"nonlinearity": "relu", "num_layers": 2}),
    ("GRU", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {"num_layers": 2, "bidirectional": True, "proj_size": 2}),
    ("LSTM", {"batch_first": True}),
])
@pytest.mark.parametrize("with_hx", [False, True])
def test_recurrent_layers_on_packed_input_match_torch(rng, backend, mode, kw, with_hx):
    xm = getattr(nn, mode)(3, 4, **kw).double().to(backend)
    tm = getattr(torch.nn, mode)(3, 4, **kw).double()
    tm.load_state_dict({k: torch.tensor(v.numpy()) for k, v in xm.state_dict().items()})
    bf = kw.get("batch_first", False)
    lens = [2, 5, 3]
    a = rng.standard_normal((3, 5, 3) if bf else (5, 3, 3))
    x = xgrad.tensor(a, device=backend, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    xp = R.pack_padded_sequence(x, lens, batch_first=bf, enforce_sorted=False)
    tp = TR.pack_padded_sequence(t, lens, batch_first=bf, enforce_sorted=False)
    dirs = 2 if kw.get("bidirectional") else 1
    nl = kw.get("num_layers", 1) * dirs
    xh = th = None
    if with_hx:
        hs = [rng.standard_normal((nl, 3, kw.get("proj_size") or 4))]
        if mode == "LSTM":
            hs.append(rng.standard_normal((nl, 3, 4)))
        xh = tuple(xgrad.tensor(h, device=backend) for h in hs)
        th = tuple(torch.tensor(h) for h in hs)
        if mode != "LSTM":
            xh, th = xh[0], th[0]
    xo, xs = xm(xp, xh)
    to, ts = tm(tp, th)
    assert isinstance(xo, R.PackedSequence)
    np.testing.assert_array_equal(xo.batch_sizes.numpy(), to.batch_sizes.numpy())
    np.testing.assert_allclose(xo.data.detach().numpy(), to.data.detach().numpy(), atol=1e-12)
    xs = xs if isinstance(xs, tuple) else (xs,)
    ts = ts if isinstance(ts, tuple) else (ts,)
    for a_, b_ in zip(xs, ts):
        np.testing.assert_allclose(a_.detach().numpy(), b_.detach().numpy(), atol=1e-12)
    xu, _ = R.pad_packed_sequence(xo, batch_first=bf)
    tu, _ = TR.pad_packed_sequence(to, batch_first=bf)
    g = rng.standard_normal(tuple(tu.shape))
    ((xu * xgrad.tensor(g, device=backend)).sum() + sum(s.sum() for s in xs)).backward()
    ((tu * torch.tensor(g)).sum() + sum(s.sum() for s in ts)).backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), atol=1e-12)
    tp_ = dict(tm.named_parameters())
    for name, p in xm.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tp_[name].grad.numpy(), atol=1e-11,
                                   err_msg=name)


def test_padding_never_reaches_the_packed_result(rng):
    m = nn.LSTM(3, 4, bidirectional=True).double()
    a = rng.standard_normal((5, 2, 3))
    b = a.copy()
    b[3:, 1] = 1e6  # garbage in the padded steps of the shorter sequence
    outs = []
    for arr in (a, b):
        o, (h, c) = m(R.pack_padded_sequence(xgrad.tensor(arr), [5, 3]))
        outs.append((o.data.detach().numpy(), h.detach().numpy(), c.detach().numpy()))
    for u, v in zip(*outs):
        np.testing.assert_array_equal(u, v)
    # the final state of the short sequence equals running it alone, unpadded
    _, (h1, _) = m(xgrad.tensor(a[:3, 1:2]))
    np.testing.assert_allclose(outs[0][1][:, 1], h1.detach().numpy()[:, 0], atol=1e-12)
