"""The process group: MPI communicators, the environment torchrun users expect, the watchdog that
turns a dead or failing peer into an error within the timeout, and the error-broadcast convention.

Convention: every rank installs an excepthook at ``init_process_group``. A rank whose program
raises sends ``"<rank>: <ExceptionType>: <message>"`` to every peer on a private duplicate of the
world communicator, waits (bounded) for their acknowledgements, then exits. A peer notices the
message while it polls a pending collective (every wait in this package is a non-blocking request
polled against the group's timeout) and raises :class:`DistBackendError` naming the failed rank.
"""
from __future__ import annotations

import atexit
import os
import sys
import time
from datetime import timedelta
from typing import Any

from .nccl import NcclComm, check_available

__all__ = ["DistError", "DistBackendError", "ProcessGroup", "GroupMember", "is_available",
           "init_process_group", "is_initialized", "get_rank", "get_world_size", "get_backend",
           "destroy_process_group", "new_group", "default_group", "DEFAULT_TIMEOUT"]

DEFAULT_TIMEOUT = timedelta(minutes=30)
_EXTRA = "pip install 'xgrad[distributed]'"
_ERR_TAG, _ACK_TAG = 7701, 7702
_ENV_SOURCES = {  # launcher variables -> the names torchrun sets
    "RANK": ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK"),
    "WORLD_SIZE": ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE"),
    "LOCAL_RANK": ("MPI_LOCALRANKID", "OMPI_COMM_WORLD_LOCAL_RANK"),
    "LOCAL_WORLD_SIZE": ("MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE"),
}


class DistError(RuntimeError):
    """Raised when a distributed operation fails (as ``torch.distributed.DistError``)."""


class DistBackendError(DistError):
    """A collective failed: a peer raised, timed out, or ranks disagreed on a call."""


DistError.__module__ = DistBackendError.__module__ = "xgrad.distributed"


def set_env_from_launcher() -> None:
    """Fill ``RANK``/``WORLD_SIZE``/``LOCAL_RANK``/``LOCAL_WORLD_SIZE`` from mpiexec's variables
    (MPICH hydra or Open MPI) when they are not set, so scripts written for torchrun run."""
    for name, sources in _ENV_SOURCES.items():
        if name in os.environ:
            continue
        for src in sources:
            if src in os.environ:
                os.environ[name] = os.environ[src]
                break


_MPI: Any = None


def _mpi() -> Any:
    global _MPI
    if _MPI is not None:
        return _MPI
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise RuntimeError(
            f"the 'mpi' backend needs mpi4py and an MPI library, which are not installed ({e}); "
            f"install them with: {_EXTRA}") from None
    _MPI = MPI
    return MPI


def is_available() -> bool:
    """Whether the distributed package can be used here (mpi4py with an MPI library imports)."""
    try:
        _mpi()
    except RuntimeError:
        return False
    return True


class ProcessGroup:
    """A set of ranks sharing a communicator; ``ranks`` are global ranks in group order."""

    def __init__(self, comm: Any, ranks: list[int], backend: str, timeout: float,
                 world: ProcessGroup | None = None) -> None:
        self.comm = comm
        self.ranks = ranks
        self._rank, self._size = comm.Get_rank(), comm.Get_size()
        self.backend = backend
        self.timeout = timeout
        self.world = world or self
        self.nccl: Any = None
        self.header_slot: Any = None  # collectives' persistent header exchange (send, recv, request)

    def free(self) -> None:
        """Release the communicator and the persistent requests made on it."""
        if self.header_slot is not None and self.header_slot[2] is not None:
            self.header_slot[2].Free()
            self.header_slot = None
        self.comm.Free()

    def rank(self) -> int:
        """This process's rank within the group."""
        return self._rank

    def size(self) -> int:
        """Number of ranks in the group."""
        return self._size

    def group_rank(self, global_rank: int, what: str) -> int:
        """Translate a global rank (what PyTorch's ``src``/``dst`` mean) to the group's numbering."""
        if global_rank not in self.ranks:
            raise ValueError(f"{what} rank {global_rank} is not part of the group (ranks {self.ranks})")
        return self.ranks.index(global_rank)

    def __repr__(self) -> str:
        return f"ProcessGroup(backend={self.backend!r}, ranks={self.ranks})"


class GroupMember:
    """``GroupMember.WORLD`` is the default group; ``NON_GROUP_MEMBER`` is what ``new_group``
    returns on ranks outside the new group."""

    WORLD: ProcessGroup | None = None
    NON_GROUP_MEMBER = object()


class _State:
    group: ProcessGroup | None = None
    err_comm: Any = None
    peer_error: tuple[int, str] | None = None
    acked: bool = False
    pending_sends: list = []
    broken: bool = False
    hooked: bool = False


