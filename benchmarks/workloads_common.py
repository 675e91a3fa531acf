"""Pieces shared by the workloads: xgrad and PyTorch have one API, so one implementation of a
model training step serves both (``fw`` is the ``xgrad`` or ``torch`` module)."""
from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import numpy as np

from . import Impl, Unavailable

__all__ = ["framework", "require", "to_np", "FrameworkStep", "framework_builder"]


def framework(name: str) -> Any:
    """The ``xgrad`` or ``torch`` module, or :class:`Unavailable`."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise Unavailable(f"{name} is not installed ({exc})") from None


def require(fw: Any, *paths: str) -> None:
    """Raise :class:`Unavailable` unless every dotted attribute (``"nn.Linear"``) exists."""
    for path in paths:
        obj = fw
        for part in path.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                raise Unavailable(f"{fw.__name__}.{path} is not available")


def to_np(t: Any) -> np.ndarray:
    """A float64 host copy of an xgrad or torch tensor."""
    return np.array(t.detach().cpu().numpy(), dtype=np.float64)


def sync_fn(fw: Any, device: str) -> Callable[..., None]:
    """A function ``sync(*tensors)`` waiting until the given tensors of ``device`` are
    computed (no-op on the CPU). xgrad passes their arrays to the backend's
    ``synchronize(*arrays)``, so a backend without a wait-for-everything call (JAX) waits
    for exactly the timed results; torch waits for the whole CUDA device."""
    if fw.__name__ == "torch":
        if str(device).startswith("cuda"):
            return lambda *tensors: fw.cuda.synchronize()
        return lambda *tensors: None
    from xgrad.backend import wait_for

    be = fw.backends.get_backend(device)
    return lambda *tensors: wait_for(be, *(t._data for t in tensors if t is not None))


def default_device(fw: Any, device: str | None) -> str:
    if device is not None:
        return device
    return "cpu" if fw.__name__ == "torch" else "numpy"


class FrameworkStep(Impl):
    """One training step of ``model`` in xgrad or torch: zero_grad, forward, loss, backward,
    optimizer step. Weights come from the workload data, keyed by ``named_parameters`` names."""

    def __init__(self, fw: Any, device: str | None, model: Any, data: dict[str, np.ndarray],
                 inputs: tuple[str, ...], loss: Callable[..., Any],
                 optimizer: Callable[[Any], Any], int_inputs: tuple[str, ...] = ()) -> None:
        device = default_device(fw, device)
        with fw.no_grad():
            for name, p in model.named_parameters():
                if name not in data:
                    raise KeyError(f"workload data has no initial value for parameter {name!r}")
                if tuple(p.shape) != data[name].shape:
                    raise ValueError(f"parameter {name!r}: model shape {tuple(p.shape)}, "
                                     f"data shape {data[name].shape}")
                p.copy_(fw.tensor(data[name]))
        self.model = model.to(device)
        self.inputs = [fw.tensor(data[k], device=device) for k in inputs]
        self.inputs += [fw.tensor(data[k].astype(np.int64), device=device) for k in int_inputs]
        self.fw = fw
        self.loss_fn = loss
        self.opt = optimizer(self.model.parameters())
        self._sync = sync_fn(fw, device)

    def step(self) -> Any:
        self.opt.zero_grad()
        loss = self.loss_fn(self.fw, self.model, *self.inputs)
        loss.backward()
        self.opt.step()
        return loss

    def grads(self) -> dict[str, np.ndarray]:
        return {n: to_np(p.grad) for n, p in self.model.named_parameters()}

    def params(self) -> dict[str, np.ndarray]:
        return {n: to_np(p) for n, p in self.model.named_parameters()}

    def sync(self) -> None:
        self._sync(*self.model.parameters())


def framework_builder(fw_name: str, build: Callable[[Any], Any], inputs: tuple[str, ...],
                      loss: Callable[..., Any], optimizer: Callable[[Any, Any], Any],
                      needs: tuple[str, ...], int_inputs: tuple[str, ...] = ()
                      ) -> Callable[[dict, str | None], Impl]:
    """A builder for :class:`FrameworkStep`: ``build(fw)`` makes the model,
    ``loss(fw, model, *inputs)`` the scalar loss, ``optimizer(fw, params)`` the optimizer;
    ``needs`` lists the attributes of ``fw`` it uses."""

    def make(data: dict[str, np.ndarray], device: str | None) -> Impl:
        fw = framework(fw_name)
        require(fw, *needs)
        return FrameworkStep(fw, device, build(fw), data, inputs, loss,
                             lambda params: optimizer(fw, params), int_inputs)

    return make
