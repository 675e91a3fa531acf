"""Running the conformance suite in a subprocess with test-only backends registered by a
plugin module (shared by the suite's self-tests)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def suite_env(plugin_dir: Path) -> dict:
    """The environment for a subprocess that can import the plugin modules in ``plugin_dir``
    and runs pytest without this session's xdist or addopts."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(plugin_dir), env.get("PYTHONPATH", "")])
    env.pop("PYTEST_ADDOPTS", None)
    env.pop("PYTEST_XDIST_WORKER", None)
    return env


def run_suite(plugin: str, plugin_dir: Path, out: Path, *args: str) -> tuple[int, dict, str]:
    """``pytest --pyargs xgrad.conformance`` with ``-p plugin``; returns the exit code, the
    JSON report and stdout."""
    report = out / "conformance.json"
    cmd = [sys.executable, "-m", "pytest", "-p", plugin, "--pyargs", "xgrad.conformance",
           "-p", "no:cacheprovider", "-q", "--tb=short", "--xgrad-report", str(report), *args]
    proc = subprocess.run(cmd, cwd=out, env=suite_env(plugin_dir), capture_output=True,
                          text=True, timeout=300)
    assert report.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.returncode, json.loads(report.read_text()), proc.stdout


def outcomes(report: dict) -> dict[str, str]:
    """``{test id: outcome}`` from a JSON report."""
    return {r["id"]: r["outcome"] for r in report["results"]}
