"""Distributed training with ``torch.distributed``'s API, on MPI through mpi4py (``"mpi"``: CPU,
tensors of any backend, as host buffers) and on NCCL through cupy (``"nccl"``: cupy tensors).

Importing this package needs nothing beyond xgrad; ``init_process_group`` says what to install
(``pip install 'xgrad[distributed]'``) when mpi4py is missing. Launch with
``mpiexec -n N python train.py`` or ``python -m xgrad.distributed.run --nproc-per-node N train.py``.
"""
from __future__ import annotations

from .collectives import (
    ReduceOp,
    Work,
    all_gather,
    all_gather_into_tensor,
    all_gather_object,
    all_reduce,
    all_to_all_single,
    barrier,
    broadcast,
    broadcast_object_list,
    gather,
    reduce,
    reduce_scatter,
    reduce_scatter_tensor,
    scatter,
)
from .group import (
    DistBackendError,
    DistError,
    GroupMember,
    ProcessGroup,
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
    new_group,
    set_env_from_launcher,
)
from .nccl import check_available

group = GroupMember  # torch.distributed.group.WORLD

set_env_from_launcher()  # RANK/WORLD_SIZE/LOCAL_RANK under mpiexec, before init, as torchrun


def is_mpi_available() -> bool:
    """Whether the ``"mpi"`` backend can be used (mpi4py imports)."""
    return is_available()


def is_nccl_available() -> bool:
    """Whether the ``"nccl"`` backend can be used (cupy with NCCL and a CUDA device)."""
    try:
        check_available()
    except RuntimeError:
        return False
    return True


__all__ = ["ReduceOp", "Work", "ProcessGroup", "GroupMember", "group", "DistError", "DistBackendError",
           "is_available", "is_mpi_available", "is_nccl_available", "init_process_group",
           "is_initialized", "get_rank", "get_world_size", "get_backend", "destroy_process_group",
           "new_group", "barrier", "all_reduce", "broadcast", "reduce", "all_gather",
           "all_gather_into_tensor", "reduce_scatter", "reduce_scatter_tensor", "gather", "scatter",
           "all_to_all_single", "broadcast_object_list", "all_gather_object"]
