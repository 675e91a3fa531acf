"""Grad mode is per thread, as in PyTorch: threads training their own models do not
disturb each other, and a no_grad() in one thread never stops another thread's graph."""
from __future__ import annotations

import threading

import numpy as np
import pytest
import xgrad
from xgrad import nn


def _model_and_data(seed: int) -> tuple:
    xgrad.manual_seed(seed)
    model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 1))
    x = xgrad.randn(32, 6)
    y = (x[:, :1] * 2.0 - x[:, 1:2]).detach()
    return model, x, y


def _train(model: nn.Module, x: xgrad.Tensor, y: xgrad.Tensor, steps: int) -> list[float]:
    opt = xgrad.optim.SGD(model.parameters(), lr=0.05)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        with xgrad.no_grad():  # evaluation inside the loop, as training scripts do
            losses.append(float(((model(x) - y) ** 2).mean()))
    return losses


def _run_threads(targets: list) -> list:
    errors: list[BaseException] = []

    def guard(fn):
        def run():
            try:
                fn()
            except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
                errors.append(exc)
        return run

    threads = [threading.Thread(target=guard(t)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a training thread hung"
    if errors:
        raise errors[0]
    return threads


@pytest.mark.parametrize("n_threads", [2, 4])
def test_threads_training_separate_models_match_sequential(n_threads):
    steps = 25
    sequential = [_train(*_model_and_data(seed), steps) for seed in range(n_threads)]
    setups = [_model_and_data(seed) for seed in range(n_threads)]
    results: list = [None] * n_threads

    def worker(k: int):
        return lambda: results.__setitem__(k, _train(*setups[k], steps))

    _run_threads([worker(k) for k in range(n_threads)])
    for got, want in zip(results, sequential):
        np.testing.assert_allclose(got, want, rtol=0, atol=0)
        assert got[-1] < got[0]  # the models really learn


def test_no_grad_in_one_thread_does_not_stop_another_threads_graph():
    model, x, y = _model_and_data(7)
    stop = threading.Event()
    toggles = [0]

    def toggler():
        while not stop.is_set():
            with xgrad.no_grad():
                toggles[0] += 1
            xgrad.set_grad_enabled(False)
            xgrad.set_grad_enabled(True)

    def trainer():
        try:
            for _ in range(200):
                loss = ((model(x) - y) ** 2).mean()
                assert loss.requires_grad and xgrad.is_grad_enabled()
                loss.backward()
                assert all(p.grad is not None for p in model.parameters())
        finally:
            stop.set()

    _run_threads([toggler, trainer])
    assert toggles[0] > 0


def test_overlapping_no_grad_exits_restore_each_thread():
    inside = threading.Barrier(2)
    exited = threading.Barrier(2)
    seen: dict[str, bool] = {}

    def body(name: str, first_out: bool):
        def run():
            with xgrad.no_grad():
                inside.wait()
                if not first_out:
                    exited.wait()  # leave after the other thread has left
                seen[name + " inside"] = xgrad.is_grad_enabled()
            if first_out:
                exited.wait()
            seen[name + " after"] = xgrad.is_grad_enabled()
        return run

    _run_threads([body("a", True), body("b", False)])
    assert seen == {"a inside": False, "b inside": False, "a after": True, "b after": True}
    assert xgrad.is_grad_enabled()


def test_new_thread_starts_with_grad_enabled_whatever_the_parent_does():
    seen = []
    with xgrad.no_grad():
        _run_threads([lambda: seen.append(xgrad.is_grad_enabled())])
        assert not xgrad.is_grad_enabled()
    assert seen == [True]


def test_anomaly_mode_is_per_thread():
    from xgrad.plugins import anomaly

    x = xgrad.tensor([1.0, 2.0], requires_grad=True)
    started, done = threading.Event(), threading.Event()
    seen = {}

    def detecting():
        with xgrad.autograd.detect_anomaly():
            started.set()
            seen["on here"] = anomaly.is_anomaly_enabled()
            try:
                (x / 0.0).sum()  # inf in the forward output
            except RuntimeError as exc:
                seen["raised"] = "inf" in str(exc).lower()
            done.wait(timeout=60)

    def plain():
        started.wait(timeout=60)
        seen["off there"] = not anomaly.is_anomaly_enabled()
        seen["plain result"] = float((x / 0.0).sum())  # no detection in this thread
        done.set()

    _run_threads([detecting, plain])
    assert seen == {"on here": True, "raised": True, "off there": True,
                    "plain result": float("inf")}
    assert not anomaly.is_anomaly_enabled()


def test_device_context_is_per_thread_and_the_default_is_global():
    inside, checked = threading.Event(), threading.Event()
    seen = {}

    def with_reference():
        with xgrad.device("reference"):
            inside.set()
            seen["here"] = xgrad.zeros(2).device.type
            checked.wait(timeout=60)

    def plain():
        inside.wait(timeout=60)
        seen["there"] = xgrad.zeros(2).device.type
        checked.set()

    _run_threads([with_reference, plain])
    assert seen == {"here": "reference", "there": "numpy"}

    xgrad.set_default_device("reference")
    try:
        _run_threads([lambda: seen.__setitem__("new thread", xgrad.zeros(1).device.type)])
    finally:
        xgrad.set_default_device(None)
    assert seen["new thread"] == "reference"
