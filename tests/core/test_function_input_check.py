"""``xgrad.<op>`` given something that is not a Tensor raises PyTorch's TypeError naming
the op and the type, not an AttributeError from inside the op."""
from __future__ import annotations

import pytest
import xgrad
from xgrad.ops import table


def _tensor_first_functions():
    return sorted(n for n, fn in table.functions().items() if getattr(fn, "checks_input", False))


@pytest.mark.parametrize("name", _tensor_first_functions())
@pytest.mark.parametrize("bad", [[1.0, 2.0], "x", None])
def test_non_tensor_input_is_a_type_error(name, bad):
    with pytest.raises(TypeError, match=rf"^{name}\(\): argument 'input' \(position 1\) must be "
                                        rf"Tensor, not {type(bad).__name__}$"):
        getattr(xgrad, name)(bad)


def test_most_functions_are_checked_and_tensors_pass():
    assert len(_tensor_first_functions()) >= 50
    assert xgrad.exp(xgrad.zeros(2)).tolist() == [1.0, 1.0]
    assert xgrad.pow(2, xgrad.ones(2)).tolist() == [2.0, 2.0]  # a number first, taken by pow
    with pytest.raises(TypeError, match="must be Tensor, not int"):
        xgrad.maximum(2, xgrad.ones(2))


def test_matches_torch_text():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError) as want:
        torch.exp([1.0])
    with pytest.raises(TypeError) as got:
        xgrad.exp([1.0])
    assert str(got.value) == str(want.value)


_SCALAR_FIRST = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide",
                 "floor_divide", "remainder"]
_OPERANDS = {"float": [1.5, 2.0, -3.0], "long": [1, 2, -3], "half": [1.5, 2.0, -3.0]}


@pytest.mark.parametrize("name", _SCALAR_FIRST)
@pytest.mark.parametrize("number", [2, 2.5, True])
@pytest.mark.parametrize("kind", sorted(_OPERANDS))
def test_number_first_matches_torch(name, number, kind):
    """``torch.add(2, x)``: a Python number first is a wrapped number (x's dtype unless the
    number's category is higher), as in PyTorch."""
    torch = pytest.importorskip("torch")
    other = getattr(xgrad.tensor(_OPERANDS[kind]), kind)()
    try:
        want = getattr(torch, name)(number, getattr(torch.tensor(_OPERANDS[kind]), kind)())
    except RuntimeError as refused:  # torch.sub(True, x): bool subtraction is refused
        with pytest.raises(RuntimeError, match=str(refused).split(",")[0]):
            getattr(xgrad, name)(number, other)
        return
    got = getattr(xgrad, name)(number, other)
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
    assert got.tolist() == pytest.approx(want.tolist(), rel=1e-3)


def test_number_first_alpha_grad_and_two_numbers_match_torch():
    torch = pytest.importorskip("torch")
    x, tx = xgrad.tensor([1.0, -2.0], requires_grad=True), torch.tensor([1.0, -2.0],
                                                                         requires_grad=True)
    got, want = xgrad.sub(3, x, alpha=2), torch.sub(3, tx, alpha=2)
    got.sum().backward()
    want.sum().backward()
    assert got.tolist() == want.tolist() and x.grad.tolist() == tx.grad.tolist()
    for name in ("add", "mul", "div", "floor_divide"):
        got, want = getattr(xgrad, name)(2, 3), getattr(torch, name)(2, 3)
        assert (got.item(), str(got.dtype)[6:]) == (want.item(), str(want.dtype)[6:])
    with pytest.raises(TypeError, match="must be Tensor, not int"):
        xgrad.remainder(2, 3)  # torch refuses two numbers here too
    with pytest.raises(TypeError):
        torch.remainder(2, 3)
