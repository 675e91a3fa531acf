"""The sequence-model example's CI run: ``--quick`` learns to sort digits far above chance."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sequence_model.py"


def test_sequence_model_quick_run_learns_to_sort():
    # tiny matrices: one BLAS thread is much faster than several fighting over 2 cores
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, str(EXAMPLE), "--quick", "--device", "cpu"],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    match = re.search(r"final accuracy: ([0-9.]+)", proc.stdout)
    assert match, proc.stdout
    # chance is ~0.1 per digit; the quick run reaches ~0.99 on every seed tried
    assert float(match.group(1)) >= 0.9, proc.stdout
    assert re.search(r"time: [0-9.]+ s", proc.stdout)
    losses = [float(x) for x in re.findall(r"loss ([0-9.]+)", proc.stdout)]
    assert len(losses) == 4 and losses[-1] < losses[0]
