"""The plugin that registers xgrad's built-in backends, through the same hook as
third-party backends."""
from __future__ import annotations

from xgrad.backend import BackendSpec
from xgrad.hookspecs import hookimpl


def _numpy(index):
    from xgrad.backends.numpy import NumpyBackend

    return NumpyBackend()


def _reference(index):
    from xgrad.backends.reference import ReferenceBackend

    return ReferenceBackend()


def _cupy(index):
    from xgrad.backends.cupy import CupyBackend

    return CupyBackend(0 if index is None else index)


def _cupy_available() -> str | None:
    from xgrad.backends.cupy.status import unavailable_reason

    return unavailable_reason()


@hookimpl
def xgrad_register_backends():
    return [
        BackendSpec("numpy", _numpy, aliases=("cpu",), description="numpy arrays on the host"),
        BackendSpec("reference", _reference, aliases=("ref",),
                    description="pure-Python reference (the conformance oracle)"),
        BackendSpec("cupy", _cupy, aliases=("cuda", "gpu"), available=_cupy_available,
                    description="cupy arrays on an NVIDIA GPU"),
    ]

