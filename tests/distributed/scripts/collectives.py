"""Every collective on this rank's deterministic inputs; results go to OUT/rank<r>.npz."""
import gc
import sys
import weakref
from datetime import timedelta
from pathlib import Path

import numpy as np
import xgrad
import xgrad.distributed as dist
from mpi_launch import rank_input
from xgrad.distributed.group import default_group

dist.init_process_group("mpi", timeout=timedelta(seconds=30))
r, n = dist.get_rank(), dist.get_world_size()
out: dict[str, np.ndarray] = {}
T = xgrad.from_numpy

for dtype in ("float32", "float64", "int64"):
    for op in ("SUM", "AVG", "MAX", "MIN", "PRODUCT"):
        if op == "AVG" and dtype == "int64":
            continue
        t = T(rank_input(r, (3, 4), dtype, salt=1))
        dist.all_reduce(t, op=getattr(dist.ReduceOp, op))
        out[f"all_reduce_{op}_{dtype}"] = t.numpy().copy()
t = T(rank_input(r, (3, 4), salt=1))
work = dist.all_reduce(t, async_op=True)
work.wait()
out["all_reduce_async"] = t.numpy().copy()
out["async_completed"] = np.array(work.is_completed())

# async collectives: the host arrays handed to MPI must outlive the call until wait()
# (mpi4py's Iallreduce/Ireduce/... do not hold them). A recording communicator keeps weak
# references to the arrays of each nonblocking call; those of the collective's own call (the
# last: the header exchange before it has finished) must be alive before wait().


class _Recording:
    def __init__(self, comm):
        self.comm, self.refs = comm, []

    def __getattr__(self, name):
        fn = getattr(self.comm, name)
        if not name.startswith("I"):
            return fn

        def call(*args, **kw):
            self.refs.append([weakref.ref(x) for a in args
                              for x in (a if isinstance(a, list) else [a])
                              if isinstance(x, np.ndarray)])
            return fn(*args, **kw)
        return call


world = default_group(None)
world.comm = rec = _Recording(world.comm)
alive = []
for _what, start in [
        ("broadcast", lambda t: dist.broadcast(t, src=0, async_op=True)),
        ("all_reduce", lambda t: dist.all_reduce(t, async_op=True)),
        ("reduce", lambda t: dist.reduce(t, dst=0, async_op=True)),
        ("reduce_scatter_tensor", lambda t: dist.reduce_scatter_tensor(
            xgrad.zeros(4 // n if n == 2 else 1, 6), t[: n * (4 // n if n == 2 else 1)],
            async_op=True)),
        ("all_gather_into_tensor", lambda t: dist.all_gather_into_tensor(
            xgrad.zeros(n * 4, 6), t, async_op=True))]:
    t = T(rank_input(r, (6, 4), salt=30)).t()  # non-contiguous: its host buffer is a copy
    rec.refs = []
    work = start(t)
    gc.collect()
    alive.append(bool(rec.refs[-1]) and all(ref() is not None for ref in rec.refs[-1]))
    work.wait()
world.comm = rec.comm
out["async_buffers_alive"] = np.array(alive)

# all_reduce writes in place: the version counter moves (as copy_), and live views see it
t = T(rank_input(r, (4, 3), salt=32))
v0 = t._version
dist.all_reduce(t)
out["in_place_version_moved"] = np.array(t._version > v0)
out["in_place_plain"] = t.numpy().copy()
t = T(rank_input(r, (4, 3), salt=32))
view = t[1:]
dist.all_reduce(t, op=dist.ReduceOp.AVG)
out["in_place_view"] = view.numpy().copy()

t = T(rank_input(r, (5,), salt=2))
dist.broadcast(t, src=n - 1)
out["broadcast"] = t.numpy().copy()
t = T(rank_input(r, (5,), salt=3))
dist.reduce(t, dst=1)
out["reduce"] = t.numpy().copy()

lst = [xgrad.zeros(2, 3) for _ in range(n)]
dist.all_gather(lst, T(rank_input(r, (2, 3), salt=4)))
out["all_gather"] = np.stack([x.numpy() for x in lst])
cat, stacked = xgrad.zeros(n * 2, 3), xgrad.zeros(n, 2, 3)
dist.all_gather_into_tensor(cat, T(rank_input(r, (2, 3), salt=4)))
dist.all_gather_into_tensor(stacked, T(rank_input(r, (2, 3), salt=4)), async_op=True).wait()
out["all_gather_into_tensor"], out["all_gather_into_tensor_stacked"] = cat.numpy(), stacked.numpy()

o = xgrad.zeros(4)
dist.reduce_scatter(o, [T(rank_input(r, (4,), salt=10 + i)) for i in range(n)])
out["reduce_scatter"] = o.numpy()
o = xgrad.zeros(2, 3)
dist.reduce_scatter_tensor(o, T(rank_input(r, (n * 2, 3), salt=6)), op=dist.ReduceOp.MAX)
out["reduce_scatter_tensor_MAX"] = o.numpy()

gl = [xgrad.zeros(3) for _ in range(n)] if r == 0 else None
dist.gather(T(rank_input(r, (3,), salt=5)), gl, dst=0)
if r == 0:
    out["gather"] = np.stack([x.numpy() for x in gl])
o = xgrad.zeros(3)
dist.scatter(o, [T(rank_input(0, (3,), salt=20 + i)) for i in range(n)] if r == 0 else None, src=0)
out["scatter"] = o.numpy()

o = xgrad.zeros(n * 2, 2)
dist.all_to_all_single(o, T(rank_input(r, (n * 2, 2), salt=7)))
out["all_to_all_single"] = o.numpy()
ins, outs = [r + j + 1 for j in range(n)], [j + r + 1 for j in range(n)]
o = xgrad.zeros(sum(outs), 2)
dist.all_to_all_single(o, T(rank_input(r, (sum(ins), 2), salt=8)), outs, ins)
out["all_to_all_single_uneven"] = o.numpy()
dist.barrier()
dist.barrier(async_op=True).wait()

g = dist.new_group([0, n - 1])
if r in (0, n - 1):
    t = T(rank_input(r, (3,), salt=9))
    dist.all_reduce(t, group=g)
    out["group_all_reduce"] = t.numpy().copy()
    out["group_rank"] = np.array(dist.get_rank(g))
    out["group_size"] = np.array(dist.get_world_size(g))
else:
    out["group_rank"] = np.array(dist.get_rank(g))

objs = [{"rank": r}, "x" * r] if r == 0 else [None, None]
dist.broadcast_object_list(objs, src=0)
out["broadcast_object_list"] = np.array(objs[0]["rank"] == 0 and objs[1] == "")
gathered = [None] * n
dist.all_gather_object(gathered, {"rank": r, "tag": "y" * r})
out["all_gather_object"] = np.array([d["rank"] for d in gathered] == list(range(n))
                                    and [len(d["tag"]) for d in gathered] == list(range(n)))

t = xgrad.tensor(rank_input(r, (2, 2), salt=1).tolist(), device="reference")
dist.all_reduce(t)
out["reference_all_reduce"] = t.numpy().copy()
out["reference_device"] = np.array(str(t.device) == str(xgrad.ones(1, device="reference").device))
p = xgrad.ones(3, requires_grad=True)
dist.broadcast(p, src=0)  # a leaf that requires grad is written in place, as PyTorch does
out["leaf_still_requires_grad"] = np.array(p.requires_grad)

np.savez(Path(sys.argv[1]) / f"rank{r}.npz", **out)
dist.destroy_process_group()
