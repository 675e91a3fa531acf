"""A subclass of a built-in backend that overrides a primitive is always the one called.

For every required primitive of the contract (and every fused op the numpy backend ships),
a subclass of the numpy backend wraps that one method with a counter that calls ``super()``;
registered under a test name, a frontend op that reaches the primitive must run the wrapper.
A primitive added to the contract without a driving op here fails
``test_every_primitive_has_a_driver``.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import xgrad
import xgrad.nn.functional as F
from xgrad import registry
from xgrad.backend import FUSED_OPS, PRIMITIVES, describe_backend
from xgrad.backends.numpy import NumpyBackend
from xgrad.registry import BackendSpec

NAME = "override_test"
Driver = Callable[[str], Any]


def _t(d: str, *values: Any, grad: bool = False) -> xgrad.Tensor:
    return xgrad.tensor(list(values) if len(values) != 1 else values[0], device=d,
                        requires_grad=grad)


def _a(d: str) -> xgrad.Tensor:
    return _t(d, 0.5, 1.5, 2.5)


def _b(d: str) -> xgrad.Tensor:
    return _t(d, 2.0, 1.0, 0.25)


def _m(d: str) -> xgrad.Tensor:
    return _a(d) > 1.0


def _setitem(d: str) -> None:
    x = _a(d)
    x[xgrad.tensor([0, 2], device=d)] = 7.0


def _inplace(d: str) -> None:
    x = _a(d)
    x.add_(1.0)


def _getitem_grad(d: str) -> None:
    x = _t(d, [1.0, 2.0, 3.0], grad=True)
    x[xgrad.tensor([0, 0, 2], device=d)].sum().backward()


def _gather_grad(d: str) -> None:
    x = _t(d, [[1.0, 2.0], [3.0, 4.0]], grad=True)
    xgrad.gather(x, 1, xgrad.tensor([[1], [0]], device=d)).sum().backward()


def _image(d: str, grad: bool = False) -> xgrad.Tensor:
    return xgrad.arange(32.0, device=d).reshape(1, 2, 4, 4).requires_grad_(grad)


def _conv_grad(d: str) -> None:
    x = _image(d, grad=True)
    w = xgrad.ones(3, 2, 3, 3, device=d, requires_grad=True)
    F.conv2d(x, w).sum().backward()


def _pool_grad(d: str) -> None:
    F.max_pool2d(_image(d, grad=True), 2).sum().backward()


def _pool_grad_after_write(d: str) -> None:
    # the output written in place: backward cannot reuse its maxima
    F.relu(F.max_pool2d(_image(d, grad=True), 2), inplace=True).sum().backward()


def _compiled_ce_step(d: str) -> None:
    # only xgrad.compile calls cross_entropy_with_grad: for a loss and its gradient in a program
    w = xgrad.ones(2, 3, device=d, requires_grad=True)
    target = xgrad.tensor([0, 2], device=d)

    @xgrad.compile
    def step():
        w.grad = None
        loss = F.cross_entropy(w * 2.0, target)
        loss.backward()
        return loss
    for _ in range(4):
        step()


def _sgd(d: str) -> None:
    p = xgrad.nn.Parameter(xgrad.ones(3, device=d))
    p.grad = xgrad.ones(3, device=d)
    xgrad.optim.SGD([p], lr=0.1, momentum=0.9).step()


def _adam(d: str) -> None:
    p = xgrad.nn.Parameter(xgrad.ones(3, device=d))
    p.grad = xgrad.ones(3, device=d)
    xgrad.optim.Adam([p], lr=0.1).step()


def _ce(d: str, grad: bool) -> None:
    logits = _t(d, [[1.0, 2.0, 0.5], [0.1, 0.2, 0.3]], grad=grad)
    loss = F.cross_entropy(logits, xgrad.tensor([2, 0], device=d))
    if grad:
        loss.backward()


#: For each primitive, a frontend call on device ``d`` that reaches it.
DRIVERS: dict[str, Driver] = {
    "dtype": lambda d: _a(d).dtype,
    "from_numpy": lambda d: _a(d),
    "to_numpy": lambda d: _a(d).numpy(),
    "full": lambda d: xgrad.full((2,), 3.0, device=d),
    "arange": lambda d: xgrad.arange(3, device=d),
    "random_bits": lambda d: xgrad.randint(0, 5, (3,), device=d,
                                           generator=xgrad.Generator().manual_seed(0)),
    "random_uniform": lambda d: xgrad.rand(3, device=d, generator=xgrad.Generator().manual_seed(0)),
    "random_normal": lambda d: xgrad.randn(3, device=d, generator=xgrad.Generator().manual_seed(0)),
    "add": lambda d: _a(d) + _b(d),
    "sub": lambda d: _a(d) - _b(d),
    "mul": lambda d: _a(d) * _b(d),
    "div": lambda d: _a(d) / _b(d),
    "floordiv": lambda d: _a(d) // _b(d),
    "remainder": lambda d: _a(d) % _b(d),
    "pow": lambda d: _a(d) ** _b(d),
    "atan2": lambda d: xgrad.atan2(_a(d), _b(d)),
    "maximum": lambda d: xgrad.maximum(_a(d), _b(d)),
    "minimum": lambda d: xgrad.minimum(_a(d), _b(d)),
    "neg": lambda d: -_a(d),
    "exp": lambda d: _a(d).exp(),
    "log": lambda d: _a(d).log(),
    "log1p": lambda d: _a(d).log1p(),
    "expm1": lambda d: _a(d).expm1(),
    "sin": lambda d: _a(d).sin(),
    "cos": lambda d: _a(d).cos(),
    "tanh": lambda d: _a(d).tanh(),
    "sqrt": lambda d: _a(d).sqrt(),
    "erf": lambda d: xgrad.erf(_a(d)),
    "abs": lambda d: _a(d).abs(),
    "sign": lambda d: _a(d).sign(),
    "floor": lambda d: _a(d).floor(),
    "isnan": lambda d: xgrad.isnan(_a(d)),
    "isinf": lambda d: xgrad.isinf(_a(d)),
    "where": lambda d: xgrad.where(_m(d), _a(d), _b(d)),
    "eq": lambda d: _a(d) == _b(d),
    "ne": lambda d: _a(d) != _b(d),
    "lt": lambda d: _a(d) < _b(d),
    "le": lambda d: _a(d) <= _b(d),
    "gt": lambda d: _a(d) > _b(d),
    "ge": lambda d: _a(d) >= _b(d),
    "logical_and": lambda d: xgrad.logical_and(_m(d), _m(d)),
    "logical_or": lambda d: xgrad.logical_or(_m(d), _m(d)),
    "logical_xor": lambda d: xgrad.logical_xor(_m(d), _m(d)),
    "logical_not": lambda d: xgrad.logical_not(_m(d)),
    "cast": lambda d: _a(d).to(xgrad.float64),
    "sum": lambda d: _a(d).sum(),
    "prod": lambda d: _a(d).prod(),
    "max": lambda d: _a(d).max(),
    "min": lambda d: _a(d).min(),
    "argmax": lambda d: _a(d).argmax(),
    "argmin": lambda d: _a(d).argmin(),
    "cumsum": lambda d: _a(d).cumsum(0),
    "sort": lambda d: _a(d).sort(),
    "reshape": lambda d: _a(d).reshape(3, 1).contiguous(),
    "permute": lambda d: _t(d, [[1.0, 2.0], [3.0, 4.0]]).permute(1, 0).contiguous(),
    "broadcast_to": lambda d: _a(d).expand(2, 3).contiguous(),
    "copy": lambda d: _a(d).clone(),
    "getitem": lambda d: _a(d)[xgrad.tensor([0, 2], device=d)],
    "index_add": _getitem_grad,
    "index_put": _setitem,
    "take_along_axis": lambda d: xgrad.gather(_t(d, [[1.0, 2.0], [3.0, 4.0]]), 1,
                                              xgrad.tensor([[1], [0]], device=d)),
    "put_along_axis_add": _gather_grad,
    "concatenate": lambda d: xgrad.cat([_a(d), _b(d)]),
    "pad": lambda d: F.pad(_a(d), (1, 1)),
    "sliding_window": lambda d: F.avg_pool2d(_image(d), 2, stride=1),
    "matmul": lambda d: _t(d, [[1.0, 2.0]]) @ _t(d, [[3.0], [4.0]]),
    "assign": _inplace,
    # fused ops the numpy backend implements
    "log_softmax": lambda d: F.log_softmax(_a(d), dim=0),
    "softmax": lambda d: F.softmax(_a(d), dim=0),
    "logsumexp": lambda d: xgrad.logsumexp(_a(d), dim=0),
    "cross_entropy": lambda d: _ce(d, grad=False),
    "cross_entropy_grad": lambda d: _ce(d, grad=True),
    "gelu": lambda d: F.gelu(_a(d)),
    "cross_entropy_with_grad": _compiled_ce_step,
    "relu_backward": lambda d: F.relu(_a(d).requires_grad_()).sum().backward(),
    "sigmoid": lambda d: xgrad.sigmoid(_a(d)),
    "linear": lambda d: F.linear(_t(d, [[1.0, 2.0]]), _t(d, [[3.0, 4.0]]), _t(d, [0.5])),
    "conv2d": lambda d: F.conv2d(_image(d), xgrad.ones(3, 2, 3, 3, device=d)),
    "conv2d_input_grad": _conv_grad,
    "conv2d_weight_grad": _conv_grad,
    "max_pool2d": lambda d: F.max_pool2d(_image(d), 2),
    "max_pool2d_backward": _pool_grad_after_write,
    "max_pool2d_backward_out": _pool_grad,
    "sgd_step": _sgd,
    "adam_step": _adam,
}

OVERRIDABLE = (*PRIMITIVES, *sorted(NumpyBackend.fused_ops))


def _counting_subclass(prim: str, calls: list[str]) -> type[NumpyBackend]:
    """A NumpyBackend subclass whose ``prim`` counts its calls and then calls super()."""

    def counted(self: NumpyBackend, *args: Any, **kwargs: Any) -> Any:
        calls.append(prim)
        return getattr(super(cls, self), prim)(*args, **kwargs)

    counted.__name__ = prim
    cls = type(f"Counting_{prim}", (NumpyBackend,), {"name": NAME, "device": NAME, prim: counted})
    return cls


def test_every_primitive_has_a_driver() -> None:
    missing = [p for p in OVERRIDABLE if p not in DRIVERS]
    assert missing == [], f"add a driving op to DRIVERS for: {', '.join(missing)}"
    assert set(NumpyBackend.fused_ops) <= set(FUSED_OPS)


@pytest.mark.parametrize("prim", OVERRIDABLE)
def test_override_wins(prim: str) -> None:
    calls: list[str] = []
    cls = _counting_subclass(prim, calls)
    plugin_spec = BackendSpec(NAME, lambda index: cls())

    class Plugin:
        @xgrad.hookimpl
        def xgrad_register_backends(self) -> list[BackendSpec]:
            return [plugin_spec]

    with registry.REGISTRY.isolated():
        registry.register_plugin(Plugin())
        be = registry.get_backend(NAME)
        assert type(be) is cls
        assert prim in describe_backend(be)["primitives"] + describe_backend(be)["fused_ops"]
        DRIVERS[prim](NAME)
    assert calls, f"{cls.__name__}.{prim} was never called by {DRIVERS[prim]}"


def test_unoverridden_direct_primitives_stay_bound_to_the_array_module() -> None:
    """The fast path: a primitive nobody overrides is the array module's function itself."""
    import numpy as np

    be = NumpyBackend()
    assert be.add is np.add and be.matmul is np.matmul and be.exp is np.exp

    class Sub(NumpyBackend):
        def exp(self, x: Any) -> Any:
            return super().exp(x)

    sub = Sub()
    assert sub.add is np.add
    assert sub.exp.__func__ is Sub.exp
