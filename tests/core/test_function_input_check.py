"""``xgrad.<op>`` given something that is not a Tensor raises PyTorch's TypeError naming
the op and the type, not an AttributeError from inside the op."""
from __future__ import annotations

import pytest
import xgrad
from xgrad.ops import table


def _tensor_first_functions():
    return sorted(n for n, fn in table.functions().items() if hasattr(fn, "__wrapped__"))


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
