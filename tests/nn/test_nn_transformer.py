"""scaled_dot_product_attention, MultiheadAttention, TransformerEncoderLayer/Encoder: numpy
float64 reference, mask semantics, batch_first/unbatched layouts, errors and gradcheck."""
from __future__ import annotations

import math

import numpy as np
import pytest
import xgrad
from xgrad.autograd.gradcheck import gradcheck
from xgrad.nn.transformer import (
    MultiheadAttention,
    TransformerEncoder,
    TransformerEncoderLayer,
    generate_square_subsequent_mask,
    scaled_dot_product_attention,
)

F64 = xgrad.float64


def _np_softmax(s: np.ndarray) -> np.ndarray:
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _np_sdpa(q, k, v, allowed=None, add=None, scale=None):
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ np.swapaxes(k, -1, -2) * scale
    if add is not None:
        s = s + add
    if allowed is not None:
        s = np.where(allowed, s, -np.inf)
        live = allowed.any(-1, keepdims=True)
        s = np.where(live, s, 0.0)
        return np.where(live, _np_softmax(s), 0.0) @ v
    return _np_softmax(s) @ v


@pytest.mark.parametrize("mask", [None, "bool", "float", "causal", "scale"])
def test_sdpa_matches_numpy(mask, rng, backend):
    q, k, v = (rng.standard_normal(s) for s in ((2, 3, 5), (2, 4, 5), (2, 4, 2)))
    kw: dict = {}
    allowed = add = scale = None
    if mask == "bool":
        allowed = rng.random((3, 4)) > 0.5
        allowed[0] = False  # a row that attends to nothing gives zeros
        kw["attn_mask"] = xgrad.tensor(allowed, device=backend)
    elif mask == "float":
        add = rng.standard_normal((2, 3, 4))
        kw["attn_mask"] = xgrad.tensor(add, device=backend)
    elif mask == "causal":
        kw["is_causal"] = True
        allowed = np.tril(np.ones((3, 4), dtype=bool))
    elif mask == "scale":
        kw["scale"] = scale = 0.25
    t = [xgrad.tensor(a, device=backend) for a in (q, k, v)]
    out = scaled_dot_product_attention(*t, **kw)
    np.testing.assert_allclose(out.numpy(), _np_sdpa(q, k, v, allowed, add, scale), atol=1e-12)


def test_sdpa_bool_mask_keeps_gradients_finite(rng):
    q = xgrad.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    k = xgrad.tensor(rng.standard_normal((5, 4)), requires_grad=True)
    v = xgrad.tensor(rng.standard_normal((5, 2)), requires_grad=True)
    m = xgrad.tensor(np.array([[True, True, True, False, True], [False] * 5,
                             [True, False, True, False, False]]))
    out = scaled_dot_product_attention(q, k, v, attn_mask=m)
    assert np.all(out[1].numpy() == 0)
    out.sum().backward()
    for t in (q, k, v):
        assert np.isfinite(t.grad.numpy()).all()
    assert np.all(q.grad[1].numpy() == 0)
    assert np.all(k.grad[3].numpy() == 0)  # column 3 is masked in every live row


def test_sdpa_gradcheck_and_errors(rng):
    q, k, v = (xgrad.tensor(rng.standard_normal(s), requires_grad=True)
               for s in ((2, 3, 2), (2, 4, 2), (2, 4, 3)))
    m = xgrad.tensor(rng.random((3, 4)) > 0.3)
    assert gradcheck(lambda a, b, c: scaled_dot_product_attention(a, b, c, attn_mask=m),
                     (q, k, v))
    assert gradcheck(lambda a, b, c: scaled_dot_product_attention(a, b, c, is_causal=True),
                     (q, k, v))
    with pytest.raises(RuntimeError, match="attn_mask should not be set when is_causal"):
        scaled_dot_product_attention(q, k, v, attn_mask=m, is_causal=True)
    with pytest.raises(RuntimeError, match="same floating dtype"):
        scaled_dot_product_attention(q, k.float(), v)
    with pytest.raises(RuntimeError, match=r"\[2, 3, 2\], \[2, 4, 3\]"):
        scaled_dot_product_attention(q, v, v)


