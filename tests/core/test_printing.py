"""repr(tensor) and xgrad.set_printoptions / get_printoptions / printoptions, checked
character for character against PyTorch's repr of the same values."""
from __future__ import annotations

import math

import numpy as np
import pytest
import xgrad

torch = pytest.importorskip("torch")

VALUES = [
    [1.0, 2.0, 3.0], [1.5, -2.25, 3.125], [1e-5, 1.0], [1e9, 1.0], [1.0, 2000.0],
    [0.0, -0.0], [math.nan, 1.0], [math.inf, -math.inf, 2.0], [math.nan, 0.5], [123456.789, 0.5],
    [[1.0, 2.0], [3.5, 4.0]], [[[1.0, -1.0]], [[2.0, 0.001]]], 3.14159, -2.0, 7, True,
    [1, -20, 300], [True, False], [], [[0.1] * 30] * 3, list(range(40)),
    [[i * 0.37 - 5.0 for i in range(9)] for _ in range(12)],
]
OPTIONS = [
    {}, {"precision": 2}, {"precision": 8}, {"threshold": 5}, {"threshold": 5, "edgeitems": 1},
    {"linewidth": 30}, {"sci_mode": True}, {"sci_mode": False}, {"profile": "short"},
    {"profile": "full"}, {"profile": "short", "precision": 6}, {"threshold": 10, "edgeitems": 0},
]


def _pair(v, dtype=None):
    x = xgrad.tensor(v) if dtype is None else xgrad.tensor(v, dtype=getattr(xgrad, dtype))
    t = torch.tensor(v) if dtype is None else torch.tensor(v, dtype=getattr(torch, dtype))
    return x, t


@pytest.fixture(autouse=True)
def _restore():
    yield
    xgrad.set_printoptions(profile="default")
    torch.set_printoptions(profile="default")


@pytest.mark.parametrize("opts", OPTIONS, ids=str)
@pytest.mark.parametrize("i", range(len(VALUES)))
def test_repr_matches_torch(opts, i):
    xgrad.set_printoptions(**opts)
    torch.set_printoptions(**opts)
    x, t = _pair(VALUES[i])
    assert repr(x) == repr(t).replace("torch.", "xgrad.")
    assert str(x) == repr(x)


@pytest.mark.parametrize("dtype", ["float64", "float16", "int32", "bfloat16"])
def test_dtype_suffix_matches_torch(dtype):
    for v in ([1.0, 2.5], [3.0, 4.0], [], [[1.0]]):
        x, t = _pair(v, dtype)
        assert repr(x) == repr(t).replace("torch.", "xgrad.")


def test_large_and_wide_tensors_match_torch():
    rng = np.random.default_rng(0)
    for shape in [(2000,), (40, 50), (3, 400, 2), (1001,)]:
        a = (rng.standard_normal(shape) * 10).astype(np.float32)
        assert repr(xgrad.tensor(a)) == repr(torch.tensor(a))
    ints = rng.integers(-10**6, 10**6, (30, 40))
    assert repr(xgrad.tensor(ints)) == repr(torch.tensor(ints))


def test_grad_suffixes_and_default_dtype_match_torch():
    x = xgrad.tensor([1.0, 2.0], requires_grad=True)
    t = torch.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == repr(t)
    assert repr(x * 2) == repr(t * 2)
    xgrad.set_printoptions(linewidth=20)
    torch.set_printoptions(linewidth=20)
    assert repr(x * 2) == repr(t * 2)  # the suffix wraps to its own line
    xgrad.set_default_dtype(xgrad.float64)
    torch.set_default_dtype(torch.float64)
    try:
        for v in ([1.5], []):
            assert repr(xgrad.tensor(v)) == repr(torch.tensor(v))
            assert repr(xgrad.tensor(v, dtype=xgrad.float32)) == \
                repr(torch.tensor(v, dtype=torch.float32)).replace("torch.", "xgrad.")
    finally:
        xgrad.set_default_dtype(xgrad.float32)
        torch.set_default_dtype(torch.float32)


def test_get_printoptions_and_context_manager_match_torch():
    assert xgrad.printing.get_printoptions() == torch._tensor_str.get_printoptions()
    xgrad.set_printoptions(precision=2, sci_mode=True)
    torch.set_printoptions(precision=2, sci_mode=True)
    assert xgrad.printing.get_printoptions() == torch._tensor_str.get_printoptions()
    xgrad.set_printoptions(precision=3)  # sci_mode back to None, as PyTorch
    torch.set_printoptions(precision=3)
    assert xgrad.printing.get_printoptions() == torch._tensor_str.get_printoptions()
    with xgrad.printing.printoptions(precision=1):
        assert repr(xgrad.tensor([1.26])) == "tensor([1.3])"
    assert xgrad.printing.get_printoptions()["precision"] == 3
    with pytest.raises(ValueError, match="profile must be one of"):
        xgrad.set_printoptions(profile="tiny")


def test_parameter_repr_matches_torch():
    xgrad.manual_seed(0)
    p = xgrad.nn.Parameter(xgrad.tensor([[0.5, -1.0]]))
    q = torch.nn.Parameter(torch.tensor([[0.5, -1.0]]))
    assert repr(p) == repr(q)
