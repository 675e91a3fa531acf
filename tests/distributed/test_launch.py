"""``mpiexec -n N`` and ``python -m xgrad.distributed.run --nproc-per-node N`` both start a job in
which every rank sees torchrun's variables, before ``init_process_group`` too."""
from __future__ import annotations

import json
import sys

import pytest
from mpi_launch import mpiexec, run_mpi


def _ranks(folder) -> list[list]:
    rows = [json.loads(p.read_text()) for p in folder.glob("rank*.json")]
    return sorted(rows, key=lambda r: r[2])


@pytest.mark.parametrize("how", ["mpiexec", "run"])
def test_every_rank_sees_torchrun_variables(how: str, tmp_path) -> None:
    launcher = None
    if how == "run":
        mpiexec()  # skips without the extra
        launcher = [sys.executable, "-m", "xgrad.distributed.run", "--nproc-per-node", "2"]
    proc, _ = run_mpi("env.py", 2, str(tmp_path), launcher=launcher)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = _ranks(tmp_path)
    assert [r[2] for r in rows] == [0, 1] and all(r[3] == 2 and r[4] == "mpi" for r in rows)
    for rank, row in enumerate(rows):
        assert row[0] == [str(rank), "2", str(rank)]  # set at import, before init
        assert row[1] == [str(rank), "2", str(rank), "2"]


def test_run_builds_the_mpiexec_command() -> None:
    from xgrad.distributed.run import build_command

    cmd = build_command(4, ["train.py", "--epochs", "2"], mpiexec="/x/mpiexec")
    assert cmd == ["/x/mpiexec", "-n", "4", sys.executable, "train.py", "--epochs", "2"]
    assert build_command(2, ["pkg.train"], module=True, mpiexec="m")[-2:] == ["-m", "pkg.train"]


def test_run_rejects_bad_arguments() -> None:
    from xgrad.distributed.run import main

    with pytest.raises(SystemExit, match="only one node"):
        main(["--nnodes", "2", "train.py"])
    with pytest.raises(SystemExit, match="at least 1, got 0"):
        main(["--nproc-per-node", "0", "train.py"])


def test_nccl_needs_cupy_and_a_gpu() -> None:
    import xgrad.distributed as dist

    try:
        import cupy  # noqa: F401
        from cupy.cuda import nccl  # noqa: F401
    except ImportError:
        assert not dist.is_nccl_available()
        with pytest.raises(RuntimeError, match="needs cupy with NCCL"):
            dist.nccl.check_available()
        pytest.skip("cupy with NCCL is not installed: the NCCL all-reduce needs a GPU machine")
    if not dist.is_nccl_available():
        pytest.skip("no CUDA device: the NCCL all-reduce needs a GPU machine")
    pytest.skip("NCCL collectives are checked by scripts/gpu-check.sh on a GPU machine")
