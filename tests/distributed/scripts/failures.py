"""Failure modes: ``raise`` (rank 1 raises while the others wait in a collective), ``ddp_raise``
(rank 1 raises in the middle of DDP training), ``shape`` (mismatched shapes), ``mismatch``
(different collectives), ``timeout`` (rank 1 never joins)."""
import os
import sys
import time
from datetime import timedelta

import xgrad
import xgrad.distributed as dist
from xgrad import nn

mode, seconds = sys.argv[1], float(sys.argv[2])
dist.init_process_group("mpi", timeout=timedelta(seconds=seconds))
r = dist.get_rank()
dist.barrier()


def run() -> None:
    if mode == "raise":
        if r == 1:
            raise ValueError("rank one broke")
        dist.all_reduce(xgrad.ones(4))
    elif mode == "ddp_raise":
        ddp = nn.parallel.DistributedDataParallel(nn.Linear(4, 2))
        for i in range(3):
            if r == 1 and i == 1:
                raise ValueError("data loader broke on rank one")
            ddp(xgrad.randn(3, 4)).sum().backward()
    elif mode == "shape":
        dist.all_reduce(xgrad.ones(2 + r, 3))
    elif mode == "mismatch":
        if r == 0:
            dist.all_reduce(xgrad.ones(2))
        else:
            dist.broadcast(xgrad.ones(2), src=0)
    elif mode == "timeout":
        if r == 1:
            time.sleep(60)
        dist.all_reduce(xgrad.ones(2))


try:
    run()
except Exception as e:
    # One write per rank to stdout: the ranks' tracebacks on stderr interleave mid-line.
    os.write(1, f"rank {r} raised {type(e).__name__}: {e}\n".encode())
    raise
print(f"rank {r} finished", flush=True)
