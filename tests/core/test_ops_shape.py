"""Shape and movement ops on both backends: values vs numpy, gradients by gradcheck."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad
from xgrad.autograd import gradcheck


def _t(arr, backend, rg=False):
    return xgrad.tensor(np.asarray(arr), dtype=xgrad.float64, device=backend, requires_grad=rg)


A = np.arange(24, dtype=np.float64).reshape(2, 3, 4) / 7.0

# name, xgrad fn, numpy fn on A (2, 3, 4)
SHAPE = [
    ("reshape", lambda x: x.reshape(4, 6), lambda a: a.reshape(4, 6)),
    ("reshape_infer", lambda x: x.reshape(-1, 3), lambda a: a.reshape(-1, 3)),
    ("reshape_tuple", lambda x: xgrad.reshape(x, (6, -1)), lambda a: a.reshape(6, -1)),
    ("view", lambda x: x.view(2, 12), lambda a: a.reshape(2, 12)),
    ("flatten", lambda x: x.flatten(), lambda a: a.reshape(-1)),
    ("flatten_1", lambda x: x.flatten(1), lambda a: a.reshape(2, 12)),
    ("flatten_0_1", lambda x: x.flatten(0, 1), lambda a: a.reshape(6, 4)),
    ("unflatten", lambda x: x.unflatten(2, (2, 2)), lambda a: a.reshape(2, 3, 2, 2)),
    ("unflatten_neg", lambda x: x.unflatten(-1, (-1, 2)), lambda a: a.reshape(2, 3, 2, 2)),
    ("squeeze", lambda x: x[:, :1].squeeze(), lambda a: a[:, :1].squeeze()),
    ("squeeze_dim", lambda x: x[:, :1].squeeze(1), lambda a: a[:, :1].squeeze(1)),
    ("squeeze_noop", lambda x: x.squeeze(0), lambda a: a),
    ("unsqueeze", lambda x: x.unsqueeze(1), lambda a: a[:, None]),
    ("unsqueeze_neg", lambda x: x.unsqueeze(-1), lambda a: a[..., None]),
    ("permute", lambda x: x.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1)),
    ("permute_tuple", lambda x: x.permute((1, -1, 0)), lambda a: a.transpose(1, 2, 0)),
    ("transpose", lambda x: x.transpose(0, 2), lambda a: a.swapaxes(0, 2)),
    ("transpose_neg", lambda x: x.transpose(-1, -2), lambda a: a.swapaxes(-1, -2)),
    ("T2d", lambda x: x[0].T, lambda a: a[0].T),
    ("t", lambda x: x[0].t(), lambda a: a[0].T),
    ("mT", lambda x: x.mT, lambda a: a.swapaxes(-1, -2)),
    ("expand", lambda x: x[:, :1].expand(2, 3, 4), lambda a: np.broadcast_to(a[:, :1], (2, 3, 4))),
    ("expand_neg1", lambda x: x[None, :, :1].expand(3, -1, 2, -1),
     lambda a: np.broadcast_to(a[None, :, :1], (3, 2, 2, 4))),
    ("expand_as", lambda x: x[:1].expand_as(x), lambda a: np.broadcast_to(a[:1], a.shape)),
    ("broadcast_to", lambda x: x[0, 0].broadcast_to((3, 4)), lambda a: np.broadcast_to(a[0, 0], (3, 4))),
    ("cat0", lambda x: xgrad.cat([x, x * 2], 0), lambda a: np.concatenate([a, a * 2], 0)),
    ("cat_neg", lambda x: xgrad.cat((x, x[..., :1]), dim=-1),
     lambda a: np.concatenate([a, a[..., :1]], -1)),
    ("stack", lambda x: xgrad.stack([x, x + 1]), lambda a: np.stack([a, a + 1])),
    ("stack_neg", lambda x: xgrad.stack([x, x], dim=-1), lambda a: np.stack([a, a], -1)),
    ("split_int", lambda x: x.split(2, dim=2)[1], lambda a: a[:, :, 2:4]),
    ("split_list", lambda x: xgrad.split(x, [1, 2], dim=1)[1], lambda a: a[:, 1:3]),
    ("chunk", lambda x: x.chunk(3, 1)[2], lambda a: a[:, 2:3]),
    ("chunk_uneven", lambda x: x.chunk(3, -1)[1], lambda a: a[..., 2:4]),
    ("flip", lambda x: x.flip(0), lambda a: a[::-1]),
    ("flip_multi", lambda x: xgrad.flip(x, (0, -1)), lambda a: a[::-1, :, ::-1]),
    ("roll", lambda x: x.roll(1, 2), lambda a: np.roll(a, 1, 2)),
    ("roll_multi", lambda x: x.roll((1, -2), (0, 2)), lambda a: np.roll(a, (1, -2), (0, 2))),
    ("roll_flat", lambda x: x.roll(5), lambda a: np.roll(a, 5)),
    ("repeat", lambda x: x.repeat(2, 1, 2), lambda a: np.tile(a, (2, 1, 2))),
    ("repeat_newdims", lambda x: x[0].repeat(2, 2, 1), lambda a: np.tile(a[0], (2, 2, 1))),
    ("tile", lambda x: x.tile((1, 2)), lambda a: np.tile(a, (1, 2))),
    ("narrow", lambda x: x.narrow(1, 1, 2), lambda a: a[:, 1:3]),
    ("narrow_neg", lambda x: xgrad.narrow(x, -1, 0, 3), lambda a: a[..., :3]),
    ("unbind", lambda x: x.unbind(1)[2], lambda a: a[:, 2]),
]


@pytest.mark.parametrize("name,fn,ref", SHAPE, ids=[s[0] for s in SHAPE])
def test_shape_op(backend, name, fn, ref):
    x = _t(A, backend, True)
    out = fn(x)
    expect = ref(A)
    assert tuple(out.shape) == expect.shape
    np.testing.assert_allclose(out.numpy(), expect, rtol=1e-15)
    assert gradcheck(fn, (x,))


def test_split_and_chunk_pieces(backend):
    x = _t(np.arange(10.0), backend)
    assert [tuple(p.shape) for p in x.split(3)] == [(3,), (3,), (3,), (1,)]
    assert [tuple(p.shape) for p in x.chunk(4)] == [(3,), (3,), (3,), (1,)]
    assert [p.tolist() for p in x.split([2, 8])] == [[0.0, 1.0], list(np.arange(2.0, 10.0))]


def test_cat_gradient_to_each_input(backend, rng):
    a, b = _t(rng.normal(size=(2, 2)), backend, True), _t(rng.normal(size=(1, 2)), backend, True)
    assert gradcheck(lambda p, q: xgrad.cat([p, q]), (a, b))
    assert gradcheck(lambda p, q: xgrad.stack([p[0], q[0]], 1), (a, b))


def test_size_and_shape_types(backend):
    x = _t(A, backend)
    assert x.shape == (2, 3, 4) and isinstance(x.shape, tuple)
    assert x.size() == (2, 3, 4) and x.size(-1) == 4 and x.size(1) == 3
    assert x.shape.numel() == 24
    assert xgrad.broadcast_shapes((2, 1), (3,)) == (2, 3)


def test_view_is_reshape_of_same_values_and_contiguous_is_identity(backend):
    x = _t(A, backend)
    np.testing.assert_array_equal(x.contiguous().numpy(), A)
    np.testing.assert_array_equal(x.permute(2, 1, 0).contiguous().view(-1).numpy(),
                                  A.transpose(2, 1, 0).reshape(-1))
