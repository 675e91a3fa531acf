"""Automatic differentiation: backward, grad, custom Functions, grad modes, gradcheck."""
from __future__ import annotations

from typing import Any

from .engine import backward, grad
from .function import Function, FunctionCtx
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .node import Node

__all__ = ["backward", "grad", "Function", "FunctionCtx", "no_grad", "enable_grad",
           "set_grad_enabled", "inference_mode", "is_grad_enabled", "gradcheck", "gradgradcheck",
           "GradcheckError", "detect_anomaly", "is_anomaly_enabled", "set_detect_anomaly", "Node"]


def detect_anomaly(check_nan: bool = True) -> Any:
    """Context manager: raise at the first op whose forward or backward makes NaN/Inf."""
    from xgrad.plugins.anomaly import detect_anomaly as _detect

    return _detect(check_nan)


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on."""
    from xgrad.plugins.anomaly import is_anomaly_enabled as _on

    return _on()


def set_detect_anomaly(mode: bool, check_nan: bool = True) -> Any:
    """Turn anomaly detection on or off globally."""
    from xgrad.plugins.anomaly import set_detect_anomaly as _set

    return _set(mode, check_nan)
