"""The xgrad plugin module named by the ``xgrad`` entry point: it declares the ``jax`` backend.

Importing it stays cheap: JAX is imported by the factory and the availability check only.
"""
from __future__ import annotations

from xgrad import hookimpl
from xgrad.backend import Backend, BackendSpec

__all__ = ["xgrad_register_backends", "unavailable_reason"]


def unavailable_reason() -> str | None:
    """``None`` when JAX can be imported, else why the backend is unusable."""
    try:
        import jax  # noqa: F401
    except ImportError as exc:
        return f"jax is not installed ({exc}); install it with: pip install jax"
    return None


def _factory(index: int | None) -> Backend:
    from .backend import JaxBackend

    return JaxBackend(index)


@hookimpl
def xgrad_register_backends() -> list[BackendSpec]:
    """Answer xgrad's backend-discovery hook with the ``jax`` backend."""
    return [BackendSpec("jax", _factory, available=unavailable_reason,
                        description="JAX arrays (immutable, int64 stored as int32, x64 off)")]
