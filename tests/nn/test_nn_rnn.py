"""RNN, LSTM, GRU and their cells: shapes, numpy float64 reference, state carry-over,
masks of batch_first/unbatched input, dropout, errors and gradcheck."""
from __future__ import annotations

import math

import numpy as np
import pytest
import xgrad
from xgrad.autograd.gradcheck import gradcheck
from xgrad.nn.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell

F64 = xgrad.float64


def _sig(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _np_step(mode: str, x, h, c, p):
    """One time step in numpy float64 from the documented PyTorch equations."""
    w_ih, w_hh = p["weight_ih"], p["weight_hh"]
    b_ih = p.get("bias_ih", 0.0)
    b_hh = p.get("bias_hh", 0.0)
    gi = x @ w_ih.T + b_ih
    gh = h @ w_hh.T + b_hh
    if mode == "tanh":
        return np.tanh(gi + gh), None
    if mode == "relu":
        return np.maximum(gi + gh, 0.0), None
    if mode == "gru":
        r_i, z_i, n_i = np.split(gi, 3, -1)
        r_h, z_h, n_h = np.split(gh, 3, -1)
        r, z = _sig(r_i + r_h), _sig(z_i + z_h)
        n = np.tanh(n_i + r * n_h)
        return (1 - z) * n + z * h, None
    i, f, g, o = np.split(gi + gh, 4, -1)
    c = _sig(f) * c + _sig(i) * np.tanh(g)
    h = _sig(o) * np.tanh(c)
    if "weight_hr" in p:
        h = h @ p["weight_hr"].T
    return h, c


def _np_rnn(mode: str, module, x: np.ndarray, h0=None, c0=None):
    """Seq-first (L, N, in) numpy reference of a whole multi-layer, maybe bidirectional net."""
    sd = {k: v.numpy().astype(np.float64) for k, v in module.state_dict().items()}
    dirs = 2 if module.bidirectional else 1
    out_size = module.proj_size or module.hidden_size
    n = x.shape[1]
    hs, cs = [], []
    for layer in range(module.num_layers):
        outs = []
        for d in range(dirs):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            p = {k[: -len(sfx)]: v for k, v in sd.items() if k.endswith(sfx)}
            k = layer * dirs + d
            h = np.zeros((n, out_size)) if h0 is None else h0[k]
            c = np.zeros((n, module.hidden_size)) if c0 is None else c0[k]
            seq = [None] * x.shape[0]
            for t in (reversed(range(x.shape[0])) if d else range(x.shape[0])):
                h, c = _np_step(mode, x[t], h, c, p)
                seq[t] = h
            outs.append(np.stack(seq))
            hs.append(h)
            cs.append(c)
        x = np.concatenate(outs, -1)
    return x, np.stack(hs), (np.stack(cs) if mode == "lstm" else None)


def _make(mode: str, *args, **kwargs):
    if mode in ("tanh", "relu"):
        return RNN(*args, nonlinearity=mode, **kwargs)
    return {"lstm": LSTM, "gru": GRU}[mode](*args, **kwargs)


MODES = ["tanh", "relu", "lstm", "gru"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("layers,bidir", [(1, False), (2, True)])
def test_forward_matches_numpy_reference(mode, layers, bidir, rng):
    xgrad.manual_seed(0)
    m = _make(mode, 3, 4, num_layers=layers, bidirectional=bidir, dtype=F64)
    x = rng.standard_normal((5, 2, 3))
    out, hn = m(xgrad.tensor(x))
    ref_out, ref_h, ref_c = _np_rnn(mode, m, x)
    if mode == "lstm":
        hn, cn = hn
        np.testing.assert_allclose(cn.numpy(), ref_c, rtol=1e-12, atol=1e-12)
    assert tuple(out.shape) == (5, 2, 4 * (2 if bidir else 1))
    assert tuple(hn.shape) == (layers * (2 if bidir else 1), 2, 4)
    np.testing.assert_allclose(out.numpy(), ref_out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(hn.numpy(), ref_h, rtol=1e-12, atol=1e-12)


def test_lstm_projection_matches_numpy_reference(rng):
    m = LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2, dtype=F64)
    assert tuple(m.weight_hr_l0.shape) == (2, 5)
    assert tuple(m.weight_hh_l1_reverse.shape) == (20, 2)
    assert tuple(m.weight_ih_l1.shape) == (20, 4)
    x = rng.standard_normal((4, 3, 3))
    out, (h, c) = m(xgrad.tensor(x))
    ref_out, ref_h, ref_c = _np_rnn("lstm", m, x)
    assert tuple(out.shape) == (4, 3, 4) and tuple(h.shape) == (4, 3, 2)
    assert tuple(c.shape) == (4, 3, 5)
    np.testing.assert_allclose(out.numpy(), ref_out, atol=1e-12)
    np.testing.assert_allclose(h.numpy(), ref_h, atol=1e-12)
    np.testing.assert_allclose(c.numpy(), ref_c, atol=1e-12)


@pytest.mark.parametrize("mode", ["tanh", "lstm", "gru"])
def test_initial_state_carries_the_sequence_on(mode, rng):
    """Running x[:3] then x[3:] from the returned state equals one run over x."""
    m = _make(mode, 2, 3, num_layers=2, dtype=F64)
    x = xgrad.tensor(rng.standard_normal((6, 2, 2)))
    full, _ = m(x)
    first, state = m(x[:3])
    second, _ = m(x[3:], state)
    np.testing.assert_allclose(xgrad.cat([first, second], 0).numpy(), full.numpy(), atol=1e-12)


@pytest.mark.parametrize("mode", ["relu", "lstm", "gru"])
def test_given_initial_state_matches_reference(mode, rng):
    m = _make(mode, 2, 3, bidirectional=True, dtype=F64)
    x = rng.standard_normal((3, 2, 2))
    h0 = rng.standard_normal((2, 2, 3))
    c0 = rng.standard_normal((2, 2, 3))
    hx = (xgrad.tensor(h0), xgrad.tensor(c0)) if mode == "lstm" else xgrad.tensor(h0)
    out, _ = m(xgrad.tensor(x), hx)
    ref, _, _ = _np_rnn(mode, m, x, h0, c0 if mode == "lstm" else None)
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-12)


@pytest.mark.parametrize("mode", ["tanh", "lstm", "gru"])
def test_batch_first_and_unbatched(mode, rng):
    m = _make(mode, 3, 4, num_layers=2, bidirectional=True, dtype=F64)
    x = xgrad.tensor(rng.standard_normal((5, 2, 3)))
    out, hn = m(x)
    m.batch_first = True
    out_bf, hn_bf = m(x.transpose(0, 1))
    assert tuple(out_bf.shape) == (2, 5, 8)
    np.testing.assert_allclose(out_bf.numpy(), out.transpose(0, 1).numpy(), atol=1e-12)
    hn, hn_bf = (hn[0], hn_bf[0]) if mode == "lstm" else (hn, hn_bf)
    np.testing.assert_allclose(hn_bf.numpy(), hn.numpy(), atol=1e-12)  # h_n is never batch-first
    m.batch_first = False
    out_u, hn_u = m(x[:, 1])
    hn_u = hn_u[0] if mode == "lstm" else hn_u
    assert tuple(out_u.shape) == (5, 8) and tuple(hn_u.shape) == (4, 4)
    np.testing.assert_allclose(out_u.numpy(), out[:, 1].numpy(), atol=1e-12)
    np.testing.assert_allclose(hn_u.numpy(), hn[:, 1].numpy(), atol=1e-12)


def test_state_dict_names_and_shapes_are_pytorchs():
    m = LSTM(3, 4, num_layers=2, bidirectional=True)
    sd = m.state_dict()
    expected = []
    for layer in range(2):
        for sfx in ("", "_reverse"):
            expected += [f"weight_ih_l{layer}{sfx}", f"weight_hh_l{layer}{sfx}",
                         f"bias_ih_l{layer}{sfx}", f"bias_hh_l{layer}{sfx}"]
    assert list(sd) == expected
    assert tuple(sd["weight_ih_l0"].shape) == (16, 3)
    assert tuple(sd["weight_ih_l1"].shape) == (16, 8)
    assert tuple(sd["weight_hh_l1_reverse"].shape) == (16, 4)
    assert list(GRU(2, 3, bias=False).state_dict()) == ["weight_ih_l0", "weight_hh_l0"]
    assert tuple(GRU(2, 3).weight_ih_l0.shape) == (9, 2)
    assert list(LSTMCell(2, 3).state_dict()) == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]


