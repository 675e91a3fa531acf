"""PyTorch's backend flag namespaces, as plain settable attributes.

``xgrad.backends.cuda.matmul.allow_tf32``, ``xgrad.backends.cudnn.benchmark`` and friends
exist so that scripts which set them run unchanged. xgrad's backends read none of them today
(the cupy backend computes matmuls in the dtype of its inputs), and setting them changes
nothing else. ``xgrad.backends.mps.is_available()`` is ``False``: there is no Metal backend.

These are namespaces, not backends: the device string ``"cuda"`` still resolves to the cupy
backend through the registry's aliases. Each top-level namespace is also a module in
``sys.modules``, so ``import xgrad.backends.cudnn as cudnn`` works as it does in PyTorch.
"""
from __future__ import annotations

import sys
from importlib.machinery import ModuleSpec
from types import ModuleType

__all__ = ["cuda", "cudnn", "mps", "mkldnn", "openmp"]


class _Namespace(ModuleType):
    """A flag bag (a module object, importable once registered) whose repr names it."""

    def __init__(self, _name: str, **flags: object) -> None:
        super().__init__(f"xgrad.backends.{_name}")
        self.__spec__ = ModuleSpec(self.__name__, None)
        self._ns_name = _name
        for key, value in flags.items():
            setattr(self, key, value)

    def __repr__(self) -> str:
        items = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_")
                          and not callable(v))
        return f"<flags xgrad.backends.{self._ns_name}: {items}>"


def _false() -> bool:
    return False


def _cuda_built() -> bool:
    import importlib.util

    return importlib.util.find_spec("cupy") is not None


#: ``xgrad.backends.cuda``: ``matmul.allow_tf32``, ``matmul.allow_fp16_reduced_precision_reduction``.
cuda = _Namespace("cuda", matmul=_Namespace("cuda.matmul", allow_tf32=False,
                                            allow_fp16_reduced_precision_reduction=True,
                                            allow_bf16_reduced_precision_reduction=True),
                  is_built=_cuda_built)
#: ``xgrad.backends.cudnn``: ``enabled``, ``benchmark``, ``deterministic``, ``allow_tf32``.
cudnn = _Namespace("cudnn", enabled=True, benchmark=False, deterministic=False, allow_tf32=True,
                   is_available=_false)
#: ``xgrad.backends.mps``: no Metal backend exists, ``is_available()`` is False.
mps = _Namespace("mps", is_available=_false, is_built=_false)
mkldnn = _Namespace("mkldnn", enabled=True, is_available=_false)
openmp = _Namespace("openmp", is_available=_false)

for _ns in (cuda, cudnn, mps, mkldnn, openmp):
    sys.modules.setdefault(_ns.__name__, _ns)
