"""``xgrad.onnx``: placeholder for ONNX export.

``import xgrad.onnx`` works so that scripts which import it run; :func:`export` is not
implemented yet and raises ``NotImplementedError`` saying what to use meanwhile.
"""
from __future__ import annotations

from typing import Any

__all__ = ["export", "is_in_onnx_export"]


def export(model: Any, args: Any = (), f: Any = None, *unused: Any, **kwargs: Any) -> Any:
    """Not implemented yet: raises ``NotImplementedError``."""
    raise NotImplementedError(
        "xgrad.onnx.export is not implemented yet. To ship a trained model meanwhile, save its "
        "weights with xgrad.save(model.state_dict(), path) (a safetensors file that "
        "safetensors.torch.load_file reads), load them into the same architecture in PyTorch, "
        "and export from there with torch.onnx.export.")


def is_in_onnx_export() -> bool:
    """Always ``False``: xgrad never runs an ONNX export."""
    return False
