"""docs/first-green-run.md: its backend is complete and right, and CI runs the page as written.

CI executes the whole page (``scripts/run_walkthrough.py``: pip install, the conformance
suite, training); these tests check the same backend in process, cheaply."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import xgrad
from xgrad.backend import BackendSpec, missing_primitives
from xgrad.registry import REGISTRY, register_plugin

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "first-green-run.md"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


RUNNER = _load("run_walkthrough", ROOT / "scripts" / "run_walkthrough.py")
STEPS = RUNNER.steps(PAGE.read_text())
FILES = {what: content for kind, what, content in STEPS if kind == "write"}
COMMANDS = [what for kind, what, _ in STEPS if kind == "run"]


def test_page_has_the_package_and_the_commands():
    assert {"xgrad-tiny/pyproject.toml", "xgrad-tiny/xgrad_tiny/backend.py",
            "xgrad-tiny/xgrad_tiny/plugin.py", "train_tiny.py"} <= set(FILES)
    assert "pip install ./xgrad-tiny" in COMMANDS
    assert any(c.startswith("xgrad-conformance tiny") and "--quick" not in c for c in COMMANDS)
    assert COMMANDS[-1] == "pip uninstall --yes xgrad-tiny"


def test_ci_runs_the_page():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "scripts/run_walkthrough.py docs/first-green-run.md" in ci


def test_line_count_in_the_page_is_current():
    n = len(FILES["xgrad-tiny/xgrad_tiny/backend.py"].splitlines())
    assert f"({n} lines)" in PAGE.read_text()
    for other in (ROOT / "README.md", ROOT / "docs" / "writing-a-backend.md"):
        assert f"{n} lines" in other.read_text(), f"{other.name} states another line count"
    assert n < 150


@pytest.fixture
def tiny(tmp_path):
    pkg = tmp_path / "xgrad_tiny"
    pkg.mkdir()
    for rel in ("backend.py", "plugin.py", "__init__.py"):
        (pkg / rel).write_text(FILES[f"xgrad-tiny/xgrad_tiny/{rel}"])
    sys.path.insert(0, str(tmp_path))
    try:
        import xgrad_tiny.plugin as plugin

        with REGISTRY.isolated():
            register_plugin(plugin, name="xgrad-tiny-test")
            yield "tiny"
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.startswith("xgrad_tiny")]:
            del sys.modules[name]


def test_backend_is_complete_and_v2(tiny):
    be = xgrad.empty(1, device=tiny)._backend
    assert missing_primitives(be) == []
    info = xgrad.backends.describe(tiny)
    assert info["contract_version"] == 2 and len(info["primitives"]) == 40
    assert isinstance(REGISTRY.specs["tiny"], BackendSpec)


def test_same_values_and_training_as_numpy(tiny):
    def run(dev):
        xgrad.manual_seed(3)
        x = xgrad.randn(64, 5, device=dev)
        y = xgrad.randint(0, 3, (64,), device=dev)
        model = xgrad.nn.Sequential(xgrad.nn.Linear(5, 8), xgrad.nn.GELU(),
                                    xgrad.nn.Linear(8, 3)).to(dev)
        opt = xgrad.optim.Adam(model.parameters(), lr=0.01)
        losses = []
        for _ in range(5):
            loss = xgrad.nn.functional.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        srt = x.sort(0, descending=True)
        return x.numpy(), losses, srt.values.numpy(), srt.indices.numpy()

    got, want = run(tiny), run("numpy")
    np.testing.assert_array_equal(got[0], want[0])  # the same random words on every backend
    np.testing.assert_allclose(got[1], want[1], rtol=1e-5)
    assert got[1][-1] < got[1][0]
    np.testing.assert_array_equal(got[2], want[2])
    np.testing.assert_array_equal(got[3], want[3])
