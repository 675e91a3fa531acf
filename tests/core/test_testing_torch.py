"""xgrad.testing.assert_close against torch.testing.assert_close: the same verdicts and the
same messages (with the library's own names for sizes and dtypes)."""
import math

import numpy as np
import pytest
import xgrad

torch = pytest.importorskip("torch")

CASES = [
    ("t([1., 2., 3.])", "t([1., 2.5, 3.])", {}),
    ("t([1., 2.])", "t([1., 2., 3.])", {}),
    ("t([1., 2.])", "t([1., 2.], dtype=fw.float64)", {}),
    ("t([1., 2.])", "t([1., 2.], dtype=fw.float64)", {"check_dtype": False}),
    ("t([1, 2])", "t([1, 3])", {}),
    ("t([True])", "t([False])", {}),
    ("t([nan])", "t([nan])", {}),
    ("t([nan])", "t([nan])", {"equal_nan": True}),
    ("t([inf])", "t([inf])", {}),
    ("t([1.])", "t([0.])", {}),
    ("1.0", "1.1", {}),
    ("t(1.)", "t(2.)", {}),
    ("[t([1.]), t([2.])]", "[t([1.]), t([3.])]", {}),
    ("{'a': t([1.])}", "{'a': t([2.])}", {}),
    ("[[t([1.])], {'k': t([5.])}]", "[[t([1.])], {'k': t([6.])}]", {}),
    ("t([[1., 2.], [3., 4.]])", "t([[1., 2.], [3., 5.]])", {"msg": "custom"}),
    ("t([1., 2.])", "t([1., 2.1])", {"rtol": 0.1, "atol": 0}),
    ("t([1., 2.])", "t([1., 2.001], dtype=fw.float16)", {"check_dtype": False}),
    ("t([1., 2.], dtype=fw.float16)", "t([1., 2.001], dtype=fw.float16)", {}),
    ("t([1e-6, 2.])", "t([1.5e-6, 2.])", {}),
    ("t([[0.5, 0.7], [0.2, 0.1]], dtype=fw.float64)",
     "t([[0.5, 0.7 + 1e-9], [0.2, 0.1 + 1e-5]], dtype=fw.float64)", {}),
]


def _run(fw, actual, expected, kw):
    env = {"fw": fw, "t": fw.tensor, "nan": math.nan, "inf": math.inf}
    try:
        fw.testing.assert_close(eval(actual, env), eval(expected, env), **kw)
    except (AssertionError, ValueError, TypeError) as exc:
        return type(exc).__name__, str(exc)
    return None


def _ours(text):
    return text.replace("xgrad.", "torch.")


@pytest.mark.parametrize("actual,expected,kw", CASES)
def test_same_verdict_and_message(actual, expected, kw):
    theirs = _run(torch, actual, expected, kw)
    ours = _run(xgrad, actual, expected, kw)
    if theirs is None:
        assert ours is None
        return
    assert ours is not None and ours[0] == theirs[0]
    assert _ours(ours[1]) == theirs[1]


@pytest.mark.parametrize("kw,missing", [({"rtol": 0.1}, "atol"), ({"atol": 0.1}, "rtol")])
def test_tolerances_come_in_pairs(kw, missing):
    theirs, ours = _run(torch, "t([1.])", "t([1.])", kw), _run(xgrad, "t([1.])", "t([1.])", kw)
    assert ours == theirs and ours[1].endswith(f"no {missing}.")


def test_type_pairs():
    with pytest.raises(TypeError, match="No comparison pair was able to handle inputs"):
        xgrad.testing.assert_close(xgrad.tensor([1.0]), 1.0)
    xgrad.testing.assert_close(np.ones(3), np.ones(3))
    with pytest.raises(AssertionError, match="device"):
        xgrad.testing.assert_close(xgrad.ones(2), xgrad.ones(2, device="reference"))
    xgrad.testing.assert_close(xgrad.ones(2), xgrad.ones(2, device="reference"),
                               check_device=False)


def test_make_tensor():
    t = xgrad.testing.make_tensor(3, 4, dtype=xgrad.float32, low=-1, high=1)
    assert tuple(t.shape) == (3, 4) and t.dtype is xgrad.float32
    assert float(t.abs().max()) <= 1
    i = xgrad.testing.make_tensor((50,), dtype=xgrad.int64, low=0, high=3, exclude_zero=True)
    assert set(i.tolist()) <= {1, 2}
    n = xgrad.testing.make_tensor(2, 3, dtype=xgrad.float64, noncontiguous=True,
                                  requires_grad=True)
    assert not n.is_contiguous() and n.requires_grad and tuple(n.shape) == (2, 3)
    with pytest.raises(ValueError, match="`low` must be less than `high`"):
        xgrad.testing.make_tensor(2, dtype=xgrad.float32, low=1, high=0)