def test_sdpa_dropout_is_applied_when_positive():
    xgrad.manual_seed(0)
    q = xgrad.randn(1, 16, 4, dtype=F64)
    v = xgrad.randn(1, 16, 4, dtype=F64)
    plain = scaled_dot_product_attention(q, q, v)
    dropped = scaled_dot_product_attention(q, q, v, dropout_p=0.5)
    assert not np.allclose(plain.numpy(), dropped.numpy())
    assert np.allclose(scaled_dot_product_attention(q, q, v, dropout_p=0.0).numpy(), plain.numpy())


def _np_mha(m: MultiheadAttention, q, k, v, allowed=None):
    """Seq-first (L, N, E) numpy reference from PyTorch's documented formula."""
    e, h = m.embed_dim, m.num_heads
    w = m.in_proj_weight.numpy()
    b = m.in_proj_bias.numpy()
    qp, kp, vp = (x @ w[i * e:(i + 1) * e].T + b[i * e:(i + 1) * e]
                  for i, x in enumerate((q, k, v)))

    def heads(t):
        return t.reshape(t.shape[0], t.shape[1], h, e // h).transpose(1, 2, 0, 3)

    s = heads(qp) @ np.swapaxes(heads(kp), -1, -2) / math.sqrt(e // h)
    if allowed is not None:
        s = np.where(allowed, s, -np.inf)
    p = _np_softmax(s)
    out = (p @ heads(vp)).transpose(2, 0, 1, 3).reshape(q.shape[0], q.shape[1], e)
    out = out @ m.out_proj.weight.numpy().T + m.out_proj.bias.numpy()
    return out, p.mean(1)


def test_multihead_attention_matches_numpy_and_masks(rng, backend):
    xgrad.manual_seed(3)
    m = MultiheadAttention(4, 2, dtype=F64, device=backend)
    q, k = rng.standard_normal((3, 2, 4)), rng.standard_normal((5, 2, 4))
    tq, tk = xgrad.tensor(q, device=backend), xgrad.tensor(k, device=backend)
    out, w = m(tq, tk, tk)
    ref, ref_w = _np_mha(m, q, k, k)
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-12)
    np.testing.assert_allclose(w.numpy(), ref_w, atol=1e-12)
    # bool masks: True = NOT allowed; key_padding_mask (N, S) and attn_mask (L, S) combine
    am = rng.random((3, 5)) > 0.6
    kpm = np.zeros((2, 5), dtype=bool)
    kpm[1, 3:] = True
    am[:, 0] = False
    allowed = ~(am[None, None] | kpm[:, None, None, :])
    out, w = m(tq, tk, tk, attn_mask=xgrad.tensor(am, device=backend),
               key_padding_mask=xgrad.tensor(kpm, device=backend))
    ref, ref_w = _np_mha(m, q, k, k, allowed)
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-12)
    np.testing.assert_allclose(w.numpy(), ref_w, atol=1e-12)
    assert np.all(w.numpy()[1, :, 3:] == 0)
    # an equivalent float mask (-inf where masked) gives the same result
    fm = np.where(am, -np.inf, 0.0)
    out_f, _ = m(tq, tk, tk, attn_mask=xgrad.tensor(fm, device=backend),
                 key_padding_mask=xgrad.tensor(kpm, device=backend))
    np.testing.assert_allclose(out_f.numpy(), ref, atol=1e-12)