@pytest.mark.parametrize("cls", [RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell])
def test_default_init_is_uniform_in_one_over_sqrt_hidden(cls):
    xgrad.manual_seed(1)
    m = cls(6, 16)
    k = 1 / math.sqrt(16)
    vals = np.concatenate([p.numpy().ravel() for p in m.parameters()])
    assert np.all(np.abs(vals) <= k)
    assert vals.min() < -0.8 * k and vals.max() > 0.8 * k  # spans the range
    assert abs(vals.mean()) < 0.05 and abs(vals.std() - k / math.sqrt(3)) < 0.02


@pytest.mark.parametrize("mode", ["tanh", "lstm", "gru"])
def test_cell_equals_one_layer_step_by_step(mode, rng):
    m = _make(mode, 3, 4, dtype=F64)
    cell = {"tanh": RNNCell, "lstm": LSTMCell, "gru": GRUCell}[mode](3, 4, dtype=F64)
    cell.load_state_dict({k[:-3]: v for k, v in m.state_dict().items()})
    x = xgrad.tensor(rng.standard_normal((4, 2, 3)))
    out, _ = m(x)
    state = None
    for t in range(4):
        state = cell(x[t], state)
        h = state[0] if mode == "lstm" else state
        np.testing.assert_allclose(h.numpy(), out[t].numpy(), atol=1e-12)
    h1 = cell(x[0, 1])  # unbatched
    h1 = h1[0] if mode == "lstm" else h1
    assert tuple(h1.shape) == (4,)
    np.testing.assert_allclose(h1.numpy(), out[0, 1].numpy(), atol=1e-12)


