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
