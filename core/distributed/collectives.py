"""Collectives on tensors of any backend, as ``torch.distributed``'s.

Each tensor travels as a contiguous host buffer through mpi4py's buffer (upper-case) methods; the
result is copied back into the caller's tensor in place. Before the data moves, ranks exchange a
small header (which collective, dtype, shape, and whether the call was valid locally) so that a
mismatch raises on every rank naming both shapes instead of corrupting memory or hanging.
"""
from __future__ import annotations

import enum
from typing import Any

import numpy as np

from ..autograd import no_grad
from ..creation import from_numpy
from ..interop import from_dlpack
from ..ops.views import live_views
from ..tensor import Tensor
from .group import DistBackendError, ProcessGroup, _mpi, default_group, wait_requests

__all__ = ["ReduceOp", "Work", "all_reduce", "broadcast", "reduce", "all_gather",
           "all_gather_into_tensor", "reduce_scatter", "reduce_scatter_tensor", "gather", "scatter",
           "all_to_all_single", "barrier", "broadcast_object_list", "all_gather_object",
           "host_buffer", "own_storage", "mark_written", "write_back", "all_reduce_buffer",
           "broadcast_buffer"]

_HEADER = 16
_MAX_DIMS = _HEADER - 4
_OPS = ("all_reduce", "broadcast", "reduce", "all_gather", "all_gather_into_tensor", "reduce_scatter",
        "reduce_scatter_tensor", "gather", "scatter", "all_to_all_single", "broadcast_object_list",
        "all_gather_object", "barrier")
_DTYPES = ("float32", "float64", "float16", "int32", "int64", "bool", "int8", "uint8", "int16")


class ReduceOp(enum.Enum):
    """How values from all ranks combine (``AVG`` is ``SUM`` divided by the group size)."""

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"

    def __repr__(self) -> str:
        return f"<RedOpType.{self.name}: {list(ReduceOp).index(self)}>"


_MPI_OPS: dict = {}


def _mpi_op(op: Any) -> Any:
    if not isinstance(op, ReduceOp):
        raise TypeError(f"op must be a ReduceOp, got {op!r}")
    mop = _MPI_OPS.get(op)
    if mop is not None:
        return mop
    MPI = _mpi()
    _MPI_OPS.update({ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
                     ReduceOp.MIN: MPI.MIN, ReduceOp.MAX: MPI.MAX})
    return _MPI_OPS[op]


class Work:
    """Handle of a collective started with ``async_op=True``; ``wait()`` writes its result."""

    def __init__(self, reqs: list, group: ProcessGroup, what: str, finish: Any = None,
                 keep: tuple = ()) -> None:
        self._reqs = reqs
        self._keep = keep  # the host buffers MPI reads and writes until the requests finish
        self._group = group
        self._what = what
        self._finish = finish
        self._done = False

    def wait(self, timeout: Any = None) -> bool:
        """Block until the collective has finished (or the group's timeout passes) and its
        result is in the output tensors."""
        if not self._done:
            wait_requests(self._reqs, self._group, self._what)
            self._complete()
        return True

    def is_completed(self) -> bool:
        """Whether the collective has finished (non-blocking; writes the result when it has)."""
        if not self._done and _mpi().Request.Testall(self._reqs):
            self._complete()
        return self._done

    def is_success(self) -> bool:
        """Whether the collective finished without error."""
        return self._done

    def _complete(self) -> None:
        self._done = True
        self._keep = ()
        if self._finish is not None:
            self._finish()


# ---- host buffers ---------------------------------------------------------------------------
class _ScratchPool:
    """Receive buffers reused across calls: a fresh large array costs a page fault per 4 KiB
    on first write, which is a sizeable part of an all-reduce of a few MiB. A buffer is
    taken for one collective and given back once its result is copied out."""

    def __init__(self, max_bytes: int = 256 << 20) -> None:
        self._free: dict[tuple, list[np.ndarray]] = {}
        self._bytes = 0
        self._max = max_bytes

    def take(self, shape: tuple, dtype: Any) -> np.ndarray:
        free = self._free.get((shape, dtype))
        if free:
            buf = free.pop()
            self._bytes -= buf.nbytes
            return buf
        return np.empty(shape, dtype=dtype)

    def give(self, buf: np.ndarray) -> None:
        if self._bytes + buf.nbytes <= self._max:
            self._free.setdefault((buf.shape, buf.dtype), []).append(buf)
            self._bytes += buf.nbytes


