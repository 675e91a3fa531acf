"""The xgrad plugin module named by the ``xgrad`` entry point: it declares one backend.

Importing it must stay cheap and must not import the array library: the factory and the
availability check do that lazily.
"""
from __future__ import annotations

from xgrad import hookimpl
from xgrad.backend import Backend
from xgrad.registry import BackendSpec

__all__ = ["xgrad_register_backends", "unavailable_reason"]


def unavailable_reason() -> str | None:
    """``None`` when ``array_api_strict`` can be imported, else why the backend is unusable."""
    try:
        import array_api_strict  # noqa: F401
    except ImportError as exc:
        return (f"array-api-strict is not installed ({exc}); "
                "install it with: pip install array-api-strict")
    return None


def _factory(index: int | None) -> Backend:
    from .backend import ArrayAPIBackend

    return ArrayAPIBackend()


@hookimpl
def xgrad_register_backends() -> list[BackendSpec]:
    """Answer xgrad's backend-discovery hook with the ``arrayapi`` backend."""
    return [BackendSpec("arrayapi", _factory, aliases=("array_api",), available=unavailable_reason,
                        description="array-api-strict arrays (Python Array API standard) on the host")]
