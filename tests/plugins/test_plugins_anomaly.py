"""Anomaly detection (xgrad.plugins.anomaly): NaN/Inf caught in forward and backward."""
from __future__ import annotations

import math

import numpy as np
import pytest
import xgrad
from xgrad.autograd import Function
from xgrad.dispatch import Dispatch
from xgrad.plugins import anomaly

BACKENDS = ["numpy", "reference"]


@pytest.fixture(autouse=True)
def _restored():
    yield
    assert Dispatch.active is False
    assert Dispatch.record_stack is False
    assert anomaly.is_anomaly_enabled() is False


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("device", BACKENDS)
def test_forward_nan_names_op_backend_inputs(device):
    x = xgrad.tensor([1.0, -1.0, 2.0], device=device, requires_grad=True)
    with pytest.raises(RuntimeError) as info:
        with xgrad.autograd.detect_anomaly():
            y = x * 2
            y.log()
    msg = str(info.value)
    assert msg.startswith("Function 'log' returned nan values in its 0th output.")
    assert "phase: forward" in msg
    assert f"backend: '{device}'" in msg
    # the input of log is x * 2 = [2, -2, 4]: shape, dtype, range and NaN count
    assert "input 0: float32[3] finite min=-2 max=4 nan=0 inf=0" in msg
    assert "output 0: float32[3] finite min=0.693147 max=1.38629 nan=1 inf=0" in msg


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_forward_inf_is_reported_as_inf():
    x = xgrad.tensor([1.0, 200.0])
    with pytest.raises(RuntimeError, match=r"Function 'exp' returned inf values in its 0th output"):
        with xgrad.autograd.detect_anomaly():
            x.exp()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("device", BACKENDS)
def test_backward_only_inf_names_backward_function_and_forward_stack(device):
    x = xgrad.tensor([0.0, 1.0, 4.0], device=device, requires_grad=True)
    with xgrad.autograd.detect_anomaly():
        y = x.sqrt()  # the forward call the error must point at
        assert np.isfinite(y.numpy()).all()  # forward is clean
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
    msg = str(info.value)
    assert msg.startswith("Function 'SqrtBackward0' returned inf values in its 0th output.")
    assert "phase: backward" in msg
    assert f"backend: '{device}'" in msg
    assert "forward input 0: float32[3] finite min=0 max=4 nan=0 inf=0" in msg
    assert "grad_output 0: float32[3] finite min=1 max=1 nan=0 inf=0" in msg
    stack = msg.split("Traceback of forward call that caused the error:\n", 1)[1]
    assert __file__ in stack
    assert "y = x.sqrt()  # the forward call the error must point at" in stack.splitlines()[-1]


class _BadGrad(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 3

    @staticmethod
    def backward(ctx, g):
        return g * float("nan")


def test_custom_function_backward_nan():
    x = xgrad.tensor([1.0, 2.0], requires_grad=True)
    with xgrad.autograd.detect_anomaly():
        z = _BadGrad.apply(x) + 1  # custom function forward
        with pytest.raises(RuntimeError) as info:
            z.sum().backward()
    msg = str(info.value)
    assert msg.startswith("Function '_BadGradBackward' returned nan values in its 0th output.")
    assert "z = _BadGrad.apply(x) + 1  # custom function forward" in msg
    assert "nan=2" in msg


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_inf_in_second_gradient_names_output_index():
    a = xgrad.tensor([1.0, 2.0], requires_grad=True)
    b = xgrad.tensor([1e-30, 3.0], requires_grad=True)
    with xgrad.autograd.detect_anomaly():
        out = a / b  # finite in float32: [1e30, 0.67]
        assert np.isfinite(out.numpy()).all()
        # d/db = -a / b^2 = -1e60 overflows float32; d/da = 1 / b = 1e30 stays finite
        with pytest.raises(RuntimeError, match="Function 'DivBackward0' returned inf values "
                                               "in its 1th output"):
            out.sum().backward()


def test_finite_computation_unchanged_and_no_error():
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((4, 3))

    def run():
        x = xgrad.tensor(xs, dtype=xgrad.float64, requires_grad=True)
        y = (x.exp() * x.tanh()).log1p().sum()
        y.backward()
        return y.item(), x.grad.numpy()

    plain = run()
    with xgrad.autograd.detect_anomaly():
        checked = run()
    assert plain[0] == checked[0]
    np.testing.assert_array_equal(plain[1], checked[1])
    # independent reference: d/dx log1p(e^x tanh x) = (e^x tanh x + e^x (1 - tanh^2 x)) / (1 + e^x tanh x)
    e, t = np.exp(xs), np.tanh(xs)
    np.testing.assert_allclose(checked[1], (e * t + e * (1 - t * t)) / (1 + e * t), rtol=1e-12)


def test_state_restored_after_exception_and_nesting():
    with pytest.raises(ValueError):
        with xgrad.autograd.detect_anomaly():
            assert Dispatch.active and Dispatch.record_stack
            raise ValueError("boom")
    with xgrad.autograd.detect_anomaly():
        with xgrad.autograd.detect_anomaly(check_nan=False):
            assert anomaly.is_anomaly_check_nan_enabled() is False
        assert anomaly.is_anomaly_enabled() and anomaly.is_anomaly_check_nan_enabled()
        assert Dispatch.active
    assert not anomaly.is_anomaly_enabled()


def test_decorator_and_set_detect_anomaly():
    @xgrad.autograd.detect_anomaly()
    def f(x):
        assert Dispatch.active
        return x.log()

    with pytest.warns(RuntimeWarning):  # numpy's own "invalid value" warning
        with pytest.raises(RuntimeError, match="Function 'log'"):
            f(xgrad.tensor([-1.0]))
    xgrad.autograd.set_detect_anomaly(True)
    try:
        assert anomaly.is_anomaly_enabled() and Dispatch.active
    finally:
        xgrad.autograd.set_detect_anomaly(False)
    assert not Dispatch.active
    with xgrad.autograd.set_detect_anomaly(True):
        assert Dispatch.active
    with pytest.raises(TypeError, match="expects a bool"):
        xgrad.autograd.set_detect_anomaly("yes")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_check_nan_false_records_stacks_only():
    x = xgrad.tensor([-1.0], requires_grad=True)
    with xgrad.autograd.detect_anomaly(check_nan=False):
        y = x.log()
        assert math.isnan(y.item())
        assert any(__file__ in line for line in y.grad_fn.stack)
        y.sum().backward()  # grad 1/x = -1: fine; nothing raised either way


class _Raises(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 1

    @staticmethod
    def backward(ctx, g):
        raise ValueError("custom backward failed")


def test_other_backward_errors_warn_with_forward_stack():
    x = xgrad.tensor([1.0], requires_grad=True)
    with xgrad.autograd.detect_anomaly():
        y = _Raises.apply(x)  # the failing node's forward
        with pytest.warns(RuntimeWarning, match="Error detected in _RaisesBackward") as rec:
            with pytest.raises(ValueError, match="custom backward failed"):
                y.sum().backward()
    assert "y = _Raises.apply(x)  # the failing node's forward" in str(rec[0].message)
