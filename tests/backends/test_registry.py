"""The pluggy backend registry: conflicts, contract versions, missing primitives, plugin loading."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
import xgrad
from xgrad import registry
from xgrad.backend import CONTRACT_VERSION, PRIMITIVES, REQUIRED_PRIMITIVES, Backend
from xgrad.backends.numpy import NumpyBackend
from xgrad.registry import BackendSpec, PluginLoadError


@pytest.fixture
def clean_registry():
    """Undo whatever a test registers: the list it gets is for the plugins it adds (the
    registry's restore unregisters them and drops their specs and instances)."""
    with registry.REGISTRY.isolated():
        yield []


def _plugin(*specs):
    class Plugin:
        @xgrad.hookimpl
        def xgrad_register_backends(self):
            return list(specs)

    return Plugin()


def _run(code: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("XGRAD_")}
    full_env.update(env)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=full_env, timeout=120)


def test_two_backends_with_one_name_name_both_packages(clean_registry):
    p = _plugin(BackendSpec("numpy", lambda i: NumpyBackend(), package="fancy-numpy-pkg"))
    clean_registry.append(p)
    with pytest.raises(PluginLoadError) as info:
        registry.register_plugin(p, name="fancy")
    msg = str(info.value)
    assert "'numpy'" in msg and "fancy-numpy-pkg" in msg and "xgrad.backends" in msg


def test_alias_conflict_is_reported(clean_registry):
    p = _plugin(BackendSpec("mycpu", lambda i: NumpyBackend(), aliases=("cpu",), package="pkg-x"))
    clean_registry.append(p)
    with pytest.raises(PluginLoadError, match="'cpu'.*pkg-x|pkg-x.*'cpu'"):
        registry.register_plugin(p, name="mycpu")


def test_other_contract_version_is_refused(clean_registry):
    class Old(NumpyBackend):
        name = device = "oldcontract"
        contract_version = CONTRACT_VERSION + 1

    p = _plugin(BackendSpec("oldcontract", lambda i: Old(), package="old-pkg"))
    clean_registry.append(p)
    registry.register_plugin(p, name="old")
    with pytest.raises(PluginLoadError) as info:
        xgrad.zeros(2, device="oldcontract")
    msg = str(info.value)
    assert f"version {CONTRACT_VERSION + 1}" in msg and f"version {CONTRACT_VERSION}" in msg
    assert "old-pkg" in msg


def test_version1_backend_still_loads_with_a_deprecation_warning(clean_registry):
    """A backend written for contract v1 implements every primitive and a synchronize()
    without arguments: it keeps working, with a DeprecationWarning naming the fix."""
    from xgrad.backend import wait_for

    class V1(NumpyBackend):
        name = device = "v1backend"
        contract_version = 1
        synced = 0

        def synchronize(self):
            V1.synced += 1

    p = _plugin(BackendSpec("v1backend", lambda i: V1(), package="v1-pkg"))
    clean_registry.append(p)
    registry.register_plugin(p, name="v1")
    with pytest.warns(DeprecationWarning, match=r"v1-pkg declares backend contract version 1"
                      r".*set contract_version = 2"):
        be = registry.get_backend("v1backend")
    x = xgrad.ones(3, device="v1backend", requires_grad=True)
    (x * 2 - 1).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]
    wait_for(be, x._data)
    assert V1.synced == 1


def test_missing_primitive_is_reported_by_name(clean_registry):
    class Partial(Backend):
        name = device = "partial"

    for prim in REQUIRED_PRIMITIVES:
        if prim not in ("exp", "matmul"):
            setattr(Partial, prim, getattr(NumpyBackend, prim))
    p = _plugin(BackendSpec("partial", lambda i: Partial(), package="partial-pkg"))
    clean_registry.append(p)
    registry.register_plugin(p, name="partial")
    with pytest.raises(PluginLoadError) as info:
        registry.get_backend("partial")
    msg = str(info.value)
    assert "exp" in msg and "matmul" in msg and "partial-pkg" in msg
    assert "add" not in msg.split("primitives:")[-1]


def test_factory_returning_non_backend_is_refused(clean_registry):
    p = _plugin(BackendSpec("notabackend", lambda i: object(), package="junk"))
    clean_registry.append(p)
    registry.register_plugin(p, name="junk")
    with pytest.raises(PluginLoadError, match="Backend"):
        registry.get_backend("notabackend")


def test_registered_third_party_backend_is_usable(clean_registry):
    class Mine(NumpyBackend):
        name = device = "mine"

    p = _plugin(BackendSpec("mine", lambda i: Mine(), aliases=("mn",), package="mine-pkg"))
    clean_registry.append(p)
    registry.register_plugin(p, name="mine")
    x = xgrad.ones(2, device="mn", requires_grad=True)
    assert x.device == "mine"
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    assert xgrad.backends.available()["mine"]["available"]


