"""Third-party instrumentation plugins: the documented example works, entry points are found."""
from __future__ import annotations

import importlib
import re
import sys
import types
from pathlib import Path

import pytest
import xgrad
from xgrad import registry
from xgrad.dispatch import Dispatch
from xgrad.ops.fused import decomposed_only

DOC = Path(__file__).resolve().parents[2] / "docs" / "writing-a-plugin.md"


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", DOC.read_text(), flags=re.S)


def _plugin_source() -> str:
    src = _blocks("python")[0]
    assert src.startswith("# xgrad_opcount.py")
    assert len(src.strip().splitlines()) <= 25  # the doc promises a ~20-line plugin
    return src


def _module(name: str, src: str) -> types.ModuleType:
    mod = types.ModuleType(name)
    exec(compile(src, f"<{name}>", "exec"), mod.__dict__)
    return mod


def test_documented_plugin_counts_ops(monkeypatch, capsys):
    mod = _module("xgrad_opcount", _plugin_source())
    monkeypatch.setitem(sys.modules, "xgrad_opcount", mod)
    counter = mod.counter
    # the documented run-time registration snippet, as written
    exec(compile(_blocks("python")[1], "<doc snippet>", "exec"), {})
    assert capsys.readouterr().out.split() == ["1", "2"]
    assert Dispatch.active is False
    assert counter.counts[("mul", "forward", "numpy")] == 2  # x * 2 and g * 2 in MulBackward0
    assert counter.counts[("sum", "forward", "numpy")] == 1
    assert counter.counts[("MulBackward0", "backward", "numpy")] == 0  # keyed by op name
    assert counter.counts[("mul", "backward", "numpy")] == 1
    assert counter.counts[("sum", "backward", "numpy")] == 1
    n = sum(counter.counts.values())
    xgrad.ones(2).exp()  # unregistered: nothing more is counted
    assert sum(counter.counts.values()) == n

    registry.register_plugin(counter)
    try:
        with decomposed_only():
            xgrad.log_softmax(xgrad.ones(2, 3), 1)
    finally:
        registry.unregister_plugin(counter)
    assert counter.counts[("log_softmax", "fallback", "numpy")] == 1
    assert counter.counts[("exp", "forward", "numpy")] == 1  # part of the decomposition


def test_entry_point_plugin_is_discovered(tmp_path, monkeypatch):
    toml = _blocks("toml")[0]
    group, entry = re.search(r"\[project\.entry-points\.(\w+)\]\n(\w+ = \"[\w:.]+\")", toml).groups()
    assert group == "xgrad"
    name, target = (s.strip().strip('"') for s in entry.split("="))
    module_name, attr = target.split(":")
    # an installed distribution, as pip would leave it: the module and its dist-info
    (tmp_path / f"{module_name}.py").write_text(_plugin_source())
    info = tmp_path / "xgrad_opcount-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: xgrad-opcount\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text(f"[{group}]\n{name} = {target}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()

    pm = registry.plugin_manager()
    assert pm.get_plugin(name) is None
    registry._load_entry_points(pm)  # what xgrad does when the registry is first used
    plugin = pm.get_plugin(name)
    try:
        assert plugin is getattr(sys.modules[module_name], attr)
        assert name not in registry.failed()
        assert Dispatch.active is True
        x = xgrad.ones(3, requires_grad=True)
        (x * 2).sum().backward()
        assert plugin.counts[("mul", "forward", "numpy")] == 2
        assert plugin.counts[("mul", "backward", "numpy")] == 1
    finally:
        if plugin is not None:
            registry.unregister_plugin(plugin)
        sys.modules.pop(module_name, None)
    assert Dispatch.active is False


def test_broken_entry_point_is_reported_not_fatal(tmp_path, monkeypatch):
    (tmp_path / "xgrad_broken_plugin.py").write_text("raise ImportError('missing dependency foo')\n")
    info = tmp_path / "xgrad_broken-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: xgrad-broken\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[xgrad]\nbroken_test = xgrad_broken_plugin\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    monkeypatch.delenv("XGRAD_PLUGINS_STRICT", raising=False)
    with pytest.warns(RuntimeWarning, match="missing dependency foo"):
        registry._load_entry_points(registry.plugin_manager())
    assert "missing dependency foo" in registry.failed()["broken_test"]
    assert registry.plugin_manager().get_plugin("broken_test") is None
    monkeypatch.delitem(registry._failed, "broken_test")
