"""Learning-rate schedulers, as ``torch.optim.lr_scheduler``.

Each scheduler uses PyTorch's own formulas (the recursive ``get_lr`` on ``step()``, the closed
form on ``step(epoch)``), so the learning-rate sequences are the same number for number.
"""
from ._lr_core import (
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    LRScheduler,
    MultiStepLR,
    OneCycleLR,
    ReduceLROnPlateau,
    SequentialLR,
    StepLR,
    _LRScheduler,  # noqa: F401  (PyTorch's old name, still imported by programs)
)
from ._lr_more import (
    ChainedScheduler,
    ConstantLR,
    CosineAnnealingWarmRestarts,
    CyclicLR,
    MultiplicativeLR,
    PolynomialLR,
)

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR",
           "LinearLR", "OneCycleLR", "ReduceLROnPlateau", "SequentialLR", "MultiplicativeLR",
           "ConstantLR", "PolynomialLR", "CyclicLR", "CosineAnnealingWarmRestarts",
           "ChainedScheduler"]

for _cls in (LRScheduler, StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LambdaLR, LinearLR,
             OneCycleLR, ReduceLROnPlateau, SequentialLR, MultiplicativeLR, ConstantLR, PolynomialLR,
             CyclicLR, CosineAnnealingWarmRestarts, ChainedScheduler):
    _cls.__module__ = __name__
del _cls
