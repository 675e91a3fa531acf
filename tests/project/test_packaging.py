"""The wheel maps the brief's folders onto one import package, ``xgrad``."""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_directory_is_listed_in_pyproject() -> None:
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(cfg["packages"])
    mapping = cfg["package-dir"]
    found = set()
    for pkg, folder in mapping.items():
        base = ROOT / folder
        for init in base.rglob("__init__.py"):
            rel = init.parent.relative_to(base)
            name = ".".join((pkg, *rel.parts)) if rel.parts else pkg
            # sub-folders mapped on their own (backends under core? no) are skipped by parents
            if any(name.startswith(other + ".") or name == other for other in mapping
                   if other != pkg and other.startswith(pkg + ".")):
                continue
            found.add(name)
    assert found == listed, f"unlisted: {sorted(found - listed)}, missing: {sorted(listed - found)}"


@pytest.mark.slow
def test_wheel_has_only_the_xgrad_package(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=600)
    if out.returncode != 0 and "No matching distribution found for setuptools" in out.stderr:
        pytest.skip("no package index reachable to build the wheel")
    assert out.returncode == 0, out.stderr
    (wheel,) = tmp_path.glob("xgrad-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))}
    assert tops == {"xgrad"}, tops
    for expected in ("xgrad/__init__.py", "xgrad/backends/numpy/__init__.py",
                     "xgrad/backends/reference/__init__.py", "xgrad/plugins/__init__.py",
                     "xgrad/conformance/__init__.py", "xgrad/nn/__init__.py"):
        assert expected in names, f"{expected} missing from the wheel"
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "xgrad-conformance = xgrad.conformance.cli:main" in text
    assert "[pytest11]" in text
