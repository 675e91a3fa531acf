"""Data-parallel wrappers, as ``torch.nn.parallel`` (importable without the distributed extra)."""
from .distributed import DistributedDataParallel

DDP = DistributedDataParallel

__all__ = ["DistributedDataParallel"]