_SCRATCH = _ScratchPool()


def host_buffer(t: Tensor) -> np.ndarray:
    """A contiguous host array with ``t``'s values (only read: it may share ``t``'s memory)."""
    return np.ascontiguousarray(t.numpy())  # not detach(): that would leave t a view to track


def own_storage(t: Tensor) -> np.ndarray | None:
    """``t``'s storage itself when a collective may write its result straight into it: a
    contiguous, writable host array of a mutable backend, not a view and with no live views,
    not requiring grad (a gradient or a buffer, DDP's and most callers' case). Else None; the
    caller then writes back through ``copy_``. After writing, call :func:`mark_written`."""
    if t._vbase is not None or t._rg or not t._backend.mutable:
        return None
    arr = t._data
    if type(arr) is not np.ndarray or not arr.flags.c_contiguous or not arr.flags.writeable:
        return None
    if t._views and live_views(t):
        return None
    return arr


def mark_written(t: Tensor) -> None:
    """Record an in-place write into ``t``'s storage (its version counter, as ``copy_`` does)."""
    t._version = t._version + 1


def write_back(t: Tensor, values: np.ndarray) -> None:
    """Copy ``values`` into ``t`` in place (its backend, dtype and views are kept)."""
    src = np.ascontiguousarray(values).reshape(tuple(t.shape))
    with no_grad():  # from_dlpack wraps the host array without a copy; copy_ makes the one copy
        try:
            host = from_dlpack(src)
        except (TypeError, BufferError, RuntimeError):  # a dtype DLPack cannot carry
            host = from_numpy(src)
        t.copy_(host)


def _check_tensor(t: Any, name: str) -> None:
    if not isinstance(t, Tensor):
        raise TypeError(f"{name} must be a Tensor, got {type(t).__name__}")


_HEADERS: dict[tuple, np.ndarray] = {}


def _header(what: str, t: Tensor | None, error: str | None) -> np.ndarray:
    """This rank's header: the collective, whether its arguments were wrong, dtype and shape.
    Headers are cached by signature (read-only: they are only sent)."""
    if t is None:
        key: tuple = (what, bool(error))
    else:  # the native array's dtype and shape: per backend, they fix the tensor's
        d = t._data
        key = (what, bool(error), id(t._backend), d.dtype, d.shape)
    h = _HEADERS.get(key)
    if h is not None:
        return h
    h = np.full(_HEADER, -1, dtype=np.int64)
    h[0] = _OPS.index(what)
    h[1] = 1 if error else 0
    if t is not None:
        shape = tuple(t.shape)
        dt = str(t.dtype).replace("xgrad.", "")
        h[2] = _DTYPES.index(dt) if dt in _DTYPES else 99
        h[3] = len(shape)
        h[4:4 + min(len(shape), _MAX_DIMS)] = shape[:_MAX_DIMS]
    h.flags.writeable = False
    if len(_HEADERS) < 4096:
        _HEADERS[key] = h
    return h


def _describe(h: np.ndarray) -> tuple[str, list[int]]:
    nd = int(h[3])
    dt = _DTYPES[h[2]] if 0 <= h[2] < len(_DTYPES) else "other"
    return dt, [int(x) for x in h[4:4 + min(nd, _MAX_DIMS)]] if nd >= 0 else []


def _header_slot(group: ProcessGroup, n: int) -> tuple:
    """Make the group's persistent header all-gather (MPI-4; None where the MPI library has
    none, and a plain one runs each time). Creating it is collective: every rank does it in
    its first collective on the group, so all ranks do it at the same point."""
    send = np.empty(_HEADER, dtype=np.int64)
    recv = np.empty((n, _HEADER), dtype=np.int64)
    try:
        req = group.comm.Allgather_init(send, recv)
    except NotImplementedError:
        req = None
    group.header_slot = (send, recv, req)
    return group.header_slot


