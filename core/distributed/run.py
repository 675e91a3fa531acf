"""``python -m xgrad.distributed.run --nproc-per-node N train.py [args]``: torchrun's command line
for MPI jobs. It finds ``mpiexec`` (the one the ``mpich`` wheel installs next to this Python, or
the first on PATH) and runs ``mpiexec -n N python train.py args``; each rank then sees
``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK`` and ``LOCAL_WORLD_SIZE`` as under torchrun."""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["find_mpiexec", "build_command", "main"]


def find_mpiexec() -> str:
    """Path of ``mpiexec``: next to the running Python first (the mpich wheel's), then PATH."""
    here = Path(sys.executable).parent / "mpiexec"
    if here.exists():
        return str(here)
    found = shutil.which("mpiexec")
    if found is None:
        raise FileNotFoundError("mpiexec was not found next to this Python or on PATH; install an MPI "
                                "with: pip install 'xgrad[distributed]'")
    return found


def build_command(nproc: int, script: list[str], module: bool = False,
                  mpiexec: str | None = None) -> list[str]:
    """The mpiexec command line that starts ``nproc`` ranks of ``script``."""
    target = ["-m", *script] if module else script
    return [mpiexec or find_mpiexec(), "-n", str(nproc), sys.executable, *target]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m xgrad.distributed.run",
                                description="Start an MPI data-parallel job (torchrun's options).")
    p.add_argument("--nproc-per-node", "--nproc_per_node", type=int, default=1,
                   help="ranks to start on this machine (default 1)")
    p.add_argument("--nnodes", default="1", help="only 1 is supported (use mpiexec's host files "
                   "for several machines)")
    p.add_argument("--standalone", action="store_true", help="accepted for torchrun compatibility")
    p.add_argument("-m", "--module", action="store_true", help="run the script as a module")
    p.add_argument("script", help="training script (or module with -m)")
    p.add_argument("script_args", nargs=argparse.REMAINDER)
    return p


def main(argv: list[str] | None = None) -> int:
    """Parse torchrun-style arguments, run the MPI job and return its exit status."""
    args = _parser().parse_args(argv)
    if str(args.nnodes) != "1":
        raise SystemExit(f"--nnodes {args.nnodes}: only one node is supported; for several machines "
                         "run mpiexec with a host file")
    if args.nproc_per_node < 1:
        raise SystemExit(f"--nproc-per-node must be at least 1, got {args.nproc_per_node}")
    cmd = build_command(args.nproc_per_node, [args.script, *args.script_args], module=args.module)
    env = dict(os.environ)
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE"):
        env.pop(name, None)  # each rank derives its own from mpiexec
    return subprocess.call(cmd, env=env)


if __name__ == "__main__":
    sys.exit(main())
