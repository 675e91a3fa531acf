"""xgrad.nn and xgrad.optim are built only on the public Tensor API (DESIGN.md, "Layers"):
parsed with ``ast``, no module under core/nn or core/optim imports an underscore module or
name from the rest of the frontend, reads an underscore attribute of such an import, or
touches a private field of Tensor (``._data``, ``._node``, ...)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
import xgrad

CORE = Path(xgrad.__file__).resolve().parent
INSIDE = ("xgrad.nn", "xgrad.optim")
#: Underscore names of Tensor that are PyTorch's public-by-convention API.
ALLOWED = {"_make_subclass"}
#: Public names that are still frontend plumbing: raw-array wrapping, kernel dispatch and the
#: backend registry's bookkeeping (nn/optim reach backends only through Tensor ops).
PLUMBING_MODULES = ("xgrad.dispatch", "xgrad.registry", "xgrad.backend", "xgrad.backends")
PLUMBING_NAMES = {("xgrad.tensor", "wrap"), ("xgrad.tensor", "from_data")}


def _tensor_private_fields() -> set[str]:
    slots = set(xgrad.Tensor.__slots__)
    names = {n for n in slots | set(vars(xgrad.Tensor))
             if n.startswith("_") and not n.startswith("__")}
    return {n for n in names if n in slots or not callable(getattr(xgrad.Tensor, n))} - ALLOWED


PRIVATE = _tensor_private_fields()


def _modules() -> list[tuple[str, Path]]:
    out = []
    for pkg in ("nn", "optim"):
        for path in sorted((CORE / pkg).rglob("*.py")):
            rel = path.relative_to(CORE).with_suffix("")
            parts = ["xgrad", *rel.parts]
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out.append((".".join(parts), path))
    return out


def _resolve(module: str, node: ast.ImportFrom, is_pkg: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_pkg:
        base = base[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _inside(name: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in INSIDE)


def _private(dotted: str) -> bool:
    return any(part.startswith("_") and part != "__future__" for part in dotted.split("."))


def violations(module: str, source: str, is_pkg: bool = False) -> list[str]:
    """Every use of the frontend's internals in ``source`` (the text of module ``module``)."""
    tree = ast.parse(source)
    found = []
    outside_names: set[str] = set()  # names bound to something imported from outside nn/optim
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("xgrad") and not _inside(alias.name):
                    if _private(alias.name) or alias.name.startswith(PLUMBING_MODULES):
                        found.append(f"line {node.lineno}: import {alias.name}")
                    outside_names.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, node, is_pkg)
            if not target.startswith("xgrad") or _inside(target):
                continue
            if _private(target) or target.startswith(PLUMBING_MODULES):
                found.append(f"line {node.lineno}: from {target} import ...")
            for alias in node.names:
                if (alias.name.startswith("_") and alias.name not in ALLOWED) \
                        or (target, alias.name) in PLUMBING_NAMES \
                        or f"{target}.{alias.name}".startswith(PLUMBING_MODULES):
                    found.append(f"line {node.lineno}: from {target} import {alias.name}")
                outside_names.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        attr = node.attr
        if attr in PRIVATE:
            found.append(f"line {node.lineno}: Tensor private field .{attr}")
        elif (attr.startswith("_") and not attr.startswith("__") and attr not in ALLOWED
              and isinstance(node.value, ast.Name) and node.value.id in outside_names):
            found.append(f"line {node.lineno}: {node.value.id}.{attr}")
    return found


def test_the_private_fields_are_found():
    assert {"_data", "_backend", "_node", "_rg", "_version", "_oidx"} <= PRIVATE


@pytest.mark.parametrize("module,path", _modules(), ids=[m for m, _ in _modules()])
def test_module_uses_only_the_public_frontend(module, path):
    bad = violations(module, path.read_text(), path.name == "__init__.py")
    assert not bad, f"{module} reaches into frontend internals:\n  " + "\n  ".join(bad)


@pytest.mark.parametrize("source", [
    "from ..tensor import wrap, _new",
    "from ..tensor import wrap",
    "from ..dispatch import call_kernel",
    "from .. import registry",
    "import xgrad.dispatch",
    "from ..ops._private import x",
    "import xgrad._internal",
    "from ..registry import count_fallback\nfrom .. import dispatch\ndispatch._hidden()",
    "def f(t):\n    return t._data",
    "def f(t):\n    t._version += 1",
    "from ..ops import fused as F\nF._float(1)",
])
def test_the_checker_catches_internals(source):
    assert violations("xgrad.nn.example", source)


@pytest.mark.parametrize("source", [
    "from ..tensor import Tensor\nx = Tensor._make_subclass(Tensor, t)",
    "from . import functional as F\nF._legacy_reduction(None, None, 'mean')",
    "from .module import _addindent",
    "from ..optim._util import check_range",  # inside nn/optim
    "from __future__ import annotations",
    "class M:\n    def f(self):\n        return self._parameters",
])
def test_the_checker_allows_the_public_api(source):
    assert violations("xgrad.nn.example", source) == []
