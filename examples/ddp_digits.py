"""The digits CNN of ``examples/digits.py``, data-parallel over MPI ranks with DDP.

    mpiexec -n 2 python examples/ddp_digits.py                       # 2 ranks
    python -m xgrad.distributed.run --nproc-per-node 2 examples/ddp_digits.py --quick

Each rank trains on its DistributedSampler share with a per-rank batch of
``--batch-size / world_size``, so the global batch, the learning rate and the number of steps are
those of the single-process run, and DDP's averaged gradients make every step the same as one
step on the whole global batch. Needs ``pip install 'xgrad[distributed,examples]'``.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import xgrad
import xgrad.distributed as dist
from xgrad import nn, optim
from xgrad.nn.parallel import DistributedDataParallel as DDP
from xgrad.utils.data import DataLoader, DistributedSampler

sys.path.insert(0, str(Path(__file__).resolve().parent))
from digits import DigitsCNN, accuracy, load_data  # noqa: E402


def main(argv: list[str] | None = None) -> float:
    """Train on every rank; rank 0 prints the progress; returns the test accuracy."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=None, help="default: 15 (4 with --quick)")
    ap.add_argument("--batch-size", type=int, default=32, help="global batch (split over ranks)")
    ap.add_argument("--lr", type=float, default=1e-2, help="peak learning rate (OneCycle)")
    ap.add_argument("--quick", action="store_true", help="a short run for CI")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    epochs = args.epochs or (4 if args.quick else 15)

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    if args.batch_size % world:
        raise SystemExit(f"--batch-size {args.batch_size} must be divisible by the {world} ranks")
    xgrad.manual_seed(args.seed)
    train, test = load_data("cpu", args.seed)
    model = DDP(DigitsCNN())  # rank 0's initial weights are copied to every rank
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    sampler = DistributedSampler(train, seed=args.seed)
    loader = DataLoader(train, batch_size=args.batch_size // world, sampler=sampler)
    scheduler = optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, epochs=epochs,
                                              steps_per_epoch=len(loader))
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        sampler.set_epoch(epoch)  # a new shuffle each epoch, the same on every rank
        total = xgrad.zeros(2)
        for x, y in loader:
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()  # returns with gradients averaged over the ranks
            optimizer.step()
            scheduler.step()
            total += xgrad.tensor([loss.item() * len(y), float(len(y))])
        dist.all_reduce(total)
        acc = accuracy(model.module, test)
        if rank == 0:
            print(f"epoch {epoch}: loss {(total[0] / total[1]).item():.4f}  test acc {acc:.4f}", flush=True)
    if rank == 0:
        print(f"test accuracy {acc:.4f}  epochs {epochs}  ranks {world}  "
              f"train time {time.perf_counter() - start:.1f}s", flush=True)
    dist.destroy_process_group()
    return acc


if __name__ == "__main__":
    main()