def test_multihead_attention_layouts_and_weights(rng):
    m = MultiheadAttention(6, 3, dtype=F64)
    x = xgrad.tensor(rng.standard_normal((4, 2, 6)))
    out, w = m(x, x, x, average_attn_weights=False)
    assert tuple(out.shape) == (4, 2, 6) and tuple(w.shape) == (2, 3, 4, 4)
    np.testing.assert_allclose(w.numpy().sum(-1), 1.0, atol=1e-12)
    out2, none = m(x, x, x, need_weights=False)
    assert none is None
    np.testing.assert_allclose(out2.numpy(), out.numpy(), atol=1e-12)
    m.batch_first = True
    out_bf, w_bf = m(*(x.transpose(0, 1),) * 3)
    np.testing.assert_allclose(out_bf.numpy(), out.transpose(0, 1).numpy(), atol=1e-12)
    m.batch_first = False
    out_u, w_u = m(x[:, 0], x[:, 0], x[:, 0])
    assert tuple(out_u.shape) == (4, 6) and tuple(w_u.shape) == (4, 4)
    np.testing.assert_allclose(out_u.numpy(), out[:, 0].numpy(), atol=1e-12)


def test_multihead_attention_parameters_and_init():
    xgrad.manual_seed(0)
    m = MultiheadAttention(8, 2)
    assert [n for n, _ in m.named_parameters()] == [
        "in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    assert tuple(m.in_proj_weight.shape) == (24, 8)
    bound = math.sqrt(6 / (8 + 24))
    w = m.in_proj_weight.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert np.all(m.in_proj_bias.numpy() == 0) and np.all(m.out_proj.bias.numpy() == 0)
    kv = MultiheadAttention(8, 2, kdim=3, vdim=5, bias=False)
    assert [n for n, _ in kv.named_parameters()] == [
        "q_proj_weight", "k_proj_weight", "v_proj_weight", "out_proj.weight"]
    assert tuple(kv.k_proj_weight.shape) == (8, 3)


def test_multihead_attention_errors():
    m = MultiheadAttention(4, 2)
    x = xgrad.zeros(3, 2, 4)
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        MultiheadAttention(5, 2)
    with pytest.raises(AssertionError, match="was expecting key embedding dimension of 4"):
        m(x, xgrad.zeros(3, 2, 5), x)
    with pytest.raises(RuntimeError, match=r"2D attn_mask is \[3, 4\], but should be \[3, 3\]"):
        m(x, x, x, attn_mask=xgrad.zeros(3, 4))
    with pytest.raises(AssertionError, match=r"key_padding_mask shape of \[2, 3\]"):
        m(x, x, x, key_padding_mask=xgrad.zeros(3, 3, dtype=xgrad.bool))
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        m(x, x, x, is_causal=True)


def _swap(module, names, values):
    for n, v in zip(names, values):
        *path, leaf = n.split(".")
        mod = module
        for p in path:
            mod = getattr(mod, p)
        mod._parameters[leaf] = v


def _gradcheck_module(module, inputs, device="numpy"):
    names = [n for n, _ in module.named_parameters()]
    params = [xgrad.tensor(p.numpy(), device=device, requires_grad=True)
              for p in module.parameters()]
    k = len(inputs)

    def f(*args):
        _swap(module, names, args[k:])
        out = module(*args[:k])
        return out[0] if isinstance(out, tuple) else out

    assert gradcheck(f, tuple(inputs) + tuple(params), atol=1e-6)


def test_gradcheck_multihead_attention(rng):
    m = MultiheadAttention(4, 2, dtype=F64, kdim=3, vdim=2)
    q = xgrad.tensor(rng.standard_normal((2, 1, 4)), requires_grad=True)
    k = xgrad.tensor(rng.standard_normal((3, 1, 3)), requires_grad=True)
    v = xgrad.tensor(rng.standard_normal((3, 1, 2)), requires_grad=True)
    _gradcheck_module(m, [q, k, v])


def test_gradcheck_multihead_attention_on_reference(rng):
    m = MultiheadAttention(2, 1, dtype=F64, device="reference")
    x = xgrad.tensor(rng.standard_normal((2, 1, 2)), device="reference", requires_grad=True)
    k = xgrad.tensor(rng.standard_normal((3, 1, 2)), device="reference", requires_grad=True)
    _gradcheck_module(m, [x, k, k.detach()], device="reference")


@pytest.mark.parametrize("kwargs", [{}, {"norm_first": True, "activation": "gelu"}])
def test_gradcheck_encoder_layer(kwargs, rng):
    layer = TransformerEncoderLayer(4, 2, dim_feedforward=3, dropout=0.0, dtype=F64, **kwargs)
    x = xgrad.tensor(rng.standard_normal((3, 1, 4)), requires_grad=True)
    _gradcheck_module(layer, [x])


def _np_layer_norm(x, w, b, eps=1e-5):
    mu = x.mean(-1, keepdims=True)
    var = x.var(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def test_encoder_layer_matches_numpy_post_norm(rng):
    layer = TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0, dtype=F64)
    x = rng.standard_normal((3, 2, 4))
    sa, _ = _np_mha(layer.self_attn, x, x, x)
    h = _np_layer_norm(x + sa, layer.norm1.weight.numpy(), layer.norm1.bias.numpy())
    ff = np.maximum(h @ layer.linear1.weight.numpy().T + layer.linear1.bias.numpy(), 0)
    ff = ff @ layer.linear2.weight.numpy().T + layer.linear2.bias.numpy()
    ref = _np_layer_norm(h + ff, layer.norm2.weight.numpy(), layer.norm2.bias.numpy())
    np.testing.assert_allclose(layer(xgrad.tensor(x)).numpy(), ref, atol=1e-10)


def test_encoder_deep_copies_layers_and_masks(rng):
    layer = TransformerEncoderLayer(4, 2, dim_feedforward=8, dropout=0.0, batch_first=True,
                                    dtype=F64)
    enc = TransformerEncoder(layer, 3)
    assert len(enc.layers) == 3
    ids = {id(p) for lyr in enc.layers for p in lyr.parameters()}
    assert len(ids) == 3 * len(list(layer.parameters()))
    assert len(enc.state_dict()) == 3 * len(layer.state_dict())
    assert "layers.2.self_attn.in_proj_weight" in enc.state_dict()
    x = xgrad.tensor(rng.standard_normal((2, 5, 4)))
    # a causal mask: the output at position t does not depend on later positions
    mask = generate_square_subsequent_mask(5, dtype=F64)
    out = enc(x, mask=mask, is_causal=True)
    x2 = x.clone()
    x2[:, 3:] = xgrad.tensor(rng.standard_normal((2, 2, 4)))
    out2 = enc(x2, mask=mask, is_causal=True)
    np.testing.assert_allclose(out[:, :3].numpy(), out2[:, :3].numpy(), atol=1e-12)
    assert not np.allclose(out[:, 3:].numpy(), out2[:, 3:].numpy())
    # a padded key changes nothing for the others when masked out
    kpm = xgrad.tensor(np.array([[False] * 4 + [True]] * 2))
    a = enc(x, src_key_padding_mask=kpm)
    b = enc(_replace_last(x, rng), src_key_padding_mask=kpm)
    np.testing.assert_allclose(a[:, :4].numpy(), b[:, :4].numpy(), atol=1e-12)


def _replace_last(x, rng):
    y = x.clone()
    y[:, 4] = xgrad.tensor(rng.standard_normal((2, 4)))
    return y


def test_encoder_layer_dropout_and_activation_errors():
    xgrad.manual_seed(0)
    layer = TransformerEncoderLayer(4, 2, dim_feedforward=8, dropout=0.5, dtype=F64)
    x = xgrad.randn(3, 2, 4, dtype=F64)
    assert not np.allclose(layer(x).numpy(), layer(x).numpy())
    layer.eval()
    np.testing.assert_allclose(layer(x).numpy(), layer(x).numpy())
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        TransformerEncoderLayer(4, 2, activation="tanh")
    custom = TransformerEncoderLayer(4, 2, dim_feedforward=8, activation=lambda t: t * 0.0,
                                     dropout=0.0)
    assert tuple(custom(xgrad.randn(3, 2, 4)).shape) == (3, 2, 4)
