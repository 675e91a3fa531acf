"""PyTorch as an oracle: the same lambda runs on xgrad and torch; forward and backward agree."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad

torch = pytest.importorskip("torch")

P = (0.5, 2.0)  # positive domain
R = (-2.0, 2.0)


def _idx(m, v):
    return m.tensor(v)


# name, fn(m, *xs) where m is the library module, input shapes, domain
CASES = [
    # arithmetic and operators
    ("add", lambda m, a, b: a + b, [(2, 3), (3,)], R),
    ("sub_r", lambda m, a: 2.0 - a, [(2, 3)], R),
    ("mul", lambda m, a, b: a * b, [(2, 1), (1, 3)], R),
    ("div", lambda m, a, b: a / b, [(2, 3), (2, 3)], P),
    ("rdiv", lambda m, a: 3.0 / a, [(4,)], P),
    ("pow", lambda m, a, b: a ** b, [(2, 3), (2, 3)], P),
    ("pow_s", lambda m, a: a ** 2.5, [(4,)], P),
    ("rpow", lambda m, a: 1.7 ** a, [(4,)], R),
    ("neg", lambda m, a: -a, [(4,)], R),
    ("matmul", lambda m, a, b: a @ b, [(2, 3), (3, 2)], R),
    ("matmul_batched", lambda m, a, b: m.matmul(a, b), [(2, 2, 3), (3, 4)], R),
    ("matmul_vec", lambda m, a, b: a @ b, [(3,), (2, 3, 2)], R),
    ("mm", lambda m, a, b: m.mm(a, b), [(2, 3), (3, 2)], R),
    ("bmm", lambda m, a, b: m.bmm(a, b), [(2, 2, 3), (2, 3, 2)], R),
    ("einsum_ij_jk", lambda m, a, b: m.einsum("ij,jk->ik", a, b), [(2, 3), (3, 2)], R),
    ("einsum_bij_bkj", lambda m, a, b: m.einsum("bij,bkj->bik", a, b), [(2, 2, 3), (2, 4, 3)], R),
    ("einsum_outer", lambda m, a, b: m.einsum("i,j->ij", a, b), [(3,), (2,)], R),
    ("einsum_t", lambda m, a: m.einsum("ijk->kj", a), [(2, 3, 2)], R),
    # math
    ("exp", lambda m, a: a.exp(), [(2, 3)], R),
    ("log", lambda m, a: m.log(a), [(2, 3)], P),
    ("log1p", lambda m, a: a.log1p(), [(2, 3)], P),
    ("expm1", lambda m, a: a.expm1(), [(2, 3)], R),
    ("sqrt", lambda m, a: a.sqrt(), [(2, 3)], P),
    ("rsqrt", lambda m, a: a.rsqrt(), [(2, 3)], P),
    ("sin", lambda m, a: a.sin(), [(2, 3)], R),
    ("cos", lambda m, a: m.cos(a), [(2, 3)], R),
    ("tanh", lambda m, a: a.tanh(), [(2, 3)], R),
    ("sigmoid", lambda m, a: a.sigmoid(), [(2, 3)], R),
    ("relu", lambda m, a: a.relu(), [(2, 3)], R),
    ("abs", lambda m, a: a.abs(), [(2, 3)], R),
    ("sign", lambda m, a: a.sign() * a, [(2, 3)], R),
    ("clamp", lambda m, a: a.clamp(-0.5, 0.5), [(2, 3)], R),
    ("clamp_tensor", lambda m, a, b: m.clamp(a, min=b), [(2, 3), (3,)], R),
    ("maximum", lambda m, a, b: m.maximum(a, b), [(2, 3), (3,)], R),
    ("minimum", lambda m, a, b: m.minimum(a, b), [(2, 3), (2, 3)], R),
    ("where", lambda m, a, b: m.where(a > 0, a, b), [(2, 3), (3,)], R),
    ("erf", lambda m, a: a.erf(), [(2, 3)], R),
    ("softmax", lambda m, a: a.softmax(-1), [(2, 3)], R),
    ("log_softmax", lambda m, a: m.log_softmax(a, dim=0), [(2, 3)], R),
    # reductions
    ("sum", lambda m, a: a.sum(), [(2, 3)], R),
    ("sum_dims", lambda m, a: a.sum((0, -1), keepdim=True), [(2, 3, 2)], R),
    ("mean", lambda m, a: a.mean(-1), [(2, 3)], R),
    ("prod", lambda m, a: a.prod(1), [(2, 3)], R),
    ("var", lambda m, a: a.var(0), [(3, 2)], R),
    ("std", lambda m, a: a.std(dim=1, keepdim=True), [(2, 3)], R),
    ("var_unbiased_false", lambda m, a: a.var(1, unbiased=False), [(2, 3)], R),
    ("max", lambda m, a: a.max(), [(2, 3)], R),
    ("max_dim", lambda m, a: a.max(1)[0], [(2, 3)], R),
    ("min_dim", lambda m, a: a.min(dim=0, keepdim=True).values, [(2, 3)], R),
    ("amax", lambda m, a: a.amax((0, 1)), [(2, 3, 2)], R),
    ("amin", lambda m, a: a.amin(-1), [(2, 3)], R),
    ("logsumexp", lambda m, a: a.logsumexp(1), [(2, 3)], R),
    ("norm", lambda m, a: a.norm(), [(2, 3)], R),
    ("norm_dim", lambda m, a: a.norm(dim=1), [(2, 3)], R),
    ("norm_p1", lambda m, a: a.norm(p=1, dim=0), [(2, 3)], R),
    ("cumsum", lambda m, a: a.cumsum(1), [(2, 3)], R),
    # shape
    ("reshape", lambda m, a: a.reshape(3, -1), [(2, 3)], R),
    ("view", lambda m, a: a.view(6), [(2, 3)], R),
    ("flatten", lambda m, a: a.flatten(1), [(2, 3, 2)], R),
    ("unflatten", lambda m, a: a.unflatten(1, (3, 1)), [(2, 3)], R),
    ("squeeze", lambda m, a: a.squeeze(1), [(2, 1, 3)], R),
    ("unsqueeze", lambda m, a: a.unsqueeze(-2), [(2, 3)], R),
    ("permute", lambda m, a: a.permute(2, 0, 1), [(2, 3, 2)], R),
    ("transpose", lambda m, a: a.transpose(0, -1), [(2, 3, 2)], R),
    ("T", lambda m, a: a.T, [(2, 3)], R),
    ("mT", lambda m, a: a.mT, [(2, 2, 3)], R),
    ("expand", lambda m, a: a.expand(2, 2, 3), [(2, 1, 3)], R),
    ("expand_as", lambda m, a, b: a.expand_as(b), [(1, 3), (2, 3)], R),
    ("broadcast_to", lambda m, a: m.broadcast_to(a, (2, 3)), [(3,)], R),
    ("cat", lambda m, a, b: m.cat([a, b], dim=1), [(2, 3), (2, 1)], R),
    ("stack", lambda m, a, b: m.stack([a, b], dim=1), [(2, 3), (2, 3)], R),
    ("split", lambda m, a: a.split(2, dim=1)[1], [(2, 3)], R),
    ("chunk", lambda m, a: a.chunk(2)[0], [(3, 2)], R),
    ("flip", lambda m, a: a.flip(0, 1) if m is torch else a.flip((0, 1)), [(2, 3)], R),
    ("roll", lambda m, a: a.roll(1, 1), [(2, 3)], R),
    ("repeat", lambda m, a: a.repeat(2, 1, 2), [(2, 3)], R),
    ("tile", lambda m, a: a.tile((2,)), [(2, 3)], R),
    ("narrow", lambda m, a: a.narrow(1, 1, 2), [(2, 3)], R),
    # indexing
    ("getitem_basic", lambda m, a: a[1:, None, ..., ::2], [(3, 4)], R),
    ("getitem_int", lambda m, a: a[_idx(m, [2, 0, 2])], [(3, 2)], R),
    ("getitem_bool", lambda m, a: a[a > 0], [(3, 4)], R),
    ("gather", lambda m, a: a.gather(1, _idx(m, [[0, 2], [1, 1]])), [(2, 3)], R),
    ("scatter", lambda m, a, b: a.scatter(1, _idx(m, [[0, 2], [1, 0]]), b), [(2, 3), (2, 2)], R),
    ("scatter_add", lambda m, a, b: a.scatter_add(0, _idx(m, [[1, 0, 1]]), b), [(2, 3), (1, 3)],
     R),
    ("index_select", lambda m, a: a.index_select(0, _idx(m, [1, 1, 0])), [(2, 3)], R),
    ("masked_fill", lambda m, a: a.masked_fill(a < 0, 0.5), [(2, 3)], R),
    ("topk", lambda m, a: a.topk(2, dim=1)[0], [(2, 4)], R),
    ("topk_smallest", lambda m, a: a.topk(2, dim=0, largest=False).values, [(3, 2)], R),
    ("sort", lambda m, a: a.sort(dim=-1, descending=True)[0], [(2, 4)], R),
]


def _xgrad_inputs(arrs):
    return [xgrad.tensor(a, dtype=xgrad.float64, requires_grad=True) for a in arrs]


def _torch_inputs(arrs):
    return [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrs]


@pytest.mark.parametrize("name,fn,shapes,dom", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(rng, name, fn, shapes, dom):
    arrs = [rng.uniform(*dom, size=s) for s in shapes]
    if dom is R:  # keep away from kinks (relu/abs/clamp at 0 and +-0.5)
        arrs = [np.where(np.abs(np.abs(a) - 0.5) < 0.05, a + 0.2, a) for a in arrs]
        arrs = [np.where(np.abs(a) < 0.05, 0.3, a) for a in arrs]
    xs, ts = _xgrad_inputs(arrs), _torch_inputs(arrs)
    out_x, out_t = fn(xgrad, *xs), fn(torch, *ts)
    assert tuple(out_x.shape) == tuple(out_t.shape)
    np.testing.assert_allclose(out_x.numpy(), out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    go = rng.normal(size=tuple(out_t.shape))
    out_x.backward(xgrad.tensor(go, dtype=xgrad.float64))
    out_t.backward(torch.tensor(go, dtype=torch.float64))
    for i, (x, t) in enumerate(zip(xs, ts)):
        if t.grad is None:
            assert x.grad is None or not x.grad.numpy().any(), f"input {i}"
            continue
        assert x.grad is not None, f"input {i} got no gradient"
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=f"gradient of input {i}")


PROMOTION = [
    ("f32+pyfloat", lambda m: m.ones(2) + 1.5),
    ("i64/i64", lambda m: m.tensor([3, 4]) / m.tensor([2, 2])),
    ("i64+pyfloat", lambda m: m.tensor([3, 4]) + 0.5),
    ("i32*i64", lambda m: m.tensor([3], dtype=m.int32) * m.tensor([2])),
    ("f32+f64", lambda m: m.ones(2) + m.ones(2, dtype=m.float64)),
    ("f32*f64_0d", lambda m: m.ones(2) * m.tensor(2.0, dtype=m.float64)),
    ("i32+i64_0d", lambda m: m.ones(2, dtype=m.int32) + m.tensor(3)),
    ("i32+f32_0d", lambda m: m.ones(2, dtype=m.int32) + m.tensor(3.0)),
    ("bool+int", lambda m: m.tensor([True]) + 1),
    ("bool*f16", lambda m: m.tensor([True]) * m.ones(1, dtype=m.float16)),
    ("f16+f32_0d", lambda m: m.ones(2, dtype=m.float16) + m.tensor(1.0)),
    ("i64 sum", lambda m: m.tensor([1, 2]).sum()),
    ("bool sum", lambda m: m.tensor([True, True]).sum()),
    ("int sqrt", lambda m: m.tensor([4]).sqrt()),
    ("arange int", lambda m: m.arange(3)),
    ("arange float", lambda m: m.arange(0, 1, 0.5)),
    ("full int", lambda m: m.full((1,), 2)),
    ("int floordiv", lambda m: m.tensor([7]) // 2),
    ("int pow", lambda m: m.tensor([7]) ** 2),
    ("argmax", lambda m: m.tensor([1.0, 3.0]).argmax()),
]


@pytest.mark.parametrize("name,fn", PROMOTION, ids=[p[0] for p in PROMOTION])
def test_dtype_matches_torch(name, fn):
    out_x, out_t = fn(xgrad), fn(torch)
    assert out_x.dtype.name == str(out_t.dtype).replace("torch.", "")
    np.testing.assert_allclose(out_x.numpy().astype(np.float64),
                               out_t.numpy().astype(np.float64), rtol=1e-3)
