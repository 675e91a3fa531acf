"""Failures end within a time bound with an error naming the cause on every rank: a rank that
raises, mismatched shapes, different collectives, a rank that never joins; and without the
extra, ``init_process_group`` says what to install."""
from __future__ import annotations

import subprocess
import sys

import pytest
from mpi_launch import run_mpi

GENEROUS = 60.0  # the group's timeout: an error must come from the failure itself, long before


def _raised(proc: subprocess.CompletedProcess) -> list[str]:
    """The one line per failed rank that the script writes to stdout (tracebacks of several
    ranks on stderr interleave mid-line, so they cannot be counted)."""
    return [ln for ln in proc.stdout.splitlines() if ln.startswith("rank ") and " raised " in ln]


@pytest.mark.parametrize("n", [2, 3])
def test_a_rank_that_raises_fails_the_others_naming_it(n: int) -> None:
    proc, took = run_mpi("failures.py", n, "raise", str(GENEROUS), timeout=GENEROUS)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    raised = _raised(proc)
    assert len(raised) == n and "rank 1 raised ValueError: rank one broke" in raised, out
    assert sum("rank 1 failed, so this collective cannot complete" in ln for ln in raised) == n - 1, out
    assert "finished" not in out
    assert took < 30, f"took {took:.1f} s"


def test_a_rank_that_raises_during_ddp_training() -> None:
    proc, took = run_mpi("failures.py", 2, "ddp_raise", str(GENEROUS), timeout=GENEROUS)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    raised = _raised(proc)
    assert any("data loader broke on rank one" in ln for ln in raised), out
    assert any(ln.startswith("rank 0 raised") and "rank 1 failed" in ln for ln in raised), out
    assert took < 30


@pytest.mark.parametrize("n", [2, 3])
def test_mismatched_shapes_raise_on_every_rank_naming_both(n: int) -> None:
    proc, took = run_mpi("failures.py", n, "shape", str(GENEROUS), timeout=GENEROUS)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    lines = [ln for ln in _raised(proc) if "ValueError: all_reduce: tensor shapes differ" in ln]
    assert len(lines) == n, out
    assert all("rank 0 has [2, 3]" in ln and "rank 1 has [3, 3]" in ln for ln in lines), lines
    assert took < 30


def test_different_collectives_raise_naming_both() -> None:
    proc, _ = run_mpi("failures.py", 2, "mismatch", str(GENEROUS), timeout=GENEROUS)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert sum("collective mismatch: rank 0 called all_reduce but rank 1 called broadcast" in ln
               for ln in _raised(proc)) == 2, out


def test_a_rank_that_never_joins_times_out() -> None:
    proc, took = run_mpi("failures.py", 2, "timeout", "2", timeout=GENEROUS)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert any("all_reduce timed out after 2 s" in ln and "on rank 0" in ln for ln in _raised(proc)), out
    assert took < 25, f"took {took:.1f} s"


_WITHOUT_MPI4PY = """
import sys
sys.modules["mpi4py"] = None  # as if the extra were not installed
import xgrad
import xgrad.distributed as dist
from xgrad.nn.parallel import DistributedDataParallel
assert xgrad.distributed is dist and not dist.is_available()
try:
    dist.init_process_group("mpi")
except RuntimeError as e:
    print(e)
"""


def test_without_the_extra_imports_work_and_init_says_what_to_install() -> None:
    proc = subprocess.run([sys.executable, "-c", _WITHOUT_MPI4PY], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "pip install 'xgrad[distributed]'" in proc.stdout