def _agree(group: ProcessGroup, what: str, t: Tensor | None, error: str | None = None,
           same_shape: bool = True, root: int | None = None) -> np.ndarray:
    """Exchange headers; raise on every rank if a rank was called wrongly or ranks disagree."""
    mine = _header(what, t, error)
    n = group.size()
    if n > 1:
        send, allh, req = group.header_slot or _header_slot(group, n)
        send[:] = mine
        if req is None:
            wait_requests([group.comm.Iallgather(send, allh)], group, what)
        else:
            req.Start()
            wait_requests([req], group, what)
        if not mine[1] and allh.tobytes() == mine.tobytes() * n:
            return allh  # every rank called the same collective on the same shape: the usual case
    else:
        allh = mine[None]
    for r in range(n):
        if allh[r, 0] != allh[0, 0]:
            raise DistBackendError(f"collective mismatch: rank {group.ranks[0]} called "
                                   f"{_OPS[allh[0, 0]]} but rank {group.ranks[r]} called "
                                   f"{_OPS[allh[r, 0]]}")
    bad = [group.ranks[r] for r in range(n) if allh[r, 1]]
    if bad:
        if error:
            raise ValueError(f"{what}: {error}")
        raise DistBackendError(f"{what}: rank {bad[0]} was called with invalid arguments and "
                               "raised; see its error")
    if same_shape and t is not None:
        ref = root if root is not None else 0
        for r in range(n):
            if (allh[r, 2:] != allh[ref, 2:]).any():
                (dr, sr), (d0, s0) = _describe(allh[r]), _describe(allh[ref])
                raise ValueError(
                    f"{what}: tensor shapes differ across ranks: rank {group.ranks[ref]} has "
                    f"{s0} ({d0}), rank {group.ranks[r]} has {sr} ({dr})")
    return allh


def _run(reqs: list, group: ProcessGroup, what: str, finish: Any, async_op: bool,
         *buffers: Any) -> Work | None:
    """Wait for ``reqs`` (or return their :class:`Work` when ``async_op``); ``buffers`` are the
    host arrays the requests use: mpi4py does not keep them alive, the work does."""
    work = Work(reqs, group, what, finish, buffers)
    if async_op:
        return work
    work.wait()
    return None


# ---- collectives ----------------------------------------------------------------------------
def all_reduce(tensor: Tensor, op: ReduceOp = ReduceOp.SUM, group: ProcessGroup | None = None,
               async_op: bool = False) -> Work | None:
    """Reduce ``tensor`` across all ranks with ``op``; every rank gets the result in place."""
    _check_tensor(tensor, "tensor")
    g = default_group(group)
    mop = _mpi_op(op)
    if g.nccl is not None:
        return g.nccl.all_reduce(tensor, op, async_op)
    if op is ReduceOp.AVG and not tensor.is_floating_point():
        raise ValueError(f"all_reduce with ReduceOp.AVG needs a floating-point tensor, got {tensor.dtype}")
    n = g.size()
    own = own_storage(tensor)  # looked up before the header exchange: ranks wait on the slowest
    _agree(g, "all_reduce", tensor)
    if own is not None:  # reduce in place in the tensor's own memory: no copy at all
        reqs = [g.comm.Iallreduce(_mpi().IN_PLACE, own, op=mop)] if n > 1 else []

        def finish_own() -> None:
            if op is ReduceOp.AVG:
                np.divide(own, n, out=own)
            mark_written(tensor)
        if async_op:
            return Work(reqs, g, "all_reduce", finish_own, (own,))
        wait_requests(reqs, g, "all_reduce")  # no Work object on the synchronous path
        finish_own()
        return None
    send = host_buffer(tensor)
    recv = _SCRATCH.take(send.shape, send.dtype)

    def finish() -> None:
        if op is ReduceOp.AVG:
            np.divide(recv, n, out=recv)
        write_back(tensor, recv)
        _SCRATCH.give(recv)
    return _run([g.comm.Iallreduce(send, recv, op=mop)], g, "all_reduce", finish, async_op,
                send, recv)


def broadcast(tensor: Tensor, src: int, group: ProcessGroup | None = None,
              async_op: bool = False) -> Work | None:
    """Copy ``tensor`` from global rank ``src`` into ``tensor`` on every rank."""
    _check_tensor(tensor, "tensor")
    g = default_group(group)
    root = g.group_rank(src, "src")
    _agree(g, "broadcast", tensor, root=root)
    buf = np.array(host_buffer(tensor), copy=True)
    finish = None if g.rank() == root else (lambda: write_back(tensor, buf))
    return _run([g.comm.Ibcast(buf, root=root)], g, "broadcast", finish, async_op, buf)


