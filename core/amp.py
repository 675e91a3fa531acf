"""``xgrad.amp``: mixed-precision helpers with PyTorch's API.

:class:`GradScaler` is a working loss scaler: it multiplies the loss by a scale factor,
divides the gradients back (``unscale_``), skips the optimizer step when any gradient is
inf/NaN, and grows or backs off the scale in ``update()``. As in PyTorch, a scaler made for
``"cuda"`` when CUDA is unavailable warns and disables itself; a disabled scaler passes
everything through (``scale`` returns the loss unchanged, ``step`` just calls
``optimizer.step()``).

:class:`autocast` is accepted everywhere but does not change dtypes: xgrad runs each op in
the dtype of its inputs, and none of its backends has an autocast precision policy yet. Code
written for ``torch.autocast`` therefore runs, in full precision.
"""
from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

from . import accelerator as _acc
from .autograd.grad_mode import no_grad
from .tensor import Tensor

__all__ = ["GradScaler", "autocast", "is_autocast_available"]

_READY, _UNSCALED, _STEPPED = 0, 1, 2


def _is_cuda(device: str) -> bool:
    return str(device).partition(":")[0].strip().lower() in ("cuda", "cupy", "gpu")


class GradScaler:
    """Dynamic loss scaling: ``scaler.scale(loss).backward(); scaler.step(opt); scaler.update()``.

    ``device`` names where the training runs (``"cuda"`` by default, as PyTorch); with
    ``"cuda"`` and no usable CUDA backend the scaler warns and disables itself.
    """

    def __init__(self, device: str = "cuda", init_scale: float = 2.0 ** 16,
                 growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True) -> None:
        self._device = str(device)
        self._enabled = bool(enabled)
        if self._enabled and _is_cuda(self._device):
            if not _acc.cuda_available():
                warnings.warn("xgrad.amp.GradScaler was created for CUDA, but CUDA is not "
                              "available; the scaler is disabled (scale/step pass through)",
                              UserWarning, stacklevel=2)
                self._enabled = False
        if self._enabled:
            if growth_factor <= 1.0:
                raise AssertionError("The growth factor must be > 1.0.")
            if backoff_factor >= 1.0:
                raise AssertionError("The backoff factor must be < 1.0.")
        self._init_scale = float(init_scale)
        self._scale: float | None = None
        self._growth_factor = float(growth_factor)
        self._backoff_factor = float(backoff_factor)
        self._growth_interval = int(growth_interval)
        self._init_growth_tracker = 0
        self._growth_tracker = 0
        self._per_optimizer: dict[int, dict[str, Any]] = {}

    # ---- scaling --------------------------------------------------------------------------
    def _check_scale(self, funcname: str) -> float:
        if self._scale is None:
            raise RuntimeError(f"Attempted {funcname} but the scale has not been initialized: "
                               "call scale() first.")
        return self._scale

    def scale(self, outputs: Any) -> Any:
        """``outputs`` (a tensor or nested list/tuple of tensors) times the current scale."""
        if not self._enabled:
            return outputs
        if self._scale is None:
            self._scale = self._init_scale
            self._growth_tracker = self._init_growth_tracker
        s = self._scale

        def apply(v: Any) -> Any:
            if isinstance(v, Tensor):
                return v * s
            if isinstance(v, list):
                return [apply(x) for x in v]
            if isinstance(v, tuple):
                return tuple(apply(x) for x in v)
            raise ValueError("outputs must be a Tensor or an iterable of Tensors")

        return apply(outputs)

    def _state(self, optimizer: Any) -> dict[str, Any]:
        return self._per_optimizer.setdefault(id(optimizer), {"stage": _READY, "found_inf": False})

    def unscale_(self, optimizer: Any) -> None:
        """Divide ``optimizer``'s gradients by the scale in place (e.g. before clipping) and
        record whether any of them is inf/NaN."""
        if not self._enabled:
            return
        scale = self._check_scale("unscale_")
        state = self._state(optimizer)
        if state["stage"] == _UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the "
                               "last update().")
        if state["stage"] == _STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        inv = 1.0 / scale
        found = False
        with no_grad():
            for group in optimizer.param_groups:
                for p in group["params"]:
                    g = p.grad
                    if g is None:
                        continue
                    if not found and not bool(g.isfinite().all().item()):
                        found = True
                    g.mul_(inv)
        state["found_inf"] = found
        state["stage"] = _UNSCALED

    def step(self, optimizer: Any, *args: Any, **kwargs: Any) -> Any:
        """Unscale (unless :meth:`unscale_` already did) and call ``optimizer.step(*args,
        **kwargs)`` if every gradient is finite; otherwise skip the step and return None."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        self._check_scale("step")
        state = self._state(optimizer)
        if state["stage"] == _STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] == _READY:
            self.unscale_(optimizer)
        result = None
        if not state["found_inf"]:
            result = optimizer.step(*args, **kwargs)
        state["stage"] = _STEPPED
        return result

    def update(self, new_scale: float | Any = None) -> None:
        """Back off the scale if any stepped optimizer saw inf/NaN gradients, else grow it every
        ``growth_interval`` clean steps; or set it to ``new_scale``."""
        if not self._enabled:
            return
        scale = self._check_scale("update")
        if new_scale is not None:
            if isinstance(new_scale, Tensor):
                if new_scale.numel() != 1:
                    raise ValueError("new_scale should be a float or a 1-element tensor")
                new_scale = new_scale.item()
            self._scale = float(new_scale)
        else:
            stepped = [s for s in self._per_optimizer.values() if s["stage"] != _READY]
            if not stepped:
                raise AssertionError("No inf checks were recorded prior to update.")
            if any(s["found_inf"] for s in stepped):
                self._scale = scale * self._backoff_factor
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
                if self._growth_tracker == self._growth_interval:
                    self._scale = scale * self._growth_factor
                    self._growth_tracker = 0
        self._per_optimizer = {}

    # ---- accessors --------------------------------------------------------------------------
    def get_scale(self) -> float:
        """The current scale (1.0 when disabled)."""
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else self._scale

    def is_enabled(self) -> bool:
        """Whether the scaler scales (False when disabled or without CUDA for ``"cuda"``)."""
        return self._enabled

    def get_growth_factor(self) -> float:
        """The factor the scale grows by after ``growth_interval`` clean steps."""
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        """Set the growth factor."""
        self._growth_factor = float(new_factor)

    def get_backoff_factor(self) -> float:
        """The factor the scale shrinks by after a step with inf/NaN gradients."""
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        """Set the backoff factor."""
        self._backoff_factor = float(new_factor)

    def get_growth_interval(self) -> int:
        """How many consecutive clean steps grow the scale."""
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        """Set the growth interval."""
        self._growth_interval = int(new_interval)

    def state_dict(self) -> dict[str, Any]:
        """The scale and its schedule (an empty dict when disabled, as PyTorch)."""
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")
        self._init_scale = float(state_dict["scale"])
        self._scale = self._init_scale
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._init_growth_tracker = int(state_dict["_growth_tracker"])
        self._growth_tracker = self._init_growth_tracker


def is_autocast_available(device_type: str) -> bool:
    """Whether :class:`autocast` accepts ``device_type`` (it is a full-precision no-op)."""
    return isinstance(device_type, str)


class autocast:
    """``with xgrad.autocast("cuda", dtype=xgrad.float16): ...`` — accepted, but a no-op.

    xgrad has no reduced-precision autocast policy on any backend yet: ops inside the block run
    in their inputs' dtypes. Also usable as a decorator. Cast explicitly (``model.half()``,
    ``x.to(xgrad.float16)``) to compute in lower precision.
    """

    def __init__(self, device_type: str, dtype: Any = None, enabled: bool = True,
                 cache_enabled: bool | None = None) -> None:
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.device = device_type
        self.fast_dtype = dtype
        self._enabled = bool(enabled)
        self._cache_enabled = cache_enabled

    def __enter__(self) -> autocast:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fn(*args, **kwargs)

        return wrapper