def test_dropout_between_layers_only_in_training():
    xgrad.manual_seed(0)
    m = LSTM(3, 8, num_layers=2, dropout=0.5, dtype=F64)
    x = xgrad.randn(4, 2, 3, dtype=F64)
    a, _ = m(x)
    b, _ = m(x)
    assert not np.allclose(a.numpy(), b.numpy())  # fresh masks each call
    m.eval()
    c, _ = m(x)
    m.dropout = 0.0
    m.train()
    d, _ = m(x)
    np.testing.assert_allclose(c.numpy(), d.numpy(), atol=1e-12)
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        GRU(2, 3, dropout=0.2)
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        GRU(2, 3, num_layers=2, dropout=1.5)


def test_errors_say_what_was_expected():
    m = LSTM(3, 4, num_layers=2)
    with pytest.raises(RuntimeError, match="Expected 3, got 5"):
        m(xgrad.zeros(2, 1, 5))
    with pytest.raises(ValueError, match="Expected input to be 2D or 3D, got 4D"):
        m(xgrad.zeros(2, 1, 1, 3))
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(2, 1, 4\), got \[2, 1, 5\]"):
        m(xgrad.zeros(2, 1, 3), (xgrad.zeros(2, 1, 5), xgrad.zeros(2, 1, 4)))
    with pytest.raises(RuntimeError, match="hx and cx should also be 3-D"):
        m(xgrad.zeros(2, 1, 3), (xgrad.zeros(2, 4), xgrad.zeros(2, 4)))
    with pytest.raises(ValueError, match=r"RNN input dtype \(xgrad.float64\) does not match"):
        m(xgrad.zeros(2, 1, 3, dtype=F64))
    with pytest.raises(RuntimeError, match="hx should also be 2-D"):
        GRU(3, 4)(xgrad.zeros(2, 3), xgrad.zeros(1, 1, 4))
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(RuntimeError, match="inconsistent input_size"):
        GRUCell(3, 4)(xgrad.zeros(2, 5))


