"""The backend registry: pluggy plugin manager, guarded entry-point loading, lookup.

All of it is one object, :data:`REGISTRY` (a :class:`Registry`): the plugin manager, the
backend specs and aliases, the backend instances (the only place backend identity lives:
everything else stores a device *name* and resolves it here), the plugins that failed to
load and the fused-op fallback counts. :meth:`Registry.snapshot` / :meth:`Registry.restore`
and the :meth:`Registry.isolated` context manager let tests change any of it and put it
back. The module-level functions are thin delegates to :data:`REGISTRY`.
"""
from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import pluggy

from . import hookspecs
from .backend import (
    CONTRACT_VERSION,
    SUPPORTED_CONTRACT_VERSIONS,
    Backend,
    BackendSpec,
    describe_backend,
    missing_primitives,
    set_derived_hook,
)
from .backend_checks import debug_enabled, debug_wrap
from .backend_index import check_index_dtype
from .dispatch import CoreDispatch, refresh
from .plugin_loader import distribution_of, load_entry_point

__all__ = ["BackendSpec", "PluginLoadError", "BackendUnavailableError", "Registry", "RegistryState",
           "REGISTRY", "plugin_manager", "get_backend", "available", "failed", "describe",
           "register_plugin", "unregister_plugin", "resolve_name", "count_fallback",
           "fallback_counts"]


class PluginLoadError(RuntimeError):
    """A plugin could not be loaded (raised under ``XGRAD_PLUGINS_STRICT=1``)."""


class BackendUnavailableError(RuntimeError):
    """The requested backend is registered but cannot be used here (the reason says why)."""


@dataclass(frozen=True)
class RegistryState:
    """A copy of a :class:`Registry`'s tables, taken by :meth:`Registry.snapshot`."""

    plugins: tuple[tuple[str | None, Any], ...]
    specs: dict[str, BackendSpec]
    aliases: dict[str, str]
    instances: dict[str, Backend]
    failed: dict[str, str]
    fallbacks: dict[tuple[str, str], int]