def _timeout_seconds(timeout: Any) -> float:
    if timeout is None:
        return DEFAULT_TIMEOUT.total_seconds()
    if isinstance(timeout, timedelta):
        return timeout.total_seconds()
    raise TypeError(f"timeout must be a datetime.timedelta, got {type(timeout).__name__}")


def init_process_group(backend: str | None = None, init_method: str | None = None,
                       timeout: timedelta | None = None, world_size: int = -1, rank: int = -1,
                       store: Any = None, group_name: str = "", pg_options: Any = None,
                       device_id: Any = None) -> None:
    """Join the job's default process group (``backend="mpi"``, or ``"nccl"`` for cupy tensors).

    Ranks and world size come from MPI (``mpiexec -n N`` or ``python -m xgrad.distributed.run``);
    ``rank``/``world_size`` and the ``RANK``/``WORLD_SIZE`` variables, when given, must agree.
    """
    if _State.group is not None:
        raise ValueError("trying to initialize the default process group twice!")
    name = (backend or "mpi").lower()
    if name not in ("mpi", "nccl"):
        raise ValueError(f"Invalid backend: '{backend}'; xgrad.distributed supports 'mpi' and 'nccl'")
    if init_method not in (None, "env://") and not str(init_method).startswith(("tcp://", "file://")):
        raise ValueError(f"unsupported init_method {init_method!r}")
    seconds = _timeout_seconds(timeout)
    if name == "nccl":
        check_available()
    MPI = _mpi()
    if not MPI.Is_initialized():
        MPI.Init()
    comm = MPI.COMM_WORLD.Dup()
    r, n = comm.Get_rank(), comm.Get_size()
    set_env_from_launcher()
    env_size, env_rank = os.environ.get("WORLD_SIZE"), os.environ.get("RANK")
    for label, given, actual in (("world_size", world_size, n), ("rank", rank, r),
                                 ("WORLD_SIZE", int(env_size) if env_size else -1, n),
                                 ("RANK", int(env_rank) if env_rank else -1, r)):
        if given != -1 and given != actual:
            comm.Free()
            raise ValueError(
                f"{label}={given} was given but MPI started this process as rank {r} of {n}; "
                f"launch with `mpiexec -n N python script.py` or "
                f"`python -m xgrad.distributed.run --nproc-per-node N script.py`")
    local = comm.Split_type(MPI.COMM_TYPE_SHARED, key=r)
    os.environ.update(RANK=str(r), WORLD_SIZE=str(n), LOCAL_RANK=str(local.Get_rank()),
                      LOCAL_WORLD_SIZE=str(local.Get_size()))
    local.Free()
    group = ProcessGroup(comm, list(range(n)), name, seconds)
    _State.err_comm = comm.Dup()
    _State.peer_error, _State.acked, _State.broken = None, False, False
    _State.pending_sends = []
    _State.group = GroupMember.WORLD = group
    if name == "nccl":
        group.nccl = NcclComm(group)
    if not _State.hooked:
        _State.hooked = True
        _install_hooks()


def default_group(group: ProcessGroup | None = None) -> ProcessGroup:
    """``group`` or the default group; raises when the package is not initialized."""
    if _State.group is None:
        raise ValueError("Default process group has not been initialized, please make sure to call "
                         "init_process_group.")
    if group is None or group is GroupMember.WORLD:
        return _State.group
    if group is GroupMember.NON_GROUP_MEMBER:
        raise ValueError("this rank is not a member of the group")
    return group


def is_initialized() -> bool:
    """Whether the default process group has been initialized."""
    return _State.group is not None


def get_rank(group: ProcessGroup | None = None) -> int:
    """This process's rank in ``group`` (-1 if it is not a member)."""
    if group is GroupMember.NON_GROUP_MEMBER:
        return -1
    return default_group(group).rank()


def get_world_size(group: ProcessGroup | None = None) -> int:
    """Number of ranks in ``group`` (-1 if this rank is not a member)."""
    if group is GroupMember.NON_GROUP_MEMBER:
        return -1
    return default_group(group).size()


def get_backend(group: ProcessGroup | None = None) -> str:
    """The backend name of ``group`` (``"mpi"`` or ``"nccl"``)."""
    return default_group(group).backend


def new_group(ranks: list[int] | None = None, timeout: timedelta | None = None, backend: str | None = None,
              pg_options: Any = None, use_local_synchronization: bool = False) -> Any:
    """A group of the given global ``ranks`` (all ranks when None); every rank must call it.

    Returns ``GroupMember.NON_GROUP_MEMBER`` on ranks that are not in ``ranks``."""
    world = default_group()
    n = world.size()
    members = sorted(range(n) if ranks is None else {int(x) for x in ranks})
    bad = [x for x in members if not 0 <= x < n]
    if bad:
        raise ValueError(f"new_group: ranks {bad} are out of range for world size {n}")
    MPI = _mpi()
    me = world.rank()
    color = 0 if me in members else MPI.UNDEFINED
    comm = world.comm.Split(color, key=me)
    if comm == MPI.COMM_NULL:
        return GroupMember.NON_GROUP_MEMBER
    seconds = world.timeout if timeout is None else _timeout_seconds(timeout)
    return ProcessGroup(comm, members, (backend or world.backend).lower(), seconds, world)


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    """Leave the default group (or free ``group``); collectives need a new init afterwards."""
    if group is not None and group is not _State.group:
        if group is not GroupMember.NON_GROUP_MEMBER:
            group.free()
        return
    g = default_group()
    if not _State.broken:
        g.free()
        _State.err_comm.Free()
    _State.group = GroupMember.WORLD = None
    _State.err_comm = None


