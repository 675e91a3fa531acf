"""What a pytest run checks: backends, dtypes and gradcheck mode from the command line, and
the parameters of each conformance test."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

__all__ = ["Selection", "selection", "op_params", "DEFAULT_DTYPES", "CHECK_NAMES"]

DEFAULT_DTYPES = ("float32", "float64")
_ORDER = ("float64", "float32", "float16")
CHECK_NAMES = ("forward", "grad", "gradgrad", "reentrant", "zero_grad", "no_mutation", "fused",
               "special")


@dataclass
class Selection:
    """The backends, dtypes and gradcheck mode of this run."""

    backends: list[str]
    dtypes: list[str]
    mode: str
    #: no ``--xgrad-dtypes`` given: op cases also run in float16 on backends that declare it
    default_dtypes: bool = False

    def dtypes_for(self, have: set[str]) -> list[str]:
        """The dtypes op cases run in on a backend whose dtypes are ``have``."""
        if self.default_dtypes and "float16" in have and "float16" not in self.dtypes:
            return ["float16", *self.dtypes]
        return list(self.dtypes)


def _opt(config: Any, name: str, default: Any = None) -> Any:
    try:
        value = config.getoption(name)
    except ValueError:  # plugin disabled with -p no:xgrad
        return default
    return default if value is None else value


def selection(config: Any) -> Selection:
    """Parse (once per config) the ``--xgrad-*`` options."""
    cached = getattr(config, "_xgrad_selection", None)
    if cached is not None:
        return cached
    from xgrad.backends import available
    from xgrad.registry import resolve_name

    names = _opt(config, "xgrad_backend") or ["numpy"]
    backends: list[str] = []
    status = available()
    for raw in names:
        for name in str(raw).split(","):
            name = name.strip()
            if not name:
                continue
            if name == "all":
                picked = [n for n, s in status.items() if s["available"]]
            else:
                try:
                    canon, _ = resolve_name(name)
                except (RuntimeError, ValueError) as exc:
                    raise pytest.UsageError(f"--xgrad-backend {name}: {exc}") from None
                if not status[canon]["available"]:
                    raise pytest.UsageError(f"--xgrad-backend {name}: backend {canon!r} is "
                                            f"unavailable: {status[canon]['reason']}")
                picked = [canon]
            backends += [b for b in picked if b not in backends]
    dts = _opt(config, "xgrad_dtypes")
    dtypes = [d.strip() for d in dts.split(",") if d.strip()] if dts else list(DEFAULT_DTYPES)
    for d in dtypes:
        if d not in _ORDER:
            raise pytest.UsageError(f"--xgrad-dtypes: unknown floating dtype {d!r}; expected some "
                                    f"of {', '.join(reversed(_ORDER))}")
    sel = Selection(backends, dtypes, _opt(config, "xgrad_gradcheck", "auto"), not dts)
    config._xgrad_selection = sel
    return sel


def _backend_dtypes(name: str) -> set[str]:
    from xgrad.backends import get_backend

    return {d.name for d in get_backend(name).dtypes}


def _backend_linalg(name: str) -> set[str]:
    """The optional linalg primitives of backend ``name`` (cases may require them)."""
    from xgrad.backends import get_backend

    return set(getattr(get_backend(name), "linalg_ops", ()))


def op_params(config: Any, check: str, cases: dict | None = None) -> list:
    """``pytest.param((backend, dtype, case name), id=...)`` for every run of ``check``
    over ``cases`` (default: the op table)."""
    from .catalog import all_cases
    from .special import special_kind

    sel = selection(config)
    params = []
    for be in sel.backends:
        have = _backend_dtypes(be)
        caps = have | _backend_linalg(be)
        dtypes = sel.dtypes_for(have)
        widest = next((d for d in _ORDER if d in dtypes and d in have), None)
        for case in (all_cases() if cases is None else cases).values():
            if check in ("grad", "reentrant", "zero_grad") and not case.grad:
                continue
            if check == "gradgrad" and not (case.grad and case.grad2):
                continue
            if check in ("fused", "optim_fused") and not case.fused:
                continue
            if check == "special" and special_kind(case) is None:
                continue
            for dt in dtypes:
                if dt not in getattr(case, "dtypes", _ORDER):
                    continue
                if check == "gradgrad" and dt != widest:
                    continue
                marks = []
                lacking = [d for d in (dt, *getattr(case, "requires", ())) if d not in caps]
                if lacking:
                    marks.append(pytest.mark.skip(reason=f"backend {be!r} has no {lacking[0]}"))
                else:
                    hook = getattr(config.hook, "pytest_xgrad_skip", None)
                    reason = hook(case=case, dtype=dt, backend=be) if hook else None
                    if reason:
                        marks.append(pytest.mark.skip(reason=str(reason)))
                params.append(pytest.param((be, dt, case.name), id=f"{be}-{dt}-{case.name}",
                                           marks=marks))
    return params
