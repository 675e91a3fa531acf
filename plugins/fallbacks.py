"""Fused-op fallback report: which fused ops each backend runs natively, which fell back."""
from __future__ import annotations

__all__ = ["report"]


def _backend_lines(name: str) -> list[str]:
    from xgrad.backend import FUSED_OPS
    from xgrad.registry import fallback_counts, get_backend

    be = get_backend(name)
    counts = fallback_counts(be.name)
    ops = sorted(set(FUSED_OPS) | set(counts))
    native = [op for op in ops if be.has(op)]
    lines = [f"{be.name} (device {be.device!r}): {len(native)} of {len(FUSED_OPS)} fused ops native"]
    width = max(len(op) for op in ops)
    for op in ops:
        n = counts.get(op, 0)
        if be.has(op):
            state = "native"
            used = f"; decomposition forced {n}x in this process (decomposed_only)" if n else ""
        else:
            state = "decomposed (no fused kernel)"
            used = f"; fell back {n}x in this process" if n else ""
        lines.append(f"  {op.ljust(width)}  {state}{used}")
    return lines


def report(name: str | None = None) -> str:
    """A text report of the fused ops of backend ``name`` (every registered backend if None).

    For each fused op it says whether the backend has a native kernel or the frontend runs
    the decomposition, and how often that fallback happened so far in this process (the
    same counts as ``xgrad.backends.describe(name)['fallbacks']``).
    """
    from xgrad.registry import available, resolve_name

    if name is not None:
        return "\n".join(_backend_lines(resolve_name(name)[0])) + "\n"
    lines: list[str] = []
    for backend, status in available().items():
        if status["available"]:
            lines += _backend_lines(backend)
        else:
            lines.append(f"{backend}: unavailable ({status['reason']})")
    return "\n".join(lines) + "\n"
