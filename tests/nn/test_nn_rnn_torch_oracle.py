"""PyTorch as an oracle: the same state dict in torch's RNN/LSTM/GRU, MultiheadAttention,
TransformerEncoderLayer/Encoder gives the same outputs and gradients (float64, eval)."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad
from xgrad.nn.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from xgrad.nn.transformer import (
    MultiheadAttention,
    TransformerEncoder,
    TransformerEncoderLayer,
    scaled_dot_product_attention,
)

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:Support for mismatched")  # torch's own

TOL = {"rtol": 1e-10, "atol": 1e-10}


def _copy(xm, tm) -> None:
    sd = {k: torch.tensor(v.numpy()) for k, v in xm.state_dict().items()}
    assert sorted(sd) == sorted(tm.state_dict())
    for k, v in tm.state_dict().items():
        assert tuple(v.shape) == tuple(sd[k].shape), k
    tm.load_state_dict(sd)


def _pair(a: np.ndarray):
    return (xgrad.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True))


def _close(x, t) -> None:
    np.testing.assert_allclose(x.numpy(), t.detach().numpy(), **TOL)


def _check_grads(xm, tm, x_in, t_in) -> None:
    for (name, p), (tname, tp) in zip(xm.named_parameters(), tm.named_parameters()):
        assert name == tname
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), err_msg=name, **TOL)
    for a, b in zip(x_in, t_in):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **TOL)


def _flat(o):
    return [t for t in (o if isinstance(o, tuple) else (o,)) for t in
            (t if isinstance(t, tuple) else (t,))]


def _loss(outs, weights):
    return sum((o * w).sum() for o, w in zip(outs, weights))


@pytest.mark.parametrize("name,kwargs", [
    ("RNN", {"num_layers": 2, "bidirectional": True}),
    ("RNN", {"nonlinearity": "relu", "batch_first": True}),
    ("LSTM", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
    ("LSTM", {"proj_size": 2, "bias": False}),
    ("GRU", {"num_layers": 2, "bidirectional": True}),
    ("GRU", {"batch_first": True}),
])
@pytest.mark.parametrize("with_state", [False, True])
def test_recurrent_layers_match_torch(name, kwargs, with_state, rng):
    cls = {"RNN": RNN, "LSTM": LSTM, "GRU": GRU}[name]
    xm = cls(3, 4, dtype=xgrad.float64, **kwargs)
    tm = getattr(torch.nn, name)(3, 4, dtype=torch.float64, **kwargs)
    _copy(xm, tm)
    xs, ts = _pair(rng.standard_normal((2, 5, 3)))
    x_in, t_in = [xs], [ts]
    if with_state:
        n = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
        hx, ht = _pair(rng.standard_normal((n, 2 if kwargs.get("batch_first") else 5,
                                            kwargs.get("proj_size") or 4)))
        x_in.append(hx)
        t_in.append(ht)
        if name == "LSTM":
            cx, ct = _pair(rng.standard_normal((n, hx.shape[1], 4)))
            x_in.append(cx)
            t_in.append(ct)
            xo, to = xm(xs, (hx, cx)), tm(ts, (ht, ct))
        else:
            xo, to = xm(xs, hx), tm(ts, ht)
    else:
        xo, to = xm(xs), tm(ts)
    xo, to = _flat(xo), _flat(to)
    for a, b in zip(xo, to):
        assert tuple(a.shape) == tuple(b.shape)
        _close(a, b)
    weights = [rng.standard_normal(tuple(o.shape)) for o in xo]
    _loss(xo, [xgrad.tensor(w) for w in weights]).backward()
    _loss(to, [torch.tensor(w) for w in weights]).backward()
    _check_grads(xm, tm, x_in, t_in)


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_match_torch(name, rng):
    cls = {"RNNCell": RNNCell, "LSTMCell": LSTMCell, "GRUCell": GRUCell}[name]
    xm = cls(3, 4, dtype=xgrad.float64)
    tm = getattr(torch.nn, name)(3, 4, dtype=torch.float64)
    _copy(xm, tm)
    xs, ts = _pair(rng.standard_normal((2, 3)))
    xo, to = _flat(xm(xs)), _flat(tm(ts))
    for a, b in zip(xo, to):
        _close(a, b)
    w = [rng.standard_normal(tuple(o.shape)) for o in xo]
    _loss(xo, [xgrad.tensor(v) for v in w]).backward()
    _loss(to, [torch.tensor(v) for v in w]).backward()
    _check_grads(xm, tm, [xs], [ts])


@pytest.mark.parametrize("mask", [None, "bool", "float", "causal"])
def test_sdpa_matches_torch(mask, rng):
    q, k, v = (rng.standard_normal(s) for s in ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)))
    (qx, qt), (kx, kt), (vx, vt) = _pair(q), _pair(k), _pair(v)
    kw_x, kw_t = {}, {}
    if mask == "bool":
        m = rng.random((4, 6)) > 0.4
        m[1] = False  # a query row that may attend to nothing gives zeros, as torch
        kw_x["attn_mask"], kw_t["attn_mask"] = xgrad.tensor(m), torch.tensor(m)
    elif mask == "float":
        m = rng.standard_normal((3, 4, 6))
        kw_x["attn_mask"], kw_t["attn_mask"] = xgrad.tensor(m), torch.tensor(m)
    elif mask == "causal":
        kw_x["is_causal"] = kw_t["is_causal"] = True
    xo = scaled_dot_product_attention(qx, kx, vx, **kw_x)
    to = torch.nn.functional.scaled_dot_product_attention(qt, kt, vt, **kw_t)
    _close(xo, to)
    w = rng.standard_normal(tuple(xo.shape))
    (xo * xgrad.tensor(w)).sum().backward()
    (to * torch.tensor(w)).sum().backward()
    for a, b in ((qx, qt), (kx, kt), (vx, vt)):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **TOL)


MHA_CASES = [
    ({}, {}),
    ({"batch_first": True}, {"attn_mask": "bool", "key_padding_mask": "bool"}),
    ({"kdim": 3, "vdim": 5}, {"attn_mask": "float"}),
    ({"add_bias_kv": True, "add_zero_attn": True}, {"key_padding_mask": "bool"}),
    ({"bias": False}, {"average_attn_weights": False}),
    ({}, {"need_weights": False, "attn_mask": "bool"}),
]


@pytest.mark.parametrize("ctor,call", MHA_CASES)
def test_multihead_attention_matches_torch(ctor, call, rng):
    xm = MultiheadAttention(8, 2, dtype=xgrad.float64, **ctor)
    tm = torch.nn.MultiheadAttention(8, 2, dtype=torch.float64, **ctor)
    _copy(xm, tm)
    n, lq, s = 3, 4, 6
    shapes = [(lq, n, 8), (s, n, ctor.get("kdim", 8)), (s, n, ctor.get("vdim", 8))]
    if ctor.get("batch_first"):
        shapes = [(b, a, c) for a, b, c in shapes]
    pairs = [_pair(rng.standard_normal(sh)) for sh in shapes]
    kw_x, kw_t = {}, {}
    for key, val in call.items():
        if key == "attn_mask":
            m = rng.random((lq, s)) > 0.7 if val == "bool" else rng.standard_normal((lq, s))
            if val == "bool":
                m[:, 0] = False
        elif key == "key_padding_mask":
            m = rng.random((n, s)) > 0.7
            m[:, 1] = False
        else:
            kw_x[key] = kw_t[key] = val
            continue
        kw_x[key], kw_t[key] = xgrad.tensor(m), torch.tensor(m)
    xo, xw = xm(*[p[0] for p in pairs], **kw_x)
    to, tw = tm(*[p[1] for p in pairs], **kw_t)
    _close(xo, to)
    if call.get("need_weights", True):
        assert tuple(xw.shape) == tuple(tw.shape)
        _close(xw, tw)
    else:
        assert xw is None and tw is None
    w = rng.standard_normal(tuple(xo.shape))
    (xo * xgrad.tensor(w)).sum().backward()
    (to * torch.tensor(w)).sum().backward()
    _check_grads(xm, tm, [p[0] for p in pairs], [p[1] for p in pairs])


def test_multihead_self_attention_unbatched_matches_torch(rng):
    xm = MultiheadAttention(6, 3, dtype=xgrad.float64)
    tm = torch.nn.MultiheadAttention(6, 3, dtype=torch.float64)
    _copy(xm, tm)
    xs, ts = _pair(rng.standard_normal((5, 6)))
    kpm = np.array([False, False, True, False, True])
    xo, xw = xm(xs, xs, xs, key_padding_mask=xgrad.tensor(kpm))
    to, tw = tm(ts, ts, ts, key_padding_mask=torch.tensor(kpm))
    _close(xo, to)
    _close(xw, tw)
    xo.sum().backward()
    to.sum().backward()
    _check_grads(xm, tm, [xs], [ts])


@pytest.mark.parametrize("kwargs", [
    {},
    {"norm_first": True, "activation": "gelu", "batch_first": True},
    {"bias": False},
])
def test_transformer_encoder_matches_torch(kwargs, rng):
    xl = TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, dtype=xgrad.float64,
                                 **kwargs)
    tl = torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0,
                                          dtype=torch.float64, **kwargs)
    xe = TransformerEncoder(xl, 2, norm=xgrad.nn.normalization.LayerNorm(8, dtype=xgrad.float64))
    te = torch.nn.TransformerEncoder(tl, 2, norm=torch.nn.LayerNorm(8, dtype=torch.float64),
                                     enable_nested_tensor=False)
    _copy(xe, te)
    xe.eval()
    te.eval()
    shape = (3, 5, 8) if kwargs.get("batch_first") else (5, 3, 8)
    xs, ts = _pair(rng.standard_normal(shape))
    kpm = rng.random((3, 5)) > 0.7
    kpm[:, 0] = False
    causal = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
    xo = xe(xs, mask=xgrad.tensor(causal.numpy()), src_key_padding_mask=xgrad.tensor(kpm))
    to = te(ts, mask=causal, src_key_padding_mask=torch.tensor(kpm))
    _close(xo, to)
    w = rng.standard_normal(shape)
    (xo * xgrad.tensor(w)).sum().backward()
    (to * torch.tensor(w)).sum().backward()
    _check_grads(xe, te, [xs], [ts])
    # the single layer on its own, unbatched
    xl.eval()
    tl.eval()
    _copy(xl, tl)
    u = rng.standard_normal((5, 8))
    _close(xl(xgrad.tensor(u)), tl(torch.tensor(u)))
