"""index_add / index_add_ against PyTorch 2.13: values, gradients and errors."""
import numpy as np
import pytest
import xgrad

torch = pytest.importorskip("torch")
RNG = np.random.default_rng(0)
BASE, SRC = RNG.standard_normal((4, 3)), RNG.standard_normal((5, 3))


@pytest.mark.parametrize("dim,index,alpha", [(0, [0, 2, 2, 3, 0], 1), (0, [1, 1, 1, 1, 1], -2.5),
                                             (-2, [3, 2, 1, 0, 0], 0.5)])
def test_values_and_gradients(dim, index, alpha):
    res = []
    for fw in (xgrad, torch):
        a = fw.tensor(BASE, requires_grad=True)
        s = fw.tensor(SRC, requires_grad=True)
        out = a.index_add(dim, fw.tensor(index), s, alpha=alpha)
        (out * fw.tensor(np.arange(12.0).reshape(4, 3))).sum().backward()
        res.append((out.detach().numpy(), a.grad.numpy(), s.grad.numpy()))
    for ours, theirs in zip(*res):
        np.testing.assert_allclose(ours, theirs, rtol=1e-13)


def test_in_place_and_function_forms():
    for fw in (xgrad, torch):
        x = fw.zeros(3, 2)
        x.index_add_(1, fw.tensor([0, 0]), fw.ones(3, 2))
        assert x.tolist() == [[2.0, 0.0]] * 3
        assert fw.index_add(fw.zeros(3), 0, fw.tensor([1, 1]), fw.tensor([1.0, 2.0])).tolist() \
            == [0.0, 3.0, 0.0]


@pytest.mark.parametrize("call", [
    lambda fw: fw.zeros(3, 2).index_add(0, fw.tensor([0, 2, 1]), fw.ones(2, 2)),
    lambda fw: fw.zeros(3, 2).index_add(0, fw.tensor([0, 2]), fw.ones(2, 2, dtype=fw.float64)),
    lambda fw: fw.zeros(3, 2).index_add(0, fw.tensor([[0, 2]]), fw.ones(2, 2)),
    lambda fw: fw.zeros(3, 2).index_add(0, fw.tensor([0.0, 2.0]), fw.ones(2, 2)),
    lambda fw: fw.zeros(3, 2).index_add(0, fw.tensor([0, 5]), fw.ones(2, 2)),
    lambda fw: fw.zeros(3, 2).index_add(0, fw.tensor([0, -1]), fw.ones(2, 2)),
    lambda fw: fw.zeros(3, 2).index_add(0, fw.tensor([0, 1]), fw.ones(2, 3)),
])
def test_errors_match(call):
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(Exception) as ours:
        call(xgrad)
    assert type(ours.value) is type(theirs.value)
    assert str(ours.value) == str(theirs.value)
