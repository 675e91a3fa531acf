"""The backend registry: pluggy plugin manager, guarded entry-point loading, lookup."""
from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pluggy

from . import hookspecs
from .backend import CONTRACT_VERSION, Backend, describe_backend, missing_primitives

__all__ = ["BackendSpec", "PluginLoadError", "BackendUnavailableError", "plugin_manager",
           "get_backend", "available", "failed", "describe", "register_plugin", "resolve_name"]


class PluginLoadError(RuntimeError):
    """A plugin could not be loaded (raised under ``XGRAD_PLUGINS_STRICT=1``)."""


class BackendUnavailableError(RuntimeError):
    """The requested backend is registered but cannot be used here (the reason says why)."""


@dataclass
class BackendSpec:
    """What a plugin tells xgrad about one backend.

    ``factory(index)`` builds the Backend instance for device index ``index`` (``None``
    when the device string has no ``:N``); it runs on first use, so it may import the
    array library. ``available()`` returns ``None`` when usable, else a reason string.
    """

    name: str
    factory: Callable[[int | None], Backend]
    aliases: tuple[str, ...] = ()
    available: Callable[[], str | None] = lambda: None
    description: str = ""
    package: str = field(default="", compare=False)


_lock = threading.RLock()
_pm: pluggy.PluginManager | None = None
_specs: dict[str, BackendSpec] = {}
_aliases: dict[str, str] = {}
_instances: dict[str, Backend] = {}
_failed: dict[str, str] = {}
_listeners: list[Callable[[], None]] = []


def plugin_manager() -> pluggy.PluginManager:
    """The process-wide pluggy PluginManager (created and loaded on first call)."""
    if _pm is None:
        _load()
    return _pm  # type: ignore[return-value]


def on_plugins_changed(callback: Callable[[], None]) -> None:
    """Call ``callback`` whenever a plugin is registered or unregistered."""
    _listeners.append(callback)


def _notify() -> None:
    from .dispatch import refresh

    if _pm is not None:
        refresh(_pm)
    for cb in _listeners:
        cb()


def register_plugin(plugin: Any, name: str | None = None) -> None:
    """Register a plugin object or module at run time (same as an entry point)."""
    pm = plugin_manager()
    with _lock:
        pm.register(plugin, name=name)
        _collect_specs(pm, only=plugin)
    _notify()


def unregister_plugin(plugin: Any) -> None:
    """Unregister a plugin registered with :func:`register_plugin`."""
    pm = plugin_manager()
    with _lock:
        pm.unregister(plugin)
    _notify()


def _package_of(plugin: Any, pm: pluggy.PluginManager) -> str:
    for p, dist in pm.list_plugin_distinfo():
        if p is plugin:
            return f"{dist.project_name} (plugin {pm.get_name(plugin)!r})"
    mod = getattr(plugin, "__name__", None) or type(plugin).__module__
    return f"{pm.get_name(plugin) or mod}"


def _collect_specs(pm: pluggy.PluginManager, only: Any = None) -> None:
    impls = pm.hook.xgrad_register_backends.get_hookimpls()
    for impl in impls:
        if only is not None and impl.plugin is not only:
            continue
        pkg = _package_of(impl.plugin, pm)
        for spec in impl.function() or ():
            spec.package = spec.package or pkg
            _add_spec(spec)


def _add_spec(spec: BackendSpec) -> None:
    for key in (spec.name, *spec.aliases):
        owner = _specs.get(key) or (_specs.get(_aliases[key]) if key in _aliases else None)
        if owner is not None and owner is not spec:
            raise PluginLoadError(
                f"two backends are registered under the name {key!r}: one from "
                f"{owner.package}, one from {spec.package}; uninstall one of them or set "
                "XGRAD_PLUGIN_AUTOLOAD=0 and register the one you want explicitly"
            )
    _specs[spec.name] = spec
    for a in spec.aliases:
        _aliases[a] = spec.name


def _load() -> None:
    global _pm
    with _lock:
        if _pm is not None:
            return
        pm = pluggy.PluginManager(hookspecs.PROJECT)
        pm.add_hookspecs(hookspecs)
        from xgrad.backends import _builtin

        from .dispatch import CoreDispatch

        pm.register(CoreDispatch(), name="xgrad.core")
        pm.register(_builtin, name="xgrad.backends")
        _pm = pm
        if os.environ.get("XGRAD_PLUGIN_AUTOLOAD", "1") != "0":
            _load_entry_points(pm)
        _collect_specs(pm)
    _notify()


