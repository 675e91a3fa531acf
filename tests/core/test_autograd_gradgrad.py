"""Double backward (gradgradcheck) for a representative set of ops, on both backends."""
from __future__ import annotations

import pytest
import xgrad
from xgrad.autograd import gradcheck, gradgradcheck

IDX = [[0, 2], [1, 1]]

# name, fn, input shapes, domain
GG = [
    ("mul", lambda a, b: a * b, [(2, 2), (2,)], (-2, 2)),
    ("div", lambda a, b: a / b, [(2, 2), (2,)], (0.5, 2)),
    ("exp", lambda a: a.exp(), [(3,)], (-1, 1)),
    ("log", lambda a: a.log(), [(3,)], (0.5, 2)),
    ("tanh", lambda a: a.tanh(), [(3,)], (-1, 1)),
    ("sigmoid", lambda a: a.sigmoid(), [(3,)], (-2, 2)),
    ("matmul", lambda a, b: a @ b, [(2, 3), (3, 2)], (-1, 1)),
    ("softmax", lambda a: a.softmax(-1), [(2, 3)], (-1, 1)),
    ("log_softmax", lambda a: xgrad.log_softmax(a, dim=1), [(2, 3)], (-1, 1)),
    ("logsumexp", lambda a: a.logsumexp(0), [(2, 3)], (-1, 1)),
    ("pow_tensor", lambda a, b: a ** b, [(3,), (3,)], (0.5, 2)),
    ("pow_scalar", lambda a: a ** 3, [(3,)], (-2, 2)),
    ("sum", lambda a: (a * a).sum(1), [(2, 3)], (-1, 1)),
    ("mean", lambda a: (a * a).mean(), [(2, 3)], (-1, 1)),
    ("getitem", lambda a: (a * a)[1:, ::2], [(3, 3)], (-1, 1)),
    ("gather", lambda a: (a * a).gather(1, _gidx(a)), [(2, 3)], (-1, 1)),
    ("sqrt", lambda a: a.sqrt(), [(3,)], (0.5, 2)),
    ("sin", lambda a: a.sin(), [(3,)], (-2, 2)),
    ("var", lambda a: a.var(1), [(2, 3)], (-1, 1)),
    ("norm", lambda a: a.norm(), [(3,)], (0.5, 2)),
]


def _gidx(a):
    return xgrad.tensor(IDX, device=a.device)


@pytest.mark.parametrize("name,fn,shapes,dom", GG, ids=[g[0] for g in GG])
def test_gradgradcheck(backend, rng, name, fn, shapes, dom):
    xs = tuple(xgrad.tensor(rng.uniform(*dom, size=s), dtype=xgrad.float64, device=backend,
                            requires_grad=True) for s in shapes)
    assert gradcheck(fn, xs)
    assert gradgradcheck(fn, xs)
