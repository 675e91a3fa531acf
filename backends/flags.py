"""PyTorch's backend flag namespaces, as plain settable attributes.

``xgrad.backends.cuda.matmul.allow_tf32``, ``xgrad.backends.cudnn.benchmark`` and friends
exist so that scripts which set them run unchanged. xgrad's backends read none of them today
(the cupy backend computes matmuls in the dtype of its inputs), and setting them changes
nothing else. ``xgrad.backends.mps.is_available()`` is ``False``: there is no Metal backend.

These are namespaces, not backends: the device string ``"cuda"`` still resolves to the cupy
backend through the registry's aliases.
"""
from __future__ import annotations

from types import SimpleNamespace

__all__ = ["cuda", "cudnn", "mps", "mkldnn", "openmp"]


class _Namespace(SimpleNamespace):
    """A flag bag whose repr names it."""

    def __init__(self, _name: str, **flags: object) -> None:
        super().__init__(**flags)
        object.__setattr__(self, "_ns_name", _name)

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