# ---- watchdog ------------------------------------------------------------------------------
def check_peers() -> None:
    """Raise :class:`DistBackendError` if a peer announced that it failed."""
    if _State.err_comm is None:
        return
    if _State.peer_error is None:
        MPI = _mpi()
        st = MPI.Status()
        if not _State.err_comm.Iprobe(source=MPI.ANY_SOURCE, tag=_ERR_TAG, status=st):
            return
        src = st.Get_source()
        _State.peer_error = (src, _State.err_comm.recv(source=src, tag=_ERR_TAG))
        _State.broken = True
    src, msg = _State.peer_error
    raise DistBackendError(f"rank {src} failed, so this collective cannot complete: {msg}")


_yield = getattr(os, "sched_yield", lambda: time.sleep(0))


def wait_requests(reqs: list, group: ProcessGroup, what: str) -> None:
    """Wait for the MPI requests ``reqs``, polling against the group's timeout and peers' errors."""
    if not reqs:
        return
    # one request is tested on its own: MPICH 5's Testall errs on persistent collectives
    test = reqs[0].Test if len(reqs) == 1 else (lambda: _mpi().Request.Testall(reqs))
    if test():
        return
    start = time.monotonic()
    deadline = start + group.timeout
    next_check = start + 0.01
    spin, nap = start + 0.002, start + 0.05  # spin 2 ms, poll yielding the CPU until 50 ms,
    while not test():   # then in 1 ms naps: long waits need no low latency
        now = time.monotonic()
        if now < spin:
            continue
        if now < nap:
            _yield()
        else:
            time.sleep(0.001)
        if now >= next_check:
            next_check = now + 0.01
            check_peers()
            if now >= deadline:
                _State.broken = True
                raise DistBackendError(
                    f"{what} timed out after {group.timeout:g} s (timeout of the process group) on "
                    f"rank {get_rank()}: another rank of {group.ranks} did not join; it may have "
                    f"failed or be stuck")


# ---- error broadcast on an uncaught exception ---------------------------------------------
def _announce(exc: BaseException) -> None:
    """Tell every peer that this rank failed (they raise naming it at their next poll)."""
    comm = _State.err_comm
    me, n = comm.Get_rank(), comm.Get_size()
    text = f"{type(exc).__name__}: {exc}"
    _State.pending_sends += [comm.isend(text, dest=p, tag=_ERR_TAG) for p in range(n) if p != me]


def _leave() -> None:
    """Report "done" to every peer, then wait (bounded) until each peer has reported too, so that
    no rank exits (and mpiexec kills the rest) before every rank has printed its error."""
    comm = _State.err_comm
    if comm is None or _State.acked:
        return
    _State.acked = True
    MPI = _mpi()
    me, n = comm.Get_rank(), comm.Get_size()
    _State.pending_sends += [comm.isend(None, dest=p, tag=_ACK_TAG) for p in range(n) if p != me]
    grace = min(_State.group.timeout if _State.group else 10.0, 10.0)
    deadline = time.monotonic() + grace
    pending = {p for p in range(n) if p != me}
    while pending and time.monotonic() < deadline:
        st = MPI.Status()
        if comm.Iprobe(source=MPI.ANY_SOURCE, tag=_ACK_TAG, status=st):
            comm.recv(source=st.Get_source(), tag=_ACK_TAG)
            pending.discard(st.Get_source())
        elif comm.Iprobe(source=MPI.ANY_SOURCE, tag=_ERR_TAG, status=st):
            comm.recv(source=st.Get_source(), tag=_ERR_TAG)  # another failure: its "done" follows
        else:
            time.sleep(0.005)


def _install_hooks() -> None:
    previous = sys.excepthook

    def hook(etype: type, exc: BaseException, tb: Any) -> None:
        previous(etype, exc, tb)
        if _State.group is None and _State.err_comm is None:
            return
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            if _State.peer_error is None and _State.err_comm is not None:
                _announce(exc)
            _leave()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(1)  # MPI_Finalize would wait on collectives that can no longer complete

    sys.excepthook = hook

    def at_exit() -> None:
        if _State.broken:
            _leave()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(1)

    atexit.register(at_exit)
