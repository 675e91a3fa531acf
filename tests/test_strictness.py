"""Places where xgrad used to be more lenient than PyTorch: each now matches PyTorch 2.x
(the behaviour and error texts below were taken from torch 2.13 on CPU)."""
from __future__ import annotations

import pytest
import xgrad


@pytest.mark.parametrize("dtype,name", [("float32", "Float"), ("float64", "Double"),
                                        ("int64", "Long"), ("int32", "Int")])
def test_where_rejects_a_non_bool_condition(backend, dtype, name):
    cond = xgrad.tensor([1, 0], dtype=dtype, device=backend)
    a, b = xgrad.ones(2, device=backend), xgrad.zeros(2, device=backend)
    msg = f"where expected condition to be a boolean tensor, but got a tensor with dtype {name}"
    with pytest.raises(RuntimeError, match=msg):
        xgrad.where(cond, a, b)
    with pytest.raises(RuntimeError, match=msg):
        xgrad.where(cond, 1.0, 0.0)


def test_where_with_a_bool_condition_still_selects(backend):
    cond = xgrad.tensor([True, False, True], device=backend)
    out = xgrad.where(cond, xgrad.tensor([1.0, 2.0, 3.0], device=backend), -1.0)
    assert out.tolist() == [1.0, -1.0, 3.0]