class Registry:
    """Backend specs, aliases, instances, failed plugins and fallback counts, in one place.

    The tables are plain dicts whose identity never changes (:meth:`restore` refills them
    in place), so a reference to one stays valid.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.pm: pluggy.PluginManager | None = None
        self.specs: dict[str, BackendSpec] = {}
        self.aliases: dict[str, str] = {}
        self.instances: dict[str, Backend] = {}
        self.failed: dict[str, str] = {}
        self.fallbacks: dict[tuple[str, str], int] = {}

    # ---- plugins ------------------------------------------------------------------------
    def plugin_manager(self) -> pluggy.PluginManager:
        """The pluggy PluginManager (created, with built-ins and entry points, on first call)."""
        if self.pm is None:
            self._load()
        return self.pm  # type: ignore[return-value]

    def register_plugin(self, plugin: Any, name: str | None = None) -> None:
        """Register a plugin object or module at run time (same as an entry point)."""
        pm = self.plugin_manager()
        with self.lock:
            pm.register(plugin, name=name)
            self._collect_specs(pm, only=plugin)
        refresh(pm)

    def unregister_plugin(self, plugin: Any) -> None:
        """Unregister a plugin registered with :meth:`register_plugin`."""
        pm = self.plugin_manager()
        with self.lock:
            pm.unregister(plugin)
        refresh(pm)

    def _load(self) -> None:
        with self.lock:
            if self.pm is not None:
                return
            pm = pluggy.PluginManager(hookspecs.PROJECT)
            pm.add_hookspecs(hookspecs)
            from xgrad.backends import _builtin

            pm.register(CoreDispatch(), name="xgrad.core")
            pm.register(_builtin, name="xgrad.backends")
            self._collect_specs(pm)  # the built-ins first: they keep their names
            self.pm = pm
            problems = []
            if os.environ.get("XGRAD_PLUGIN_AUTOLOAD", "1") != "0":
                problems = self._load_entry_points(pm)
        refresh(pm)
        self._report(problems)

    def load_entry_points(self, pm: pluggy.PluginManager) -> None:
        """Register every ``xgrad`` entry point not yet registered; record the ones that fail
        in :meth:`failed_plugins` (a warning each; ``XGRAD_PLUGINS_STRICT=1``: an error)."""
        with self.lock:
            problems = self._load_entry_points(pm)
        refresh(pm)
        self._report(problems)

    def _load_entry_points(self, pm: pluggy.PluginManager) -> list[str]:
        problems = []
        for ep in metadata.entry_points(group=hookspecs.PROJECT):
            if pm.get_plugin(ep.name) is not None or pm.is_blocked(ep.name):
                continue
            got = load_entry_point(ep)
            error = got.error
            if error is None:
                try:
                    pm.register(got.plugin, name=ep.name)
                except Exception as exc:  # noqa: BLE001 - e.g. a hook with a wrong signature
                    error = (f"xgrad plugin {distribution_of(ep)} failed to register: "
                             f"{type(exc).__name__}: {exc}")
                else:
                    dist = getattr(ep, "dist", None)
                    if dist is not None:
                        pm._plugin_distinfo.append((got.plugin, pluggy._manager.DistFacade(dist)))
                    errors = self._collect_specs(pm, only=got.plugin, raising=False)
                    if errors:
                        pm.unregister(got.plugin)  # none of its backends, hooks or wrappers
                        error = "; ".join(errors)
            if error is not None:
                self.failed[ep.name] = error
                problems.append(error)
        return problems

    @staticmethod
    def _report(problems: list[str]) -> None:
        if not problems:
            return
        if os.environ.get("XGRAD_PLUGINS_STRICT", "0") == "1":
            raise PluginLoadError("\n".join(problems) + "\n[XGRAD_PLUGINS_STRICT=1; the "
                                  "built-in backends stay usable]")
        for msg in problems:
            warnings.warn(msg + "; set XGRAD_PLUGINS_STRICT=1 to make this an error",
                          RuntimeWarning, stacklevel=5)

    @staticmethod
    def _package_of(plugin: Any, pm: pluggy.PluginManager) -> str:
        for p, dist in pm.list_plugin_distinfo():
            if p is plugin:
                return f"{dist.project_name} (plugin {pm.get_name(plugin)!r})"
        mod = getattr(plugin, "__name__", None) or type(plugin).__module__
        return f"{pm.get_name(plugin) or mod}"

    def _collect_specs(self, pm: pluggy.PluginManager, only: Any = None,
                       raising: bool = True) -> list[str]:
        """Add the backends the plugins' ``xgrad_register_backends`` hooks return. A hook
        that raises, returns something other than BackendSpecs or reuses a taken name is an
        error: raised (``raising``) or returned as messages, its specs not added."""
        errors = []
        for impl in pm.hook.xgrad_register_backends.get_hookimpls():
            if only is not None and impl.plugin is not only:
                continue
            pkg = self._package_of(impl.plugin, pm)
            try:
                specs = list(impl.function() or ())
                for spec in specs:
                    if not isinstance(spec, BackendSpec):
                        raise TypeError(f"xgrad_register_backends returned "
                                        f"{type(spec).__name__}, expected BackendSpec")
                    spec.package = spec.package or pkg
                    self._check_names(spec)
            except Exception as exc:  # noqa: BLE001 - third-party hook code
                if raising:
                    raise
                errors.append(exc.args[0] if isinstance(exc, PluginLoadError) else
                              f"xgrad plugin {pkg}: its xgrad_register_backends hook failed: "
                              f"{type(exc).__name__}: {exc}")
                continue
            for spec in specs:
                self._add_spec(spec)
        return errors

    def _check_names(self, spec: BackendSpec) -> None:
        specs, aliases = self.specs, self.aliases
        for key in (spec.name, *spec.aliases):
            owner = specs.get(key) or (specs.get(aliases[key]) if key in aliases else None)
            if owner is not None and owner is not spec:
                raise PluginLoadError(
                    f"two backends are registered under the name {key!r}: one from "
                    f"{owner.package}, one from {spec.package}; uninstall one of them or set "
                    "XGRAD_PLUGIN_AUTOLOAD=0 and register the one you want explicitly"
                )

    def _add_spec(self, spec: BackendSpec) -> None:
        self._check_names(spec)
        self.specs[spec.name] = spec
        for a in spec.aliases:
            self.aliases[a] = spec.name

    # ---- lookup -------------------------------------------------------------------------
    def resolve_name(self, device: str) -> tuple[str, int | None]:
        """Split ``"cuda:1"`` into the canonical backend name and device index."""
        self.plugin_manager()
        base, _, idx = str(device).partition(":")
        base = base.strip().lower()
        index: int | None = None
        if idx:
            try:
                index = int(idx)
            except ValueError:
                raise ValueError(
                    f"invalid device string {device!r}: expected 'name' or 'name:N'") from None
        name = self.aliases.get(base, base)
        if name not in self.specs:
            raise RuntimeError(f"unknown device {device!r}. {self._availability_text()}")
        return name, index

    def _availability_text(self) -> str:
        rows = []
        for name, status in self.available().items():
            al = f" (aliases: {', '.join(status['aliases'])})" if status["aliases"] else ""
            state = "available" if status["available"] else f"unavailable: {status['reason']}"
            rows.append(f"{name}{al} - {state}")
        return "Registered backends: " + "; ".join(rows)

    def get_backend(self, device: str | Backend) -> Backend:
        """The Backend instance for a device string such as ``"cpu"`` or ``"cuda:0"``."""
        if isinstance(device, Backend):
            return device
        inst = self.instances.get(device)
        if inst is not None:
            return inst
        with self.lock:
            name, index = self.resolve_name(device)
            key = name if index is None else f"{name}:{index}"
            inst = self.instances.get(key)
            if inst is None:
                spec = self.specs[name]
                reason = spec.available()
                if reason:
                    raise BackendUnavailableError(f"backend {name!r} is unavailable: {reason}")
                inst = spec.factory(index)
                _validate(inst, spec)
                if debug_enabled():  # XGRAD_DEBUG_BACKEND=1: check every primitive's result
                    debug_wrap(inst)
                self.instances[key] = inst
            self.instances[device] = inst
            return inst

    def available(self) -> dict[str, dict]:
        """Every registered backend: ``{name: {available, reason, aliases, package}}``."""
        self.plugin_manager()
        out = {}
        for name, spec in self.specs.items():
            try:
                reason = spec.available()
            except Exception as exc:  # noqa: BLE001
                reason = f"availability check failed: {exc}"
            if reason is None:  # usable here: build it, so a broken backend says so now
                try:
                    self.get_backend(name)
                except Exception as exc:  # noqa: BLE001 - the factory is third-party code
                    reason = f"{type(exc).__name__}: {exc}"
            out[name] = {"available": reason is None, "reason": reason,
                         "aliases": list(spec.aliases), "package": spec.package,
                         "description": spec.description}
        return out

    def failed_plugins(self) -> dict[str, str]:
        """Plugins whose entry point failed to load: ``{entry point name: error message}``."""
        self.plugin_manager()
        return dict(self.failed)

    # ---- fallbacks ----------------------------------------------------------------------
    def count_fallback(self, op: str, backend: Backend) -> None:
        """Record that ``backend`` ran the decomposition of fused op (or optional primitive)
        ``op``."""
        key = (backend.name, op)
        self.fallbacks[key] = self.fallbacks.get(key, 0) + 1
        pm = self.pm
        if pm is not None and pm.hook.xgrad_fallback.get_hookimpls():
            pm.hook.xgrad_fallback(op=op, backend=backend)

    def fallback_counts(self, name: str | None = None) -> dict[str, int]:
        """How often each fused op, and each optional primitive a backend leaves to the base
        class, ran its decomposition (for one backend name)."""
        return {op: n for (b, op), n in self.fallbacks.items() if name is None or b == name}

    def describe(self, device: str) -> dict:
        """Capabilities of a backend: primitives, fused ops, dtypes, contract version, fallbacks."""
        info = describe_backend(self.get_backend(device))
        info["fallbacks"] = self.fallback_counts(info["name"])
        return info

    # ---- snapshot / restore -------------------------------------------------------------
    def snapshot(self) -> RegistryState:
        """A copy of every table and of the set of registered plugins (loads plugins first)."""
        pm = self.plugin_manager()
        with self.lock:
            return RegistryState(
                plugins=tuple((pm.get_name(p), p) for p in pm.get_plugins()),
                specs=dict(self.specs), aliases=dict(self.aliases),
                instances=dict(self.instances), failed=dict(self.failed),
                fallbacks=dict(self.fallbacks))

    def restore(self, state: RegistryState) -> None:
        """Put the registry back as :meth:`snapshot` found it: plugins registered since are
        unregistered, plugins unregistered since come back, and the tables are refilled."""
        pm = self.plugin_manager()
        with self.lock:
            keep = {id(p) for _, p in state.plugins}
            for p in pm.get_plugins():
                if id(p) not in keep:
                    pm.unregister(p)
            for name, p in state.plugins:
                if not pm.is_registered(p):
                    pm.register(p, name=name)
            for table, old in ((self.specs, state.specs), (self.aliases, state.aliases),
                               (self.instances, state.instances), (self.failed, state.failed),
                               (self.fallbacks, state.fallbacks)):
                if table != old:
                    table.clear()
                    table.update(old)
        refresh(pm)

    @contextmanager
    def isolated(self) -> Iterator[Registry]:
        """``with REGISTRY.isolated(): ...`` — every change made in the block is undone."""
        state = self.snapshot()
        try:
            yield self
        finally:
            self.restore(state)


def _validate(inst: Backend, spec: BackendSpec) -> None:
    if not isinstance(inst, Backend):
        raise PluginLoadError(
            f"backend {spec.name!r} from {spec.package}: factory returned "
            f"{type(inst).__name__}, expected a subclass of xgrad.backend.Backend")
    if inst.contract_version in SUPPORTED_CONTRACT_VERSIONS and \
            inst.contract_version != CONTRACT_VERSION:
        warnings.warn(
            f"backend {spec.name!r} from {spec.package} declares backend contract version "
            f"{inst.contract_version}; this xgrad implements version {CONTRACT_VERSION} and "
            "adapts it (its primitives all still work, synchronize() is called without "
            "arrays), but support for it will be removed: set contract_version = "
            f"{CONTRACT_VERSION} (see docs/writing-a-backend.md)", DeprecationWarning,
            stacklevel=4)
    elif inst.contract_version != CONTRACT_VERSION:
        raise PluginLoadError(
            f"backend {spec.name!r} from {spec.package} was written for backend contract "
            f"version {inst.contract_version}, but this xgrad implements version "
            f"{CONTRACT_VERSION}; upgrade the backend package or xgrad")
    try:
        check_index_dtype(inst, f"{spec.name!r} from {spec.package}")
    except TypeError as exc:
        raise PluginLoadError(str(exc)) from None
    missing = missing_primitives(type(inst))
    if missing:
        raise PluginLoadError(
            f"backend {spec.name!r} from {spec.package} does not implement the required "
            f"primitives: {', '.join(missing)}")


#: The process-wide registry.
REGISTRY = Registry()
set_derived_hook(REGISTRY.count_fallback)  # optional primitives' decompositions count too

# The tables under their historical module-level names (the same dict objects).
_specs = REGISTRY.specs
_aliases = REGISTRY.aliases
_instances = REGISTRY.instances
_failed = REGISTRY.failed
_fallback_counts = REGISTRY.fallbacks


def plugin_manager() -> pluggy.PluginManager:
    """The process-wide pluggy PluginManager (created and loaded on first call)."""
    return REGISTRY.plugin_manager()


def register_plugin(plugin: Any, name: str | None = None) -> None:
    """Register a plugin object or module at run time (same as an entry point)."""
    REGISTRY.register_plugin(plugin, name)


def unregister_plugin(plugin: Any) -> None:
    """Unregister a plugin registered with :func:`register_plugin`."""
    REGISTRY.unregister_plugin(plugin)


def _load_entry_points(pm: pluggy.PluginManager) -> None:
    REGISTRY.load_entry_points(pm)


def resolve_name(device: str) -> tuple[str, int | None]:
    """Split ``"cuda:1"`` into the canonical backend name and device index."""
    return REGISTRY.resolve_name(device)


def get_backend(device: str | Backend) -> Backend:
    """The Backend instance for a device string such as ``"cpu"``, ``"reference"``, ``"cuda:0"``."""
    inst = _instances.get(device) if type(device) is str else None
    return inst if inst is not None else REGISTRY.get_backend(device)


def available() -> dict[str, dict]:
    """Every registered backend: ``{name: {available, reason, aliases, package}}``."""
    return REGISTRY.available()


def failed() -> dict[str, str]:
    """Plugins whose entry point failed to load: ``{entry point name: error message}``."""
    return REGISTRY.failed_plugins()


def count_fallback(op: str, backend: Backend) -> None:
    """Record that ``backend`` ran the decomposition of fused op ``op``."""
    REGISTRY.count_fallback(op, backend)


def fallback_counts(name: str | None = None) -> dict[str, int]:
    """How often each fused op fell back to its decomposition (for one backend name)."""
    return REGISTRY.fallback_counts(name)


def describe(device: str) -> dict:
    """Capabilities of a backend: primitives, fused ops, dtypes, contract version, fallbacks."""
    return REGISTRY.describe(device)
