"""TransformerDecoderLayer, TransformerDecoder and Transformer against PyTorch: weights copied
from the torch module, float64, outputs and every gradient compared; masks, layouts, causal
hints and errors."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad
import xgrad.nn as nn

torch = pytest.importorskip("torch")

TOL = {"rtol": 1e-7, "atol": 1e-9}
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _copy(xm: nn.Module, tm: torch.nn.Module) -> None:
    xsd, tsd = xm.state_dict(), tm.state_dict()
    assert set(xsd) == set(tsd), sorted(set(xsd) ^ set(tsd))
    with torch.no_grad():
        for k, v in xsd.items():
            assert tuple(v.shape) == tuple(tsd[k].shape), k
            tsd[k].copy_(torch.from_numpy(np.array(v.numpy())))


def _pair(xm, tm, floats, extra=None, backend="numpy"):
    """Run both on the same float64 tensors (positional) and keyword masks; compare outputs,
    input gradients and parameter gradients."""
    xm, tm = xm.double().to(backend), tm.double()
    _copy(xm, tm)
    xin = [xgrad.tensor(a, device=backend, requires_grad=True) for a in floats]
    tin = [torch.tensor(a, requires_grad=True) for a in floats]
    xkw, tkw = {}, {}
    for k, v in (extra or {}).items():
        if isinstance(v, np.ndarray):
            xkw[k], tkw[k] = xgrad.tensor(v, device=backend), torch.tensor(v)
        else:
            xkw[k] = tkw[k] = v
    xo, to = xm(*xin, **xkw), tm(*tin, **tkw)
    np.testing.assert_allclose(xo.detach().numpy(), to.detach().numpy(), **TOL)
    g = np.random.default_rng(7).standard_normal(tuple(to.shape))
    xo.backward(xgrad.tensor(g, device=backend))
    to.backward(torch.from_numpy(g))
    for xa, ta in zip(xin, tin):
        np.testing.assert_allclose(xa.grad.numpy(), ta.grad.numpy(), **TOL)
    tp = dict(tm.named_parameters())
    for name, p in xm.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tp[name].grad.numpy(), err_msg=name, **TOL)
    return xo


def _causal(n: int) -> np.ndarray:
    return np.triu(np.full((n, n), -np.inf), 1)


@pytest.mark.parametrize("kwargs", [{}, {"norm_first": True}, {"batch_first": True},
                                    {"activation": "gelu", "bias": False},
                                    {"layer_norm_eps": 1e-3}])
def test_decoder_layer_matches_torch(kwargs, rng):
    kw = dict(d_model=8, nhead=2, dim_feedforward=12, dropout=0.0, **kwargs)
    xm, tm = nn.TransformerDecoderLayer(**kw), torch.nn.TransformerDecoderLayer(**kw)
    bf = kwargs.get("batch_first", False)
    tgt = rng.standard_normal((3, 5, 8) if bf else (5, 3, 8))
    mem = rng.standard_normal((3, 4, 8) if bf else (4, 3, 8))
    _pair(xm, tm, [tgt, mem], {"tgt_mask": _causal(5), "tgt_is_causal": True})


def test_decoder_layer_all_masks_match_torch(rng):
    kw = dict(d_model=8, nhead=4, dim_feedforward=6, dropout=0.0, batch_first=True)
    xm, tm = nn.TransformerDecoderLayer(**kw), torch.nn.TransformerDecoderLayer(**kw)
    tgt, mem = rng.standard_normal((2, 5, 8)), rng.standard_normal((2, 6, 8))
    tkpm = np.zeros((2, 5), dtype=bool)
    tkpm[1, 3:] = True
    mkpm = np.zeros((2, 6), dtype=bool)
    mkpm[0, 4:] = True
    memory_mask = rng.standard_normal((5, 6))
    _pair(xm, tm, [tgt, mem], {"tgt_mask": _causal(5), "memory_mask": memory_mask,
                               "tgt_key_padding_mask": tkpm, "memory_key_padding_mask": mkpm})


def test_decoder_layer_unbatched_and_bool_mask_match_torch(rng):
    kw = dict(d_model=6, nhead=3, dim_feedforward=5, dropout=0.0)
    xm, tm = nn.TransformerDecoderLayer(**kw), torch.nn.TransformerDecoderLayer(**kw)
    causal_bool = np.triu(np.ones((4, 4), dtype=bool), 1)
    _pair(xm, tm, [rng.standard_normal((4, 6)), rng.standard_normal((3, 6))],
          {"tgt_mask": causal_bool})


@pytest.mark.parametrize("norm", [False, True])
def test_decoder_stack_matches_torch(norm, rng):
    kw = dict(d_model=8, nhead=2, dim_feedforward=10, dropout=0.0)
    xm = nn.TransformerDecoder(nn.TransformerDecoderLayer(**kw), 2,
                               nn.LayerNorm(8) if norm else None)
    tm = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(**kw), 2,
                                     torch.nn.LayerNorm(8) if norm else None)
    assert len(xm.layers) == 2 and xm.layers[0] is not xm.layers[1]
    _pair(xm, tm, [rng.standard_normal((5, 2, 8)), rng.standard_normal((3, 2, 8))],
          {"tgt_mask": _causal(5)})


@pytest.mark.parametrize("kwargs", [{}, {"batch_first": True, "norm_first": True},
                                    {"bias": False, "activation": "gelu"}])
def test_transformer_matches_torch(kwargs, rng):
    kw = dict(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=2,
              dim_feedforward=16, dropout=0.0, **kwargs)
    xm, tm = nn.Transformer(**kw), torch.nn.Transformer(**kw)
    bf = kwargs.get("batch_first", False)
    src = rng.standard_normal((2, 6, 8) if bf else (6, 2, 8))
    tgt = rng.standard_normal((2, 4, 8) if bf else (4, 2, 8))
    skpm = np.zeros((2, 6), dtype=bool)
    skpm[1, 5:] = True
    mask = xgrad.nn.Transformer.generate_square_subsequent_mask(4, dtype=xgrad.float64)
    np.testing.assert_array_equal(
        mask.numpy(), torch.nn.Transformer.generate_square_subsequent_mask(4).numpy())
    _pair(xm, tm, [src, tgt], {"tgt_mask": mask.numpy(), "src_key_padding_mask": skpm,
                               "memory_key_padding_mask": skpm, "tgt_is_causal": True})


def test_transformer_on_reference_backend(rng):
    kw = dict(d_model=4, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
              dim_feedforward=4, dropout=0.0)
    _pair(nn.Transformer(**kw), torch.nn.Transformer(**kw),
          [rng.standard_normal((3, 1, 4)), rng.standard_normal((2, 1, 4))],
          {"tgt_mask": _causal(2)}, backend="reference")


def test_transformer_defaults_and_structure():
    m = nn.Transformer(d_model=16, nhead=4, num_encoder_layers=1, num_decoder_layers=1)
    t = torch.nn.Transformer(d_model=16, nhead=4, num_encoder_layers=1, num_decoder_layers=1)
    assert sorted(m.state_dict()) == sorted(t.state_dict())
    assert (m.d_model, m.nhead, m.batch_first) == (16, 4, False)
    layer = m.decoder.layers[0]
    assert layer.linear1.out_features == 2048 and layer.dropout.p == 0.1
    assert layer.norm1.eps == 1e-5 and not layer.norm_first
    # xavier-uniform on every matrix: bound sqrt(6 / (fan_in + fan_out))
    w = m.decoder.layers[0].linear1.weight.numpy()
    assert np.abs(w).max() <= np.sqrt(6 / (16 + 2048)) + 1e-7
    assert np.abs(w).max() > 0.9 * np.sqrt(6 / (16 + 2048))


def test_custom_encoder_and_decoder_are_used(rng):
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 1, 8, 0.0), 1)
    dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 1, 8, 0.0), 1)
    m = nn.Transformer(d_model=4, nhead=1, custom_encoder=enc, custom_decoder=dec)
    assert m.encoder is enc and m.decoder is dec
    out = m(xgrad.randn(3, 2, 4), xgrad.randn(5, 2, 4))
    assert tuple(out.shape) == (5, 2, 4)


def test_causal_hint_detection():
    from xgrad.nn.transformer_decoder import _detect_is_causal_mask  # the private helper
    mask = nn.Transformer.generate_square_subsequent_mask(3)
    assert _detect_is_causal_mask(mask, None) is True
    assert _detect_is_causal_mask(xgrad.zeros(3, 3), None) is False
    assert _detect_is_causal_mask(None, None) is False
    assert _detect_is_causal_mask(xgrad.zeros(3, 3), True) is True


def test_errors_match_torch():
    m = nn.Transformer(d_model=4, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                       dim_feedforward=4)
    t = torch.nn.Transformer(d_model=4, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                             dim_feedforward=4)
    cases = [((3, 2, 4), (5, 3, 4)), ((3, 2, 4), (5, 2, 6))]
    for s, g in cases:
        with pytest.raises(RuntimeError) as te:
            t(torch.randn(*s), torch.randn(*g))
        with pytest.raises(RuntimeError, match=str(te.value)):
            m(xgrad.randn(*s), xgrad.randn(*g))
    layer = nn.TransformerDecoderLayer(4, 2, 4)
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        layer(xgrad.randn(3, 1, 4), xgrad.randn(2, 1, 4), tgt_is_causal=True)
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerDecoderLayer(4, 2, activation="tanh")
    with pytest.raises(TypeError, match="expected decoder_layer to be a Module, got int"):
        nn.TransformerDecoder(3, 2)
    with pytest.raises(TypeError, match="expected src to be a Tensor, got list"):
        m([1.0], xgrad.randn(2, 1, 4))


def test_whole_transformer_saves_and_loads(tmp_path):
    m = nn.Transformer(d_model=4, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                       dim_feedforward=8, dropout=0.0)
    src, tgt = xgrad.randn(3, 1, 4), xgrad.randn(2, 1, 4)
    path = tmp_path / "model.pt"
    xgrad.save(m, path)  # torch.save(model, f): the whole module
    loaded = xgrad.load(path, weights_only=False)
    np.testing.assert_array_equal(loaded(src, tgt).detach().numpy(),
                                  m(src, tgt).detach().numpy())


def test_attention_out_proj_class_and_safe_globals_load(tmp_path):
    """``MultiheadAttention.out_proj`` is a ``NonDynamicallyQuantizableLinear`` (a Linear), as
    in PyTorch, so a program's safe-globals list naming it loads a whole encoder."""
    xm, tm = nn.MultiheadAttention(4, 2), torch.nn.MultiheadAttention(4, 2)
    assert type(xm.out_proj).__name__ == type(tm.out_proj).__name__
    assert [c.__name__ for c in type(xm.out_proj).__mro__[:2]] == \
        [c.__name__ for c in type(tm.out_proj).__mro__[:2]]
    assert nn.modules.linear.NonDynamicallyQuantizableLinear is type(xm.out_proj)
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0), 1)
    path = tmp_path / "enc.pt"
    xgrad.save(enc, path)
    names = [nn.functional.relu, nn.modules.activation.MultiheadAttention,
             nn.modules.container.ModuleList, nn.modules.dropout.Dropout,
             nn.modules.linear.Linear, nn.modules.linear.NonDynamicallyQuantizableLinear,
             nn.modules.normalization.LayerNorm, nn.modules.transformer.TransformerEncoder,
             nn.modules.transformer.TransformerEncoderLayer]
    with xgrad.serialization.safe_globals(names):
        loaded = xgrad.load(path)
    x = xgrad.randn(3, 1, 4)
    np.testing.assert_array_equal(loaded(x).detach().numpy(), enc(x).detach().numpy())
