"""``DistributedDataParallel``: data-parallel training over an ``xgrad.distributed`` group.

How the gradients move (after Li et al., VLDB 2020): parameters are grouped into buckets of at most
``bucket_cap_mb`` in reverse registration order (roughly the order backward produces their
gradients). A post-accumulate-grad hook on every parameter copies its gradient into the bucket's
flat host buffer; when a bucket's last gradient arrives, its averaged all-reduce is launched as a
non-blocking MPI request, so communication proceeds while the remaining gradients are produced.

Where the reduction is waited on: xgrad has no public "end of backward" callback, so the hook
that completes the last bucket waits for all pending requests (polled under the group's timeout)
and writes the averaged gradients back into ``param.grad``. When ``backward()`` returns, every
gradient is therefore already averaged, and ``optimizer.step()`` needs no change.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from ... import distributed as dist
from ...autograd import is_grad_enabled
from ...creation import zeros_like
from ...distributed.collectives import all_reduce_buffer, broadcast_buffer, host_buffer, write_back
from ..module import Module

__all__ = ["DistributedDataParallel"]

_UNFINISHED = (
    "Expected to have finished reduction in the prior iteration before starting a new one. This error "
    "indicates that your module has parameters that were not used in producing loss. You can enable "
    "unused parameter detection by passing the keyword argument `find_unused_parameters=True` to "
    "`xgrad.nn.parallel.DistributedDataParallel`, and by making sure all `forward` function outputs "
    "participate in calculating loss. Parameter indices which did not receive grad for rank {rank}: "
    "{missing}")


class _Bucket:
    """Parameters whose gradients travel together in one flat host buffer."""

    def __init__(self, params: list[tuple[int, Any]]) -> None:
        self.params = params  # (index in the module's parameter list, parameter)
        self.dtype = np.dtype(str(params[0][1].dtype).replace("xgrad.", ""))
        sizes = [p.numel() for _, p in params]
        self.offsets = np.cumsum([0, *sizes]).tolist()
        self.buffer = np.zeros(self.offsets[-1], dtype=self.dtype)
        self.ready: set[int] = set()
        self.work: Any = None

    def slot(self, k: int) -> np.ndarray:
        return self.buffer[self.offsets[k]:self.offsets[k + 1]]


def _coalesced(tensors: list[Any], group: Any, root: int) -> None:
    """Broadcast ``tensors`` from ``root`` with one message per dtype and write them back."""
    by_dtype: dict[str, list[Any]] = {}
    for t in tensors:
        by_dtype.setdefault(str(t.dtype), []).append(t)
    pending = []
    for ts in by_dtype.values():
        flat = np.concatenate([host_buffer(t).ravel() for t in ts])
        pending.append((ts, flat, broadcast_buffer(flat, root, group, "DistributedDataParallel broadcast")))
    me = dist.get_rank()
    for ts, flat, work in pending:
        work.wait()
        if me != root:
            o = 0
            for t in ts:
                write_back(t, flat[o:o + t.numel()])
                o += t.numel()


class DistributedDataParallel(Module):
    """Wrap ``module`` so that ``backward()`` leaves gradients averaged over all ranks.

    Rank 0's parameters and buffers are copied to every rank here; with ``broadcast_buffers``,
    buffers (BatchNorm statistics) are copied from rank 0 again before each forward.
    ``find_unused_parameters=True`` treats the parameters of submodules whose forward did not run
    as ready with zero gradient (a submodule that runs must use all its parameters).
    """

    def __init__(self, module: Module, device_ids: list[Any] | None = None, output_device: Any = None,
                 dim: int = 0, broadcast_buffers: bool = True, process_group: Any = None,
                 bucket_cap_mb: float | None = None, find_unused_parameters: bool = False,
                 check_reduction: bool = False, gradient_as_bucket_view: bool = False,
                 static_graph: bool = False) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel expects an nn.Module, got {type(module).__name__}")
        if device_ids is not None and len(device_ids) > 1:
            raise ValueError("device_ids can only be None or contain a single element.")
        self.module = module
        self.device_ids = device_ids
        self.output_device = output_device
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.process_group = dist.group.WORLD if process_group is None else process_group
        self.bucket_cap_mb = 25.0 if bucket_cap_mb is None else float(bucket_cap_mb)
        if self.bucket_cap_mb <= 0:
            raise ValueError(f"bucket_cap_mb must be positive, got {bucket_cap_mb}")
        self.require_backward_grad_sync = True
        self.world_size = dist.get_world_size(self.process_group)
        self._params = self._unique_params(module)
        if not self._params:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have any "
                               "parameter that requires a gradient.")
        self._verify_same_model()
        _coalesced([p for _, p in self._named_params] + [b for _, b in module.named_buffers()],
                   self.process_group, self._root())
        self._buckets = self._build_buckets()
        self._where = {id(p): (b, k) for b in self._buckets for k, (_, p) in enumerate(b.params)}
        self._launched = 0
        self._handles = [p.register_post_accumulate_grad_hook(self._grad_ready) for p in self._params]
        self._owner: dict[int, int] = {}
        if find_unused_parameters:
            for m in module.modules():
                for p in m.parameters(recurse=False):
                    self._owner.setdefault(id(p), id(m))
                m.register_forward_pre_hook(self._mark_ran)
        self._ran: set[int] = set()

    # ---- construction ------------------------------------------------------------------------
    def _root(self) -> int:
        pg = self.process_group
        return 0 if pg is None or not hasattr(pg, "ranks") else pg.ranks[0]

    def _unique_params(self, module: Module) -> list[Any]:
        seen: set[int] = set()
        self._named_params = []
        for name, p in module.named_parameters():
            if p.requires_grad and id(p) not in seen:
                seen.add(id(p))
                self._named_params.append((name, p))
        return [p for _, p in self._named_params]

    def _verify_same_model(self) -> None:
        sig = [(n, list(p.shape), str(p.dtype)) for n, p in self._named_params]
        every: list[Any] = [None] * self.world_size
        dist.all_gather_object(every, sig, group=self.process_group)
        for r, other in enumerate(every):
            if len(other) != len(sig):
                raise RuntimeError(f"DDP expects same model across all ranks, but Rank "
                                   f"{dist.get_rank()} has {len(sig)} params, while rank {r} has "
                                   f"inconsistent {len(other)} params.")
            for mine, theirs in zip(sig, other):
                if mine != theirs:
                    raise RuntimeError(
                        f"DDP expects same model across all ranks, but parameter {mine[0]!r} is "
                        f"{mine[1]} ({mine[2]}) on rank {dist.get_rank()} and {theirs[0]!r} "
                        f"{theirs[1]} ({theirs[2]}) on rank {r}")

    def _build_buckets(self) -> list[_Bucket]:
        cap = self.bucket_cap_mb * 1024 * 1024
        buckets: list[_Bucket] = []
        current: dict[str, tuple[list, int]] = {}
        for idx in reversed(range(len(self._params))):
            p = self._params[idx]
            key = str(p.dtype)
            members, size = current.get(key, ([], 0))
            nbytes = p.numel() * p.element_size()
            if members and size + nbytes > cap:
                buckets.append(_Bucket(members))
                members, size = [], 0
            members.append((idx, p))
            current[key] = (members, size + nbytes)
        buckets.extend(_Bucket(m) for m, _ in current.values() if m)
        return buckets

    # ---- backward: buckets fill, launch, and finish ------------------------------------------
    def _grad_ready(self, p: Any) -> None:
        if not self.require_backward_grad_sync:
            return
        bucket, k = self._where[id(p)]
        np.copyto(bucket.slot(k), host_buffer(p.grad).ravel())
        self._mark(bucket, k)

    def _mark(self, bucket: _Bucket, k: int) -> None:
        if k in bucket.ready:
            return
        bucket.ready.add(k)
        if len(bucket.ready) == len(bucket.params):
            bucket.work = all_reduce_buffer(bucket.buffer, dist.ReduceOp.AVG, self.process_group,
                                            "DistributedDataParallel gradient all_reduce")
            self._launched += 1
            for b in self._buckets:  # give MPI a chance to progress the earlier requests
                if b.work is not None:
                    b.work.is_completed()
            if self._launched == len(self._buckets):
                self._finish()

    def _finish(self) -> None:
        for b in self._buckets:
            b.work.wait()
            for k, (_, p) in enumerate(b.params):
                if p.grad is None:
                    p.grad = zeros_like(p.detach())
                write_back(p.grad, b.slot(k))
        self._reset()

    def _reset(self) -> None:
        for b in self._buckets:
            b.ready.clear()
            b.work = None
        self._launched = 0

    # ---- forward -------------------------------------------------------------------------------
    def _mark_ran(self, module: Module, args: Any) -> None:
        self._ran.add(id(module))

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        """Check the previous reduction finished, broadcast buffers, and run the module."""
        partial = [b for b in self._buckets if b.ready]
        if partial:
            missing = sorted(i for b in self._buckets for k, (i, _) in enumerate(b.params)
                             if k not in b.ready)
            self._reset()
            raise RuntimeError(_UNFINISHED.format(rank=dist.get_rank(), missing=missing))
        if self.broadcast_buffers and self.world_size > 1:
            bufs = [b for _, b in self.module.named_buffers()]
            if bufs:
                _coalesced(bufs, self.process_group, self._root())
        self._ran = set()
        out = self.module(*inputs, **kwargs)
        if self.find_unused_parameters and is_grad_enabled() and self.require_backward_grad_sync:
            for b in self._buckets:
                for k, (_, p) in enumerate(b.params):
                    if self._owner.get(id(p)) not in self._ran:
                        b.slot(k)[:] = 0
                        self._mark(b, k)
        return out

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Skip the gradient all-reduce inside the block: gradients accumulate locally and are
        averaged at the first backward outside it."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old
