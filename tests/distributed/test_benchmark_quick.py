"""The distributed benchmark cannot rot: its quick mode runs on 1 and 2 ranks (asserts nothing
about time)."""
from __future__ import annotations

import subprocess
import sys

from mpi_launch import ROOT, mpiexec


def test_distributed_benchmark_quick(tmp_path) -> None:
    mpiexec()  # skips without the extra
    out = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, "-m", "benchmarks.distributed", "--quick", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "scaling efficiency (2 ranks)" in proc.stdout and "raw mpi4py" in proc.stdout
    assert out.exists()
