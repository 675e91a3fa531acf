"""The ``"nccl"`` backend: all-reduce and broadcast of cupy-backend tensors through cupy's NCCL
bindings, bootstrapped over MPI (rank 0's NCCL id is broadcast with mpi4py). Other collectives
fall back to the MPI path through host buffers."""
from __future__ import annotations

from typing import Any

__all__ = ["check_available", "NcclComm"]


def _nccl() -> Any:
    try:
        import cupy
        from cupy.cuda import nccl
    except ImportError as e:
        raise RuntimeError(
            f"the 'nccl' backend needs cupy with NCCL ({e}); install them with: "
            "pip install 'xgrad[cuda,distributed]'") from None
    return cupy, nccl


def check_available() -> None:
    """Raise a clear error unless cupy, NCCL and a CUDA device are all present."""
    cupy, nccl = _nccl()
    if not getattr(nccl, "available", True):
        raise RuntimeError("the 'nccl' backend needs cupy built with NCCL support, which this cupy "
                           "lacks; use backend='mpi'")
    try:
        n = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:  # cupy raises its own CUDA error types
        raise RuntimeError(f"the 'nccl' backend needs a CUDA device: {e}") from None
    if n == 0:
        raise RuntimeError("the 'nccl' backend needs a CUDA device, and none is visible")


class NcclComm:
    """One NCCL communicator over the ranks of an MPI process group."""

    def __init__(self, group: Any) -> None:
        cupy, nccl = _nccl()
        self.cupy, self.nccl = cupy, nccl
        uid = nccl.get_unique_id() if group.rank() == 0 else None
        uid = group.comm.bcast(uid, root=0)
        self.size = group.size()
        self.comm = nccl.NcclCommunicator(self.size, uid, group.rank())

    def _types(self, arr: Any) -> int:
        nc = self.nccl
        table = {"float32": nc.NCCL_FLOAT32, "float64": nc.NCCL_FLOAT64, "float16": nc.NCCL_FLOAT16,
                 "int32": nc.NCCL_INT32, "int64": nc.NCCL_INT64, "uint8": nc.NCCL_UINT8}
        try:
            return table[str(arr.dtype)]
        except KeyError:
            raise TypeError(f"the 'nccl' backend cannot reduce dtype {arr.dtype}") from None

    def all_reduce(self, tensor: Any, op: Any, async_op: bool) -> Any:
        """All-reduce a cupy-backend tensor on the current stream (``AVG`` divides after)."""
        nc, cp = self.nccl, self.cupy
        arr = cp.from_dlpack(tensor.detach())
        if not arr.flags.c_contiguous:
            raise ValueError("the 'nccl' backend needs a contiguous tensor")
        ops = {"SUM": nc.NCCL_SUM, "AVG": nc.NCCL_SUM, "PRODUCT": nc.NCCL_PROD, "MIN": nc.NCCL_MIN,
               "MAX": nc.NCCL_MAX}
        stream = cp.cuda.get_current_stream()
        self.comm.allReduce(arr.data.ptr, arr.data.ptr, arr.size, self._types(arr), ops[op.name], stream.ptr)
        if op.name == "AVG":
            arr /= self.size
        event = stream.record()
        work = _CudaWork(event)
        if not async_op:
            work.wait()
            return None
        return work


class _CudaWork:
    def __init__(self, event: Any) -> None:
        self.event = event

    def wait(self, timeout: Any = None) -> bool:
        self.event.synchronize()
        return True

    def is_completed(self) -> bool:
        return self.event.done
