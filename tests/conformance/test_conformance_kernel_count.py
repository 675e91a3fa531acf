"""``--xgrad-count-kernels``: distinct (op, shape, dtype) backend calls of a suite run."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import xgrad
from conformance_harness import suite_env
from xgrad.conformance.kernel_count import KernelCounter, kernel_key
from xgrad.registry import REGISTRY, register_plugin


def test_kernel_key_names_every_array_input() -> None:
    a, b = np.zeros((2, 3), np.float32), np.zeros((3,), np.float64)
    assert kernel_key("add", (a, b)) == "add(float32[2, 3], float64[3])"
    assert kernel_key("concatenate", ([a, a], 0)) == "concatenate(float32[2, 3], float32[2, 3])"


def test_counter_records_each_distinct_call_of_the_chosen_backend_once() -> None:
    counter = KernelCounter({"numpy"})
    with REGISTRY.isolated():
        register_plugin(counter, name="kernel-counter-test")
        x = xgrad.ones(2, 3, device="numpy")
        for _ in range(3):
            (x.exp() + x).sum()
        xgrad.ones(4, device="numpy").exp()
        xgrad.ones(2, 3, device="reference").exp()  # not a backend under test
    keys = {k for _, k in counter.take()}
    assert {"exp(float32[2, 3])", "exp(float32[4])", "add(float32[2, 3], float32[2, 3])"} <= keys
    assert all(b == "numpy" for b, _ in counter.seen)
    assert len(counter.seen) == len(keys)
    assert counter.take() == []


def _count(tmp_path: Path, workers: str) -> dict:
    import json
    import subprocess
    import sys

    report = tmp_path / f"r{workers}.json"
    cmd = [sys.executable, "-m", "pytest", "--pyargs", "xgrad.conformance", "-p",
           "no:cacheprovider", "-q", "--xgrad-backend", "numpy", "--xgrad-count-kernels",
           "--xgrad-report", str(report), "-k", "-exp] or -sum.dim] or -log_softmax]",
           "-n", workers]
    proc = subprocess.run(cmd, cwd=tmp_path, env=suite_env(tmp_path), capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:]
    counts = json.loads(report.read_text())["distinct_kernels"]
    assert f"{counts['numpy']} distinct (op, shape, dtype) kernels called on 'numpy'" in proc.stdout
    return counts


def test_suite_reports_the_same_count_with_and_without_xdist(tmp_path: Path) -> None:
    serial = _count(tmp_path, "0")
    assert set(serial) == {"numpy"} and serial["numpy"] > 10
    assert _count(tmp_path, "2") == serial


def test_shape_budget_keeps_every_case_and_only_budget_shapes(monkeypatch) -> None:
    """Under the budget each case still runs, on samples whose shapes are all in the set
    (or its first sample when none is), and fewer distinct input shapes remain."""
    from xgrad.conformance.catalog import all_cases
    from xgrad.conformance.checks import Run
    from xgrad.conformance.sampling import BUDGET_ENV, BUDGET_SHAPES, in_budget
    from xgrad.conformance.spec import Idx, Mask, T

    def shapes(samples):
        return {a.shape for s in samples for a in s if isinstance(a, (T, Idx, Mask))}

    cases = list(all_cases().values())
    full = {c.name: [s for _, s, _ in Run(c, "numpy", "float32").samples()] for c in cases}
    monkeypatch.setenv(BUDGET_ENV, "1")
    budget = {c.name: [s for _, s, _ in Run(c, "numpy", "float32").samples()] for c in cases}
    for c in cases:
        got = budget[c.name]
        assert got, c.name
        fits = [s for s in c.inputs if in_budget(s)]
        assert got == (fits or list(c.inputs[:1])), c.name
    before = shapes(s for v in full.values() for s in v)
    after = shapes(s for v in budget.values() for s in v)
    assert len(after) < len(before)
    assert len(after - BUDGET_SHAPES) <= len(before - BUDGET_SHAPES)
