"""Helpers of the distributed tests: start ``mpiexec -n N python script.py`` with a time bound,
and the per-rank inputs that the scripts use and the tests recompute with numpy."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

SCRIPTS = Path(__file__).resolve().parent / "scripts"
ROOT = Path(__file__).resolve().parents[2]


def mpiexec() -> str:
    """Path of mpiexec, or skip the test with the reason."""
    pytest.importorskip("mpi4py", reason="mpi4py is not installed (pip install 'xgrad[distributed]')")
    from xgrad.distributed.run import find_mpiexec

    try:
        return find_mpiexec()
    except FileNotFoundError as e:
        pytest.skip(f"no mpiexec: {e}")


def run_mpi(script: str, n: int, *args: str, timeout: float = 60, env: dict | None = None,
            launcher: list[str] | None = None) -> tuple[subprocess.CompletedProcess, float]:
    """Run ``scripts/<script>`` on ``n`` ranks (with ``mpiexec -n n python``, or ``launcher``
    followed by the script); returns the finished process and its wall time.
    A run past ``timeout`` fails the test (a hang is a bug)."""
    cmd = launcher or [mpiexec(), "-n", str(n), sys.executable]
    full_env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                "PYTHONPATH": os.pathsep.join([str(ROOT / "tests" / "distributed"),
                                               os.environ.get("PYTHONPATH", "")]), **(env or {})}
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE"):
        full_env.pop(name, None)
    start = time.monotonic()
    try:
        proc = subprocess.run([*cmd, str(SCRIPTS / script), *args], capture_output=True,
                              text=True, timeout=timeout, env=full_env)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"{script} on {n} ranks did not finish within {timeout} s (hang): "
                    f"{(e.stdout or b'')!r} {(e.stderr or b'')!r}")
    return proc, time.monotonic() - start


def rank_input(rank: int, shape: tuple[int, ...], dtype: str = "float32", salt: int = 0) -> np.ndarray:
    """The deterministic input tensor of ``rank`` (small integers: sums and products are exact)."""
    rng = np.random.default_rng(1000 * salt + rank)
    return rng.integers(-4, 5, size=shape).astype(dtype)
