"""Every way a third-party plugin can fail ends in ``xgrad.backends.failed()`` with the
plugin's distribution name and error; ``import xgrad``, the built-in backends and the first
op of an unrelated backend keep working; ``XGRAD_PLUGINS_STRICT=1`` raises at load, naming
the plugin, and leaves the built-ins usable.

Each fault is a real installed distribution (a module plus a ``.dist-info`` folder with an
``entry_points.txt``, found by ``importlib.metadata`` on ``PYTHONPATH``), loaded by a fresh
interpreter.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

_HEADER = "from xgrad.backend import BackendSpec\nfrom xgrad.backends.numpy import NumpyBackend\n" \
          "import xgrad\n"

#: fault -> plugin module source (module ``xgfault_<fault>``, distribution ``xgfault-<fault>``)
PLUGINS = {
    "import_error": "raise ImportError('needs libfoo 2.0')\n",
    "exits": "import sys\nsys.exit(3)\n",
    "hook_raises": _HEADER + textwrap.dedent("""
        class Plugin:
            @xgrad.hookimpl
            def xgrad_register_backends(self):
                raise RuntimeError('cannot find the device driver')
        plugin = Plugin()
        """),
    "duplicate_name": _HEADER + textwrap.dedent("""
        class Plugin:
            @xgrad.hookimpl
            def xgrad_register_backends(self):
                return [BackendSpec('numpy', lambda i: NumpyBackend())]
        plugin = Plugin()
        """),
    "duplicate_alias": _HEADER + textwrap.dedent("""
        class Plugin:
            @xgrad.hookimpl
            def xgrad_register_backends(self):
                return [BackendSpec('mine', lambda i: NumpyBackend(), aliases=('cpu',))]
        plugin = Plugin()
        """),
    "missing_primitive": _HEADER + textwrap.dedent("""
        from xgrad.backend import Backend, CONTRACT_VERSION
        class Half(Backend):
            name = device = 'half'
            contract_version = CONTRACT_VERSION
            def exp(self, x):
                return x
        class Plugin:
            @xgrad.hookimpl
            def xgrad_register_backends(self):
                return [BackendSpec('half', lambda i: Half())]
        plugin = Plugin()
        """),
    "hangs": "import time\ntime.sleep(600)\n",
    "prints": _HEADER + textwrap.dedent("""
        print('hello from the plugin')
        class Plugin:
            @xgrad.hookimpl
            def xgrad_register_backends(self):
                return []
        plugin = Plugin()
        """),
}


def _install(site: Path, fault: str) -> None:
    mod = f"xgfault_{fault}"
    (site / f"{mod}.py").write_text(PLUGINS[fault])
    info = site / f"xgfault_{fault}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: xgfault-{fault}\nVersion: 1.0\n")
    attr = "" if fault in ("import_error", "exits", "hangs") else ":plugin"
    (info / "entry_points.txt").write_text(f"[xgrad]\n{fault} = {mod}{attr}\n")


_PROBE = """
import json, warnings
warnings.simplefilter("ignore")
import xgrad
out = {}
try:
    out["first_op"] = xgrad.ones(3, device="numpy").sum().item()
except Exception as exc:
    out["first_op_error"] = f"{type(exc).__name__}: {exc}"
out["second_op"] = (xgrad.ones(2) * 2).tolist()
out["failed"] = xgrad.backends.failed()
out["available"] = {k: [v["available"], v["reason"]] for k, v in xgrad.backends.available().items()}
print("RESULT " + json.dumps(out))
"""


def _run(tmp_path: Path, fault: str, **env: str) -> tuple[dict, subprocess.CompletedProcess]:
    site = tmp_path / "site"
    site.mkdir()
    _install(site, fault)
    full = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
                XGRAD_PLUGIN_TIMEOUT="2", **env)
    full.pop("XGRAD_PLUGINS_STRICT", None) if "XGRAD_PLUGINS_STRICT" not in env else None
    proc = subprocess.run([sys.executable, "-c", _PROBE], env=full, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT "))
    return json.loads(line[len("RESULT "):]), proc


@pytest.mark.parametrize("fault, words", [
    ("import_error", ["xgfault-import_error 1.0", "ImportError", "needs libfoo 2.0"]),
    ("exits", ["xgfault-exits 1.0", "SystemExit"]),
    ("hook_raises", ["xgfault-hook_raises", "xgrad_register_backends", "cannot find the device driver"]),
    ("hangs", ["xgfault-hangs 1.0", "did not finish within 2 s"]),
])
def test_failing_plugin_is_listed_and_the_builtins_work(tmp_path, fault, words):
    out, _ = _run(tmp_path, fault)
    assert out["first_op"] == 3.0 and out["second_op"] == [2.0, 2.0]
    msg = out["failed"][fault]
    for w in words:
        assert w in msg, msg
    assert out["available"]["numpy"][0] and out["available"]["reference"][0]


@pytest.mark.parametrize("fault, key", [("duplicate_name", "'numpy'"), ("duplicate_alias", "'cpu'")])
def test_duplicate_name_names_both_distributions(tmp_path, fault, key):
    out, _ = _run(tmp_path, fault)
    assert out["first_op"] == 3.0
    msg = out["failed"][fault]
    assert key in msg and "xgrad" in msg and f"xgfault-{fault}" in msg, msg
    assert "mine" not in out["available"]  # none of the plugin's backends is half-added


def test_backend_missing_primitives_is_reported_unavailable(tmp_path):
    out, _ = _run(tmp_path, "missing_primitive")
    ok, reason = out["available"]["half"]
    assert ok is False and "does not implement the required primitives" in reason
    assert "add" in reason and "matmul" in reason and out["first_op"] == 3.0


def test_plugin_prints_stay_off_stdout(tmp_path):
    out, proc = _run(tmp_path, "prints")
    assert "hello from the plugin" not in proc.stdout
    assert "[xgrad plugin prints] hello from the plugin" in proc.stderr
    assert out["failed"] == {}


def test_strict_raises_at_load_naming_the_plugin_and_keeps_the_builtins(tmp_path):
    out, _ = _run(tmp_path, "hook_raises", XGRAD_PLUGINS_STRICT="1")
    err = out["first_op_error"]
    assert err.startswith("PluginLoadError") and "xgfault-hook_raises" in err
    assert "XGRAD_PLUGINS_STRICT=1" in err
    assert out["second_op"] == [2.0, 2.0] and out["available"]["numpy"][0]


def test_import_xgrad_never_raises_even_in_strict_mode(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    _install(site, "import_error")
    env = dict(os.environ, PYTHONPATH=str(site), XGRAD_PLUGINS_STRICT="1")
    proc = subprocess.run([sys.executable, "-c", "import xgrad, xgrad.nn, xgrad.optim; print('ok')"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr
