"""DDP on per-rank shards (equal shard sizes: the mean of per-rank means is the full-batch mean);
saves parameters and checks to OUT/<kind>_rank<r>.npz."""
import sys
from datetime import timedelta
from pathlib import Path

import numpy as np
import xgrad
import xgrad.distributed as dist
from models import STEPS, TwoHeads, make, shard, step
from xgrad import optim
from xgrad.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("mpi", timeout=timedelta(seconds=30))
r, n = dist.get_rank(), dist.get_world_size()
out_dir = Path(sys.argv[1])

for kind in sys.argv[2:]:
    model, x, y = make(kind)
    if r:  # other ranks start from other weights: the wrap must broadcast rank 0's
        with xgrad.no_grad():
            for p in model.parameters():
                p.add_(1.0)
    if kind == "cnn":
        model.eval()
    ddp = DDP(model, bucket_cap_mb=0.0005)  # several buckets
    res = {"n_buckets": np.array(len(ddp._buckets)),
           "keys_prefixed": np.array(all(k.startswith("module.") for k in ddp.state_dict())
                                     and len(ddp.state_dict()) == len(model.state_dict()))}
    opt = optim.SGD(ddp.parameters(), lr=0.2, momentum=0.9)
    xs, ys = shard(x, r, n), shard(y, r, n)
    for _ in range(STEPS):
        step(ddp, opt, xs, ys)
    res.update({f"param.{k}": v.numpy().copy() for k, v in model.named_parameters()})
    if kind == "cnn":  # train mode: BN statistics are per rank, then broadcast from rank 0
        ddp.train()
        step(ddp, opt, xs, ys)
        res["running_mean_after_train"] = model.bn.running_mean.numpy().copy()
        ddp.eval()
        with xgrad.no_grad():
            ddp(xgrad.from_numpy(xs))
        res["running_mean_broadcast"] = model.bn.running_mean.numpy().copy()
    np.savez(out_dir / f"{kind}_rank{r}.npz", **res)

# no_sync: two local micro-batches, then one synchronised; the sum of the three scaled losses
model, x, y = make("mlp")
ddp = DDP(model)
opt = optim.SGD(ddp.parameters(), lr=0.1)
opt.zero_grad()
xs, ys = shard(x, r, n), shard(y, r, n)
thirds = np.array_split(np.arange(len(xs)), 3)
import xgrad.nn.functional as F  # noqa: E402

with ddp.no_sync():
    for idx in thirds[:2]:
        (F.cross_entropy(ddp(xgrad.from_numpy(xs[idx])), xgrad.from_numpy(ys[idx])) / 3).backward()
local = model[0].weight.grad.numpy().copy()
F.cross_entropy(ddp(xgrad.from_numpy(xs[thirds[2]])), xgrad.from_numpy(ys[thirds[2]])).div(3).backward()
np.savez(out_dir / f"nosync_rank{r}.npz", local=local,
         **{f"grad.{k}": v.grad.numpy().copy() for k, v in model.named_parameters()})

# find_unused_parameters: rank 0 uses head a, the others head b
xgrad.manual_seed(0)
two = TwoHeads()
ddp = DDP(two, find_unused_parameters=True)
F.cross_entropy(ddp(xgrad.from_numpy(xs), use_b=r > 0), xgrad.from_numpy(ys)).backward()
unused = {f"grad.{k}": (v.grad.numpy().copy() if v.grad is not None else np.zeros(v.shape, "f4"))
          for k, v in two.named_parameters()}
xgrad.manual_seed(0)
strict = DDP(TwoHeads())
F.cross_entropy(strict(xgrad.from_numpy(xs), use_b=False), xgrad.from_numpy(ys)).backward()
try:
    strict(xgrad.from_numpy(xs), use_b=False)
    message = ""
except RuntimeError as e:
    message = str(e)
np.savez(out_dir / f"unused_rank{r}.npz", message=np.array(message), **unused)
dist.destroy_process_group()