def _load_entry_points(pm: pluggy.PluginManager) -> None:
    strict = os.environ.get("XGRAD_PLUGINS_STRICT", "0") == "1"
    for ep in metadata.entry_points(group=hookspecs.PROJECT):
        if pm.get_plugin(ep.name) is not None or pm.is_blocked(ep.name):
            continue
        try:
            plugin = ep.load()
            pm.register(plugin, name=ep.name)
            dist = getattr(ep, "dist", None)
            if dist is not None:
                pm._plugin_distinfo.append((plugin, pluggy._manager.DistFacade(dist)))
        except Exception as exc:  # noqa: BLE001 - any failure of third-party code
            where = f"{ep.value} (entry point {ep.name!r} in group 'xgrad')"
            msg = f"xgrad plugin {where} failed to load: {type(exc).__name__}: {exc}"
            _failed[ep.name] = msg
            if strict:
                raise PluginLoadError(msg + " [XGRAD_PLUGINS_STRICT=1]") from exc
            warnings.warn(msg + "; set XGRAD_PLUGINS_STRICT=1 to make this an error",
                          RuntimeWarning, stacklevel=3)


def resolve_name(device: str) -> tuple[str, int | None]:
    """Split ``"cuda:1"`` into the canonical backend name and device index."""
    plugin_manager()
    base, _, idx = str(device).partition(":")
    base = base.strip().lower()
    index: int | None = None
    if idx:
        try:
            index = int(idx)
        except ValueError:
            raise ValueError(f"invalid device string {device!r}: expected 'name' or 'name:N'") from None
    name = _aliases.get(base, base)
    if name not in _specs:
        raise RuntimeError(f"unknown device {device!r}. {_availability_text()}")
    return name, index


def _availability_text() -> str:
    rows = []
    for name, status in available().items():
        al = f" (aliases: {', '.join(status['aliases'])})" if status["aliases"] else ""
        state = "available" if status["available"] else f"unavailable: {status['reason']}"
        rows.append(f"{name}{al} - {state}")
    return "Registered backends: " + "; ".join(rows)


def get_backend(device: str | Backend) -> Backend:
    """The Backend instance for a device string such as ``"cpu"``, ``"reference"``, ``"cuda:0"``."""
    if isinstance(device, Backend):
        return device
    inst = _instances.get(device)
    if inst is not None:
        return inst
    with _lock:
        name, index = resolve_name(device)
        key = name if index is None else f"{name}:{index}"
        inst = _instances.get(key)
        if inst is None:
            spec = _specs[name]
            reason = spec.available()
            if reason:
                raise BackendUnavailableError(f"backend {name!r} is unavailable: {reason}")
            inst = spec.factory(index)
            _validate(inst, spec)
            _instances[key] = inst
        _instances[device] = inst
        return inst


def _validate(inst: Backend, spec: BackendSpec) -> None:
    if not isinstance(inst, Backend):
        raise PluginLoadError(
            f"backend {spec.name!r} from {spec.package}: factory returned "
            f"{type(inst).__name__}, expected a subclass of xgrad.backend.Backend")
    if inst.contract_version != CONTRACT_VERSION:
        raise PluginLoadError(
            f"backend {spec.name!r} from {spec.package} was written for backend contract "
            f"version {inst.contract_version}, but this xgrad implements version "
            f"{CONTRACT_VERSION}; upgrade the backend package or xgrad")
    missing = missing_primitives(type(inst))
    if missing:
        raise PluginLoadError(
            f"backend {spec.name!r} from {spec.package} does not implement the required "
            f"primitives: {', '.join(missing)}")


def available() -> dict[str, dict]:
    """Every registered backend: ``{name: {available, reason, aliases, package}}``."""
    plugin_manager()
    out = {}
    for name, spec in _specs.items():
        try:
            reason = spec.available()
        except Exception as exc:  # noqa: BLE001
            reason = f"availability check failed: {exc}"
        out[name] = {"available": reason is None, "reason": reason,
                     "aliases": list(spec.aliases), "package": spec.package,
                     "description": spec.description}
    return out


def failed() -> dict[str, str]:
    """Plugins whose entry point failed to load: ``{entry point name: error message}``."""
    plugin_manager()
    return dict(_failed)


_fallback_counts: dict[tuple[str, str], int] = {}


def count_fallback(op: str, backend: Backend) -> None:
    """Record that ``backend`` ran the decomposition of fused op ``op``."""
    key = (backend.name, op)
    _fallback_counts[key] = _fallback_counts.get(key, 0) + 1
    if _pm is not None and _pm.hook.xgrad_fallback.get_hookimpls():
        _pm.hook.xgrad_fallback(op=op, backend=backend)


def fallback_counts(name: str | None = None) -> dict[str, int]:
    """How often each fused op fell back to its decomposition (for one backend name)."""
    return {op: n for (b, op), n in _fallback_counts.items() if name is None or b == name}


def describe(device: str) -> dict:
    """Capabilities of a backend: primitives, fused ops, dtypes, contract version, fallbacks."""
    info = describe_backend(get_backend(device))
    info["fallbacks"] = fallback_counts(info["name"])
    return info