def reduce(tensor: Tensor, dst: int, op: ReduceOp = ReduceOp.SUM, group: ProcessGroup | None = None,
           async_op: bool = False) -> Work | None:
    """Reduce ``tensor`` from all ranks onto global rank ``dst`` (other ranks keep theirs)."""
    _check_tensor(tensor, "tensor")
    g = default_group(group)
    root = g.group_rank(dst, "dst")
    mop = _mpi_op(op)
    _agree(g, "reduce", tensor)
    send = host_buffer(tensor)
    recv = np.empty_like(send) if g.rank() == root else None
    n = g.size()
    finish = None
    if recv is not None:
        def finish() -> None:
            write_back(tensor, recv / n if op is ReduceOp.AVG else recv)
    return _run([g.comm.Ireduce(send, recv, op=mop, root=root)], g, "reduce", finish, async_op,
                send, recv)


def _check_list(tensors: Any, n: int, like: Tensor, name: str) -> str | None:
    if not isinstance(tensors, (list, tuple)) or not all(isinstance(x, Tensor) for x in tensors):
        return f"{name} must be a list of Tensors"
    if len(tensors) != n:
        return f"{name} must have one tensor per rank: expected {n}, got {len(tensors)}"
    for i, x in enumerate(tensors):
        if tuple(x.shape) != tuple(like.shape):
            return (f"{name}[{i}] has shape {list(x.shape)} but the input tensor has shape "
                    f"{list(like.shape)}")
    return None


def all_gather(tensor_list: list[Tensor], tensor: Tensor, group: ProcessGroup | None = None,
               async_op: bool = False) -> Work | None:
    """Gather ``tensor`` from every rank into ``tensor_list`` (one tensor per rank) on all ranks."""
    _check_tensor(tensor, "tensor")
    g = default_group(group)
    n = g.size()
    _agree(g, "all_gather", tensor, _check_list(tensor_list, n, tensor, "tensor_list"))
    send = host_buffer(tensor)
    recv = np.empty((n, *send.shape), dtype=send.dtype)

    def finish() -> None:
        for i, t in enumerate(tensor_list):
            write_back(t, recv[i])
    return _run([g.comm.Iallgather(send, recv)], g, "all_gather", finish, async_op, send, recv)


def all_gather_into_tensor(output_tensor: Tensor, input_tensor: Tensor, group: ProcessGroup | None = None,
                           async_op: bool = False) -> Work | None:
    """Gather ``input_tensor`` from every rank into ``output_tensor``, concatenated along dim 0
    (shape ``(n*d0, ...)``) or stacked (shape ``(n, d0, ...)``)."""
    _check_tensor(output_tensor, "output_tensor")
    _check_tensor(input_tensor, "input_tensor")
    g = default_group(group)
    n = g.size()
    err = None
    if output_tensor.numel() != n * input_tensor.numel():
        err = (f"output tensor size must be equal to world_size times input tensor size: output "
               f"{list(output_tensor.shape)}, input {list(input_tensor.shape)}, world_size {n}")
    _agree(g, "all_gather_into_tensor", input_tensor, err)
    send = host_buffer(input_tensor)
    recv = np.empty((n, *send.shape), dtype=send.dtype)
    return _run([g.comm.Iallgather(send, recv)], g, "all_gather_into_tensor",
                lambda: write_back(output_tensor, recv), async_op, send, recv)