def test_describe_lists_primitives_and_fused_ops():
    info = xgrad.backends.describe("numpy")
    assert info["name"] == "numpy" and info["contract_version"] == CONTRACT_VERSION
    assert set(info["primitives"]) == set(PRIMITIVES)  # numpy implements the optional ones
    assert info["missing_primitives"] == [] and info["derived_primitives"] == []
    assert "log_softmax" in info["fused_ops"]
    assert "float64" in info["dtypes"]
    ref = xgrad.backends.describe("reference")
    assert set(ref["primitives"]) == set(PRIMITIVES)
    assert set(ref["fused_ops"]) | set(ref["fused_ops_missing"]) == \
        set(info["fused_ops"]) | set(info["fused_ops_missing"])


def test_available_reports_cupy_reason():
    status = xgrad.backends.available()
    assert status["numpy"]["available"] and status["reference"]["available"]
    assert "cpu" in status["numpy"]["aliases"]
    if not status["cupy"]["available"]:
        assert status["cupy"]["reason"]


_FAKE_EP = """
import importlib.metadata as md
import json, sys, warnings
class EP:
    def __init__(self, name, value):
        self.name, self.value, self.dist = name, value, None
    def load(self):
        mod, _, attr = self.value.partition(":")
        m = __import__(mod)
        return getattr(m, attr) if attr else m
def entry_points(group=None, **kw):
    assert group == "xgrad"
    return [EP("brokenplugin", "no_such_module_xyz:plugin")]
import xgrad.registry as r
r.metadata.entry_points = entry_points
"""


def test_failing_plugin_warns_and_is_listed():
    res = _run(_FAKE_EP + """
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    import xgrad
    failed = xgrad.backends.failed()
print(json.dumps({"failed": failed, "warnings": [str(x.message) for x in w]}))
""")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert "brokenplugin" in out["failed"]
    assert "no_such_module_xyz" in out["failed"]["brokenplugin"]
    assert any("brokenplugin" in m and "XGRAD_PLUGINS_STRICT" in m for m in out["warnings"])


def test_strict_mode_makes_failing_plugin_an_error():
    res = _run(_FAKE_EP + """
import xgrad
xgrad.zeros(1)
""", XGRAD_PLUGINS_STRICT="1")
    assert res.returncode != 0
    assert "PluginLoadError" in res.stderr and "brokenplugin" in res.stderr


def test_autoload_off_skips_entry_points():
    res = _run(_FAKE_EP + """
import xgrad
print(json.dumps({"failed": xgrad.backends.failed(), "n": xgrad.zeros(2).numel()}))
""", XGRAD_PLUGIN_AUTOLOAD="0", XGRAD_PLUGINS_STRICT="1")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout.strip().splitlines()[-1]) == {"failed": {}, "n": 2}


def test_import_xgrad_imports_no_cupy():
    res = subprocess.run([sys.executable, "-X", "importtime", "-c",
                          "import xgrad; import xgrad.nn; x = xgrad.ones(2) * 2"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    modules = [line.split("|")[-1].strip() for line in res.stderr.splitlines() if "|" in line]
    assert "xgrad" in modules
    assert not [m for m in modules if m.split(".")[0] == "cupy"]


def test_isolated_undoes_registrations_instances_and_fallbacks():
    reg = registry.REGISTRY
    numpy_be = registry.get_backend("numpy")
    before = registry.available().keys()
    counts = registry.fallback_counts()

    class Spy(NumpyBackend):
        name = device = "spy"

    plugin = _plugin(BackendSpec("spy", lambda i: Spy(), aliases=("spy2",)))
    with reg.isolated():
        registry.register_plugin(plugin)
        assert registry.get_backend("spy2").name == "spy"
        reg.instances.clear()
        assert registry.get_backend("numpy") is not numpy_be
        registry.count_fallback("softmax", numpy_be)
        reg.failed["x"] = "boom"
    assert registry.available().keys() == before
    assert registry.get_backend("numpy") is numpy_be
    assert registry.fallback_counts() == counts
    assert "x" not in registry.failed()
    assert registry.plugin_manager().is_registered(plugin) is False
    with pytest.raises(RuntimeError, match="unknown device 'spy2'"):
        registry.get_backend("spy2")


def test_restore_brings_back_an_unregistered_plugin():
    reg = registry.REGISTRY
    plugin = _plugin(BackendSpec("spy3", lambda i: NumpyBackend()))
    with reg.isolated():
        registry.register_plugin(plugin, name="spy3-plugin")
        state = reg.snapshot()
        registry.unregister_plugin(plugin)
        reg.restore(state)
        assert registry.plugin_manager().get_plugin("spy3-plugin") is plugin
    assert registry.plugin_manager().get_plugin("spy3-plugin") is None


def test_module_tables_are_the_registry_tables():
    reg = registry.REGISTRY
    assert registry._specs is reg.specs and registry._instances is reg.instances
    registry.get_backend("numpy")
    with reg.isolated():
        reg.instances.clear()
    assert registry._instances is reg.instances and "numpy" in reg.instances
