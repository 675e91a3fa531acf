"""Which frontend ops have no conformance case (a project test keeps this list empty)."""
from __future__ import annotations

from typing import Any

__all__ = ["uncovered_ops", "uncovered_fused"]


def _covered() -> tuple[set, set]:
    from .catalog import all_cases

    names: set[str] = set()
    for case in all_cases().values():
        names.update(case.covers)
    ids = {id(_unwrapped(obj)) for obj in map(_resolve, names) if obj is not None}
    return names, ids


def _resolve(name: str) -> object:
    """The function a covers-name refers to: ``exp`` (Tensor method), ``xgrad.exp``,
    ``fused.linear``, ``F.conv2d``."""
    import importlib

    from xgrad.ops.table import exposed

    prefix, _, attr = name.rpartition(".")
    if not prefix:
        return exposed().get(name)
    mod = {"xgrad": "xgrad", "fused": "xgrad.ops.fused", "F": "xgrad.nn.functional",
           "linalg": "xgrad.linalg"}.get(prefix)
    if mod is None:
        return None
    try:
        return getattr(importlib.import_module(mod), attr, None)
    except ImportError:
        return None


def _unwrapped(fn: Any) -> Any:
    """The op behind a checking wrapper (``xgrad.exp`` checks its input, then calls it)."""
    return getattr(fn, "__wrapped__", fn)


def uncovered_ops() -> list[str]:
    """Every exposure of every op-table row (Tensor methods, in-place forms, operators,
    ``xgrad.*`` functions; :func:`xgrad.ops.table.exposure`), other functional forms in
    ``xgrad`` (functions defined in ``xgrad.ops``) and ``xgrad.nn.functional.__all__`` that
    no case covers (and the functions of ``xgrad.linalg``, as ``linalg.<name>``), except the
    documented :data:`xgrad.conformance.cases.NOT_OPS`. A name
    counts as covered when a case lists it in ``covers`` or covers the same function under
    another name."""
    import xgrad
    from xgrad.ops.table import OPS, exposure

    from .cases import NOT_OPS

    names, ids = _covered()
    missing: list[str] = []
    for op in OPS:
        for n, fn in exposure(op):
            if n not in names and id(_unwrapped(fn)) not in ids and n not in NOT_OPS \
                    and n not in missing:
                missing.append(n)
    for n, obj in sorted(vars(xgrad).items()):
        if n.startswith("_") or not callable(obj) or isinstance(obj, type):
            continue
        if not str(getattr(obj, "__module__", "")).startswith("xgrad.ops"):
            continue
        if f"xgrad.{n}" not in names and id(_unwrapped(obj)) not in ids and n not in NOT_OPS \
                and f"xgrad.{n}" not in missing:
            missing.append(f"xgrad.{n}")
    import xgrad.linalg as linalg

    for n in linalg.__all__:
        obj = getattr(linalg, n)
        if isinstance(obj, type) or not callable(obj):
            continue
        if f"linalg.{n}" not in names and id(_unwrapped(obj)) not in ids and n not in NOT_OPS:
            missing.append(f"linalg.{n}")
    try:
        import xgrad.nn.functional as F
    except ImportError:
        return missing
    for n in getattr(F, "__all__", ()):
        if f"F.{n}" not in names and id(getattr(F, n)) not in ids and f"F.{n}" not in NOT_OPS:
            missing.append(f"F.{n}")
    return missing


def uncovered_fused() -> list[str]:
    """Fused ops (``xgrad.ops.fused.FUSED`` and ``xgrad.backend.FUSED_OPS``) with no case
    comparing fused against decomposed (the random draws: ``test_rng``'s kinds), except
    :data:`~xgrad.conformance.cases.PENDING_FUSED`."""
    from xgrad.backend import FUSED_OPS
    from xgrad.ops.fused import FUSED

    from .cases import PENDING_FUSED
    from .catalog import all_cases, optim_cases

    have = {c.fused for c in all_cases().values() if c.fused}
    have |= {c.fused for c in optim_cases().values() if c.fused}
    from .test_rng import FUSED_KINDS

    have |= set(FUSED_KINDS)
    return sorted(n for n in set(FUSED) | set(FUSED_OPS) if n not in have and n not in PENDING_FUSED)
