"""Sparse COO tensors against PyTorch 2.13: construction, products and their gradients,
addition, scaling, coalescing, conversion and the errors (xgrad.sparse)."""
import warnings

import numpy as np
import pytest
import xgrad

torch = pytest.importorskip("torch")
warnings.filterwarnings("ignore", message="Sparse invariant checks")

IDX = [[0, 1, 1, 2, 0], [2, 0, 2, 1, 2]]  # (0, 2) twice: uncoalesced
VAL = [3.0, 4.0, 5.0, -1.5, 0.5]
RNG = np.random.default_rng(0)
DENSE = RNG.standard_normal((3, 4))
LEFT = RNG.standard_normal((2, 3))


def _pair(fw, dtype="float64", grad=False):
    dt = getattr(fw, dtype)
    vals = fw.tensor(VAL, dtype=dt, requires_grad=grad)
    return fw.sparse_coo_tensor(fw.tensor(IDX), vals, (3, 3)), vals


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


@pytest.mark.parametrize("expr", [
    "fw.mm(s, d)", "fw.spmm(s, d)", "fw.sparse.mm(s, d)", "s @ d", "s.mm(d)",
    "s @ d[:, 0]", "l @ s", "fw.mm(l, s)", "l.matmul(s)",
])
def test_products_and_their_gradients(expr):
    got = []
    for fw in (xgrad, torch):
        s, vals = _pair(fw, grad=True)
        d = fw.tensor(DENSE, requires_grad=True)
        left = fw.tensor(LEFT, requires_grad=True)
        out = eval(expr, {"fw": fw, "s": s, "d": d, "l": left})
        w = fw.tensor(np.cos(np.arange(out.numel()).reshape(tuple(out.shape))))
        (out * w).sum().backward()
        got.append((_np(out), _np(vals.grad), None if d.grad is None else _np(d.grad),
                    None if left.grad is None else _np(left.grad)))
    ours, theirs = got
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12)
    for a, b in zip(ours[1:], theirs[1:]):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("expr", [
    "(fw.ones(3, 3, dtype=fw.float64) + s)", "(s + s).to_dense()", "(s * 2).to_dense()",
    "(2 * s).to_dense()", "(s / 4).to_dense()", "(-s).to_dense()", "s.t().to_dense()",
    "s.coalesce().indices()", "s.coalesce().values()", "(s + s).coalesce().values()",
    "s.to_dense()", "s.to(fw.float32).to_dense()", "s.double().to_dense()",
    "(s * fw.arange(9, dtype=fw.float64).reshape(3, 3)).to_dense()",
])
def test_values_match(expr):
    ours = eval(expr, {"fw": xgrad, "s": _pair(xgrad)[0]})
    theirs = eval(expr, {"fw": torch, "s": _pair(torch)[0]})
    assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
    np.testing.assert_allclose(_np(ours), _np(theirs), rtol=1e-12)


def test_metadata_and_repr():
    ours, theirs = _pair(xgrad)[0], _pair(torch)[0]
    assert tuple(ours.shape) == tuple(theirs.shape) and ours.size(1) == theirs.size(1)
    assert ours._nnz() == theirs._nnz() and ours.is_coalesced() == theirs.is_coalesced()
    assert ours.sparse_dim() == theirs.sparse_dim() and ours.dense_dim() == theirs.dense_dim()
    assert ours.is_sparse and not xgrad.ones(1).is_sparse
    assert repr(ours.layout) == "xgrad.sparse_coo" and repr(xgrad.ones(1).layout) == "xgrad.strided"
    c = _pair(xgrad)[0].coalesce()
    tc = _pair(torch)[0].coalesce()
    assert repr(c).replace("xgrad.", "torch.") == repr(tc)


def test_to_sparse_round_trip_and_gradient():
    x = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -3.0]])
    outs = []
    for fw in (xgrad, torch):
        t = fw.tensor(x, requires_grad=True)
        sp = t.to_sparse()
        assert sp.is_coalesced()
        (fw.mm(sp, fw.ones(3, 2, dtype=fw.float64)) ** 2).sum().backward()
        outs.append((_np(sp.indices()), _np(sp.values()), _np(t.grad)))
    for a, b in zip(*outs):
        np.testing.assert_array_equal(a, b)


