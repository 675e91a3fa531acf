"""The README's DDP example: the digits CNN on 2 ranks (quick mode) reaches the accuracy of the
single-process quick run (0.97 there)."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from mpi_launch import ROOT, mpiexec


def test_ddp_digits_quick_on_two_ranks() -> None:
    pytest.importorskip("sklearn", reason="the digits data set needs the examples extra (scikit-learn)")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.run([mpiexec(), "-n", "2", sys.executable, str(ROOT / "examples" / "ddp_digits.py"),
                           "--quick"], capture_output=True, text=True, timeout=240, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    acc = float(re.search(r"test accuracy ([0-9.]+)", proc.stdout).group(1))
    assert acc >= 0.95, proc.stdout
    assert "ranks 2" in proc.stdout and proc.stdout.count("test accuracy") == 1  # rank 0 prints