def _swap_params(module, names, values):
    for n, v in zip(names, values):
        *path, leaf = n.split(".")
        mod = module
        for p in path:
            mod = getattr(mod, p)
        mod._parameters[leaf] = v


def check_module_grads(module, inputs, out_fn=lambda o: o, device="numpy"):
    """gradcheck of ``out_fn(module(*inputs))`` w.r.t. the inputs and every parameter."""
    names = [n for n, _ in module.named_parameters()]
    params = [xgrad.tensor(p.numpy(), dtype=F64, device=device, requires_grad=True)
              for _, p in module.named_parameters()]
    k = len(inputs)

    def f(*args):
        _swap_params(module, names, args[k:])
        return out_fn(module(*args[:k]))

    assert gradcheck(f, tuple(inputs) + tuple(params), eps=1e-6, atol=1e-6)


@pytest.mark.parametrize("mode,kwargs", [
    ("tanh", {"num_layers": 2}),
    ("relu", {}),
    ("lstm", {"bidirectional": True}),
    ("lstm", {"proj_size": 1}),
    ("gru", {"bidirectional": True, "bias": False}),
])
def test_gradcheck_layers(mode, kwargs, rng):
    m = _make(mode, 2, 2, dtype=F64, **kwargs)
    x = xgrad.tensor(rng.standard_normal((3, 1, 2)), requires_grad=True)
    if mode == "relu":  # keep pre-activations away from the kink
        x = xgrad.tensor(np.abs(rng.standard_normal((3, 1, 2))) + 0.5, requires_grad=True)
        for p in m.parameters():
            p.data = p.detach().abs() + 0.1
    n_state = 2 * (2 if kwargs.get("bidirectional") else 1) * kwargs.get("num_layers", 1)
    h_size = kwargs.get("proj_size") or 2
    h0 = xgrad.tensor(rng.standard_normal((n_state // 2, 1, h_size)), requires_grad=True)
    if mode == "relu":
        h0 = xgrad.tensor(np.abs(h0.numpy()), requires_grad=True)
    if mode == "lstm":
        c0 = xgrad.tensor(rng.standard_normal((n_state // 2, 1, 2)), requires_grad=True)
        check_module_grads(m, [x, (h0, c0)], lambda o: (o[0], o[1][1]))
    else:
        check_module_grads(m, [x, h0])


@pytest.mark.parametrize("cls", [RNNCell, LSTMCell, GRUCell])
def test_gradcheck_cells(cls, rng):
    m = cls(2, 2, dtype=F64)
    x = xgrad.tensor(rng.standard_normal((2, 2)), requires_grad=True)
    h = xgrad.tensor(rng.standard_normal((2, 2)), requires_grad=True)
    hx = (h, xgrad.tensor(rng.standard_normal((2, 2)), requires_grad=True)) \
        if cls is LSTMCell else h
    check_module_grads(m, [x, hx])


def test_gradcheck_lstm_on_reference_backend(rng):
    m = LSTM(2, 2, dtype=F64, device="reference")
    x = xgrad.tensor(rng.standard_normal((2, 1, 2)), device="reference", requires_grad=True)
    out, (h, c) = m(x)
    assert h.device.type == "reference"
    ref, _, _ = _np_rnn("lstm", m, x.numpy())
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-12)
    check_module_grads(m, [x], lambda o: o[0], device="reference")


def test_double_backward_through_gru(rng):
    m = GRU(2, 2, dtype=F64)
    x = xgrad.tensor(rng.standard_normal((2, 1, 2)), requires_grad=True)
    out, _ = m(x)
    (g,) = xgrad.autograd.grad(out.sum(), [x], create_graph=True)
    (gg,) = xgrad.autograd.grad((g * g).sum(), [x])
    assert gg is not None and np.isfinite(gg.numpy()).all() and np.abs(gg.numpy()).sum() > 0
