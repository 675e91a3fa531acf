"""The Python code blocks of the README and the docs run as written.

Conventions in the Markdown files:

* Every fenced block tagged ``python`` runs. The blocks of one file run in order in one
  namespace, like cells of a notebook, so a later block may use names an earlier one
  defined. Each file runs in a fresh subprocess whose working directory is a temporary
  folder (files the snippets write land there).
* A block whose first line is a comment naming a ``.py`` file (``# xgrad_opcount.py``) is
  also written to that path, so later blocks can import it.
* ``<!-- no-test -->`` on the line before a block skips it (blocks that need a GPU, the
  network, a third-party package installed, or files a shell command produced).
* ``<!-- write: PATH -->`` before a block marks a walkthrough file: the page runs as a
  whole, commands included, under ``scripts/run_walkthrough.py`` (in CI), not here.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted(
    [
        ROOT / "README.md",
        ROOT / "conformance" / "README.md",
        ROOT / "benchmarks" / "README.md",
        ROOT / "examples" / "xgrad_arrayapi" / "README.md",
        *(ROOT / "docs").glob("*.md"),
    ]
)
SKIP_MARK = "<!-- no-test -->"
#: blocks a walkthrough page writes to files; scripts/run_walkthrough.py runs those pages
WALKTHROUGH_MARK = "<!-- write:"
_FENCE = re.compile(r"^```(\S*)\s*$")
_FILE_COMMENT = re.compile(r"^#\s*([\w./-]+\.py)\s*$")

# Runs in the subprocess: reads [(line, code), ...] from stdin, executes them in order.
_RUNNER = r"""
import json, os, sys, traceback
sys.path.insert(0, os.getcwd())
blocks = json.load(sys.stdin)
ns = {"__name__": "__main__"}
for line, path, code in blocks:
    if path:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "w") as f:
            f.write(code)
    try:
        exec(compile(code, f"<block at line {line}>", "exec"), ns)
    except BaseException:
        traceback.print_exc()
        print(f"DOCS-SNIPPET-FAILED at line {line}", file=sys.stderr)
        sys.exit(1)
"""


def python_blocks(text: str) -> list[tuple[int, str | None, str]]:
    """The runnable ``python`` blocks of a Markdown text: (first line number, file, code)."""
    lines = text.splitlines()
    blocks: list[tuple[int, str | None, str]] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        lang, start = m.group(1), i + 1
        end = start
        while end < len(lines) and not lines[end].startswith("```"):
            end += 1
        prev = next((ln.strip() for ln in reversed(lines[:i]) if ln.strip()), "")
        if lang == "python" and prev != SKIP_MARK and not prev.startswith(WALKTHROUGH_MARK):
            code = "\n".join(lines[start:end]) + "\n"
            first = lines[start] if start < end else ""
            fm = _FILE_COMMENT.match(first)
            blocks.append((start + 1, fm.group(1) if fm else None, code))
        i = end + 1
    return blocks


def run_blocks(blocks: list[tuple[int, str | None, str]], cwd: Path) -> subprocess.CompletedProcess:
    """Execute the blocks in order in a fresh interpreter with cwd as working directory."""
    env = dict(os.environ, XGRAD_DEVICE="numpy", PYTHONHASHSEED="0")
    env.pop("XGRAD_PLUGINS_STRICT", None)
    return subprocess.run(
        [sys.executable, "-c", _RUNNER],
        input=json.dumps(blocks),
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


# Known doc bugs awaiting a fix in a file this test does not own; strict, so the mark has
# to go when the doc is fixed.
KNOWN_BROKEN: dict[str, str] = {}


def _param(doc: Path):
    rel = str(doc.relative_to(ROOT))
    marks = [pytest.mark.xfail(reason=KNOWN_BROKEN[rel], strict=True)] if rel in KNOWN_BROKEN else []
    return pytest.param(doc, id=rel, marks=marks)


@pytest.mark.parametrize("doc", [_param(d) for d in DOCS])
def test_python_blocks_of_doc_run(doc: Path, tmp_path: Path) -> None:
    blocks = python_blocks(doc.read_text(encoding="utf-8"))
    if not blocks:
        pytest.skip(f"{doc.relative_to(ROOT)} has no runnable python block")
    result = run_blocks(blocks, tmp_path)
    assert result.returncode == 0, (
        f"a python block of {doc.relative_to(ROOT)} failed:\n{result.stdout}\n{result.stderr}"
    )


def test_readme_and_guides_have_runnable_blocks() -> None:
    """The extractor finds the blocks the docs are known to hold (guards the test above)."""
    readme = python_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert any("class SimpleNet(nn.Module)" in code for _, _, code in readme)
    plugin = python_blocks((ROOT / "docs" / "writing-a-plugin.md").read_text(encoding="utf-8"))
    assert [path for _, path, _ in plugin][0] == "xgrad_opcount.py"


def test_extractor_honours_the_skip_marker_and_file_comments() -> None:
    text = (
        "```python\nx = 1\n```\n\n"
        f"{SKIP_MARK}\n```python\nimport cupy\n```\n"
        "```bash\nls\n```\n"
        "```python\n# pkg/mod.py\nY = 2\n```\n"
    )
    assert python_blocks(text) == [(2, None, "x = 1\n"), (13, "pkg/mod.py", "# pkg/mod.py\nY = 2\n")]


def test_a_failing_block_fails_and_blocks_share_a_namespace(tmp_path: Path) -> None:
    ok = run_blocks([(1, "helper_mod.py", "# helper_mod.py\nV = 3\n"),
                     (5, None, "import helper_mod\nw = helper_mod.V\n"),
                     (9, None, "assert w == 3\n")], tmp_path)
    assert ok.returncode == 0, ok.stderr
    bad = run_blocks([(1, None, "w = 1\n"), (4, None, "assert w == 2\n")], tmp_path)
    assert bad.returncode == 1
    assert "DOCS-SNIPPET-FAILED at line 4" in bad.stderr