def test_cora_style_construction():
    """pytorch/examples gcn builds its adjacency from int32 numpy edges with dtype=int64,
    adds it to a float identity and normalises with sparse diagonal products."""
    edges = np.array([[0, 1], [1, 2], [2, 0], [1, 0]], dtype=np.int32)
    res = []
    for fw in (xgrad, torch):
        adj = fw.sparse_coo_tensor(edges.T, fw.ones(4), (3, 3), dtype=fw.int64)
        assert adj.dtype == fw.int64
        adj = fw.eye(3) + adj
        deg = fw.diag(fw.sqrt(1 / fw.sum(adj, dim=1))).to_sparse()
        res.append(_np(deg @ adj @ deg))
    np.testing.assert_allclose(res[0], res[1], rtol=1e-6)


@pytest.mark.parametrize("call", [
    lambda fw: fw.sparse_coo_tensor(fw.tensor(IDX), fw.tensor(VAL[:2]), (3, 3)),
    lambda fw: fw.mm(_pair(fw)[0], fw.ones(4, 2, dtype=fw.float64)),
    lambda fw: fw.mm(_pair(fw)[0], fw.ones(3, 2)),
    lambda fw: _pair(fw)[0] + fw.ones(3, 3, dtype=fw.float64),
    lambda fw: _pair(fw)[0].indices(),
    lambda fw: _pair(fw)[0].exp(),
    lambda fw: _pair(fw)[0].view(9),
])
def test_errors_match(call):
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(Exception) as ours:
        call(xgrad)
    assert type(ours.value) is type(theirs.value)
    head = str(theirs.value).split(". This could be")[0].split(" (")[0]
    assert str(ours.value).startswith(head), (str(ours.value), str(theirs.value))


def test_stricter_than_pytorch_on_bad_indices():
    """PyTorch skips its invariant checks by default (a later op may crash); xgrad checks."""
    with pytest.raises(RuntimeError, match="size is inconsistent with indices: for dim 0, "
                                           "size is 2 but found index 2"):
        xgrad.sparse_coo_tensor(xgrad.tensor(IDX), xgrad.tensor(VAL), (2, 3))
    with pytest.raises(RuntimeError, match=r"indices must be sparse_dim x nnz, but got: \[5\]"):
        xgrad.sparse_coo_tensor(xgrad.tensor(IDX)[0], xgrad.tensor(VAL), (3, 3))
    with pytest.raises(RuntimeError, match="found negative index -1 for dim 1"):
        xgrad.sparse_coo_tensor(xgrad.tensor([[0, 1], [0, -1]]), xgrad.tensor([1.0, 2.0]), (2, 2))


def test_float_indices_are_converted():
    ours = xgrad.sparse_coo_tensor(xgrad.tensor(IDX).double(), xgrad.tensor(VAL), (3, 3))
    theirs = torch.sparse_coo_tensor(torch.tensor(IDX).double(), torch.tensor(VAL), (3, 3))
    assert ours._indices().dtype is xgrad.int64 and theirs._indices().dtype is torch.int64
    np.testing.assert_array_equal(ours.to_dense().numpy(), theirs.to_dense().numpy())


def test_size_inferred_and_legacy_constructor():
    for fw in (xgrad, torch):
        s = fw.sparse_coo_tensor(fw.tensor(IDX), fw.tensor(VAL))
        assert tuple(s.shape) == (3, 3)
    ours = xgrad.sparse.FloatTensor(xgrad.tensor(IDX), xgrad.tensor(VAL), (3, 4))
    theirs = torch.sparse.FloatTensor(torch.tensor(IDX), torch.tensor(VAL), torch.Size([3, 4]))
    assert ours.dtype is xgrad.float32 and tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.to_dense().numpy(), theirs.to_dense().numpy())


def test_moves_between_backends():
    s = _pair(xgrad)[0].to("reference")
    assert s.device.type == "reference" and s._indices().device.type == "reference"
    out = s @ xgrad.tensor(DENSE, device="reference")
    np.testing.assert_allclose(out.numpy(), _pair(xgrad)[0].to_dense().numpy() @ DENSE, rtol=1e-12)