def reduce_scatter(output: Tensor, input_list: list[Tensor], op: ReduceOp = ReduceOp.SUM,
                   group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:
    """Reduce ``input_list[i]`` over all ranks into ``output`` on rank ``i``."""
    _check_tensor(output, "output")
    g = default_group(group)
    n = g.size()
    mop = _mpi_op(op)
    _agree(g, "reduce_scatter", output, _check_list(input_list, n, output, "input_list"))
    send = np.ascontiguousarray(np.stack([host_buffer(x) for x in input_list]))
    recv = np.empty_like(host_buffer(output))

    def finish() -> None:
        write_back(output, recv / n if op is ReduceOp.AVG else recv)
    return _run([g.comm.Ireduce_scatter_block(send, recv, op=mop)], g, "reduce_scatter", finish,
                async_op, send, recv)


def reduce_scatter_tensor(output: Tensor, input: Tensor, op: ReduceOp = ReduceOp.SUM,
                          group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:
    """Reduce ``input`` over all ranks and give rank ``i`` its ``i``-th chunk along dim 0."""
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    g = default_group(group)
    n = g.size()
    mop = _mpi_op(op)
    err = None
    if input.numel() != n * output.numel():
        err = (f"input tensor must be world_size times the output tensor size: input "
               f"{list(input.shape)}, output {list(output.shape)}, world_size {n}")
    _agree(g, "reduce_scatter_tensor", input, err)
    send = host_buffer(input)
    recv = np.empty(output.numel(), dtype=send.dtype)

    def finish() -> None:
        write_back(output, recv / n if op is ReduceOp.AVG else recv)
    return _run([g.comm.Ireduce_scatter_block(send, recv, op=mop)], g, "reduce_scatter_tensor",
                finish, async_op, send, recv)


def gather(tensor: Tensor, gather_list: list[Tensor] | None = None, dst: int = 0,
           group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:
    """Gather ``tensor`` from every rank into ``gather_list`` on global rank ``dst``."""
    _check_tensor(tensor, "tensor")
    g = default_group(group)
    n = g.size()
    root = g.group_rank(dst, "dst")
    is_root = g.rank() == root
    err = _check_list(gather_list, n, tensor, "gather_list") if is_root else (
        "Argument ``gather_list`` must NOT be specified on non-destination ranks."
        if gather_list else None)
    _agree(g, "gather", tensor, err)
    send = host_buffer(tensor)
    recv = np.empty((n, *send.shape), dtype=send.dtype) if is_root else None
    finish = None
    if is_root:
        def finish() -> None:
            for i, t in enumerate(gather_list):
                write_back(t, recv[i])
    return _run([g.comm.Igather(send, recv, root=root)], g, "gather", finish, async_op, send,
                recv)


def scatter(tensor: Tensor, scatter_list: list[Tensor] | None = None, src: int = 0,
            group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:
    """Send ``scatter_list[i]`` from global rank ``src`` into ``tensor`` on rank ``i``."""
    _check_tensor(tensor, "tensor")
    g = default_group(group)
    n = g.size()
    root = g.group_rank(src, "src")
    is_root = g.rank() == root
    err = _check_list(scatter_list, n, tensor, "scatter_list") if is_root else (
        "Argument ``scatter_list`` must NOT be specified on non-source ranks."
        if scatter_list else None)
    _agree(g, "scatter", tensor, err)
    recv = np.empty_like(host_buffer(tensor))
    send = np.ascontiguousarray(np.stack([host_buffer(x) for x in scatter_list])) if is_root else None
    return _run([g.comm.Iscatter(send, recv, root=root)], g, "scatter",
                lambda: write_back(tensor, recv), async_op, send, recv)


def all_to_all_single(output: Tensor, input: Tensor, output_split_sizes: list[int] | None = None,
                      input_split_sizes: list[int] | None = None, group: ProcessGroup | None = None,
                      async_op: bool = False) -> Work | None:
    """Split ``input`` along dim 0 (evenly or by ``input_split_sizes``), send chunk ``i`` to
    rank ``i``, and concatenate what arrives into ``output``."""
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    g = default_group(group)
    n = g.size()
    d_in, d_out = (input.shape[0] if input.dim() else 1), (output.shape[0] if output.dim() else 1)
    err = None
    ins = list(input_split_sizes) if input_split_sizes else None
    outs = list(output_split_sizes) if output_split_sizes else None
    if ins is None and d_in % n:
        err = f"input dim 0 ({d_in}) must be divisible by world_size {n}"
    elif outs is None and d_out % n:
        err = f"output dim 0 ({d_out}) must be divisible by world_size {n}"
    elif ins is not None and (len(ins) != n or sum(ins) != d_in):
        err = f"input_split_sizes {ins} must have {n} entries summing to {d_in}"
    elif outs is not None and (len(outs) != n or sum(outs) != d_out):
        err = f"output_split_sizes {outs} must have {n} entries summing to {d_out}"
    elif tuple(input.shape[1:]) != tuple(output.shape[1:]):
        err = f"input {list(input.shape)} and output {list(output.shape)} differ beyond dim 0"
    hdr = input[0] if input.dim() and input.shape[0] else None
    _agree(g, "all_to_all_single", hdr, err, same_shape=hdr is not None)
    ins = ins or [d_in // n] * n
    outs = outs or [d_out // n] * n
    row = int(np.prod(tuple(input.shape[1:]), dtype=np.int64))
    send = host_buffer(input)
    recv = np.empty(tuple(output.shape), dtype=send.dtype)
    sc, rc = [x * row for x in ins], [x * row for x in outs]
    sd, rd = np.cumsum([0, *sc[:-1]]).tolist(), np.cumsum([0, *rc[:-1]]).tolist()
    req = g.comm.Ialltoallv([send, (sc, sd)], [recv, (rc, rd)])
    return _run([req], g, "all_to_all_single", lambda: write_back(output, recv), async_op,
                send, recv)


def barrier(group: ProcessGroup | None = None, async_op: bool = False,
            device_ids: list[int] | None = None) -> Work | None:
    """Wait until every rank of the group has reached the barrier."""
    g = default_group(group)
    _agree(g, "barrier", None)
    return _run([g.comm.Ibarrier()], g, "barrier", None, async_op)


# ---- object collectives (mpi4py's pickle, moved as byte buffers under the watchdog) --------
def broadcast_object_list(object_list: list[Any], src: int = 0, group: ProcessGroup | None = None,
                          device: Any = None) -> None:
    """Replace ``object_list``'s items on every rank with those of global rank ``src``."""
    if not isinstance(object_list, list):
        raise TypeError(f"object_list must be a list, got {type(object_list).__name__}")
    g = default_group(group)
    root = g.group_rank(src, "src")
    MPI = _mpi()
    _agree(g, "broadcast_object_list", None)
    payload = MPI.pickle.dumps(object_list) if g.rank() == root else b""
    size = np.array([len(payload)], dtype=np.int64)
    wait_requests([g.comm.Ibcast(size, root=root)], g, "broadcast_object_list")
    buf = bytearray(payload) if g.rank() == root else bytearray(int(size[0]))
    wait_requests([g.comm.Ibcast(buf, root=root)], g, "broadcast_object_list")
    if g.rank() != root:
        got = MPI.pickle.loads(bytes(buf))
        if len(got) != len(object_list):
            raise ValueError(f"broadcast_object_list: rank {src} sent {len(got)} objects but this "
                             f"rank's object_list has {len(object_list)}")
        object_list[:] = got


def all_gather_object(object_list: list[Any], obj: Any, group: ProcessGroup | None = None) -> None:
    """Fill ``object_list`` (one slot per rank) with ``obj`` from every rank."""
    g = default_group(group)
    n = g.size()
    err = None if isinstance(object_list, list) and len(object_list) == n else (
        f"object_list must be a list with one slot per rank ({n})")
    _agree(g, "all_gather_object", None, err)
    MPI = _mpi()
    payload = np.frombuffer(MPI.pickle.dumps(obj), dtype=np.uint8)
    sizes = np.empty(n, dtype=np.int64)
    wait_requests([g.comm.Iallgather(np.array([payload.size], dtype=np.int64), sizes)], g,
                  "all_gather_object")
    recv = np.empty(int(sizes.sum()), dtype=np.uint8)
    displ = np.cumsum([0, *sizes[:-1].tolist()]).tolist()
    wait_requests([g.comm.Iallgatherv(payload, [recv, (sizes.tolist(), displ)])], g,
                  "all_gather_object")
    for i in range(n):
        object_list[i] = MPI.pickle.loads(recv[displ[i]:displ[i] + sizes[i]].tobytes())


# ---- host-buffer collectives for callers that already agree on shapes (DDP's buckets) ------
def all_reduce_buffer(buf: np.ndarray, op: ReduceOp = ReduceOp.SUM, group: ProcessGroup | None = None,
                      what: str = "all_reduce") -> Work:
    """Start an in-place all-reduce of the contiguous host array ``buf`` (no header exchange: every
    rank must pass the same size and dtype). ``AVG`` divides ``buf`` when the work is waited on."""
    g = default_group(group)
    n = g.size()
    finish = (lambda: np.divide(buf, n, out=buf)) if op is ReduceOp.AVG else None
    if n == 1:
        work = Work([], g, what, finish)
    else:
        work = Work([g.comm.Iallreduce(_mpi().IN_PLACE, buf, op=_mpi_op(op))], g, what, finish,
                    (buf,))
    return work


def broadcast_buffer(buf: np.ndarray, src: int = 0, group: ProcessGroup | None = None,
                     what: str = "broadcast") -> Work:
    """Start an in-place broadcast of the contiguous host array ``buf`` from global rank ``src``
    (no header exchange: every rank must pass the same size and dtype)."""
    g = default_group(group)
    if g.size() == 1:
        return Work([], g, what)
    return Work([g.comm.Ibcast(buf, root=g.group_rank(src, "src"))], g, what, keep=(buf,))
