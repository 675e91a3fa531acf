"""The layers of DESIGN.md are real boundaries: no import circle anywhere in the package
(imports inside functions included), backends never import the frontend above the
contract, nn/optim use no underscore module of the frontend, and an import inside a function
needs a reason (an optional dependency, a plugin loaded on demand), not a circle to dodge.

The graph is read from the source with ``ast``; nothing is imported.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = {"core": "xgrad", "backends": "xgrad.backends", "plugins": "xgrad.plugins",
           "conformance": "xgrad.conformance"}

#: Imports inside functions that are allowed, with the reason (module -> imported module).
LAZY_OK = {
    ("xgrad.registry", "xgrad.backends._builtin"): "built-in backends register on first use",
    ("xgrad.backends._builtin", "xgrad.backends.cupy"): "importing xgrad must not import cupy",
    ("xgrad.backends._builtin", "xgrad.backends.cupy.status"): "cupy probed on demand",
    ("xgrad.backends._builtin", "xgrad.backends.numpy"): "backend factories are lazy",
    ("xgrad.backends._builtin", "xgrad.backends.reference"): "backend factories are lazy",
    ("xgrad.backends.cupy", "xgrad.backends.cupy.kernels"): "kernels compile on first use",
    ("xgrad", "xgrad.interop"): "DLPack import on demand",
    ("xgrad", "xgrad.serialization"): "safetensors loads on first save/load",
    ("xgrad.autograd", "xgrad.plugins.anomaly"): "the anomaly plugin loads when turned on",
}
#: Packages whose function-level imports are not checked: they sit on top of everything
#: and load their parts on demand so that importing them stays cheap.
LAZY_FREE = ("xgrad.conformance", "xgrad.plugins")
#: What a backend may import from the frontend: the contract and what it is made of.
BACKEND_MAY_IMPORT = {"xgrad.backend", "xgrad.dtypes", "xgrad.registry", "xgrad.hookspecs",
                      "xgrad.philox"}


def _modules() -> dict[str, Path]:
    mods = {}
    for folder, pkg in FOLDERS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT / folder).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts.pop()
            mods[".".join([pkg, *parts])] = path
    return mods


MODULES = _modules()


def _known(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(mod: str, path: Path) -> list[tuple[str, str, bool, int]]:
    """``(imported module, imported name or '', inside a function, line)`` for each import."""
    is_pkg = path.name == "__init__.py"
    out = []

    def visit(node: ast.AST, in_fn: bool) -> None:
        for child in ast.iter_child_nodes(node):
            fn = in_fn or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.If) and getattr(child.test, "id", "") == "TYPE_CHECKING":
                continue
            if isinstance(child, ast.Import):
                out.extend((a.name, "", in_fn, child.lineno) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = mod.split(".") if is_pkg else mod.split(".")[:-1]
                    base = base[:len(base) - child.level + 1]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                for a in child.names:
                    sub = f"{target}.{a.name}"
                    if sub in MODULES:
                        out.append((sub, "", in_fn, child.lineno))
                    else:
                        out.append((target, a.name, in_fn, child.lineno))
            visit(child, fn)

    visit(ast.parse(path.read_text()), False)
    return [(t, n, f, ln) for t, n, f, ln in out if t.split(".")[0] == "xgrad"]


EDGES = {m: _imports(m, p) for m, p in MODULES.items()}


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for mod, imps in EDGES.items():
        for target, _, _, _ in imps:
            known = _known(target)
            if known and known != mod:
                graph[mod].add(known)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def test_the_graph_sees_the_package() -> None:
    assert {"xgrad.tensor", "xgrad.ops.table", "xgrad.nn.module", "xgrad.backends.numpy",
            "xgrad.conformance.cli", "xgrad.plugins.profiler"} <= set(MODULES)
    assert "xgrad.tensor" in _graph()["xgrad.creation"]


def test_no_import_cycle() -> None:
    graph = _graph()
    cycles = _cycles(graph)
    detail = ["  " + " -> ".join(sorted(graph[m] & set(c))) + f"  (from {m})"
              for c in cycles for m in c]
    assert cycles == [], "import cycles:\n" + "\n".join(detail)


def test_a_planted_cycle_is_found() -> None:
    graph = {m: set(e) for m, e in _graph().items()}
    graph["xgrad.shapes"].add("xgrad.ops.table")
    assert any("xgrad.shapes" in c and "xgrad.ops.table" in c for c in _cycles(graph))


def test_backends_import_only_the_contract() -> None:
    bad = [f"{m}:{ln} imports {t}" for m, imps in EDGES.items() if m.startswith("xgrad.backends")
           for t, _, _, ln in imps
           if not t.startswith("xgrad.backends") and _known(t) not in BACKEND_MAY_IMPORT]
    assert bad == []


@pytest.mark.parametrize("layer", ["xgrad.nn", "xgrad.optim", "xgrad.utils"])
def test_upper_layers_use_no_private_module_or_name(layer: str) -> None:
    bad = []
    for mod, imps in EDGES.items():
        if not (mod == layer or mod.startswith(layer + ".")):
            continue
        for target, name, _, ln in imps:
            if target == layer or target.startswith(layer + "."):
                continue
            private = any(p.startswith("_") for p in target.split(".")) or name.startswith("_")
            if private:
                bad.append(f"{mod}:{ln} imports {target}{'.' + name if name else ''}")
    assert bad == []


def test_imports_inside_functions_have_a_reason() -> None:
    bad = []
    for mod, imps in EDGES.items():
        if mod.startswith(LAZY_FREE):
            continue
        for target, _, in_fn, ln in imps:
            known = _known(target)
            if in_fn and known != mod and (mod, known) not in LAZY_OK:
                bad.append(f"{mod}:{ln} imports {target} inside a function")
    assert bad == [], "\n".join(bad)
