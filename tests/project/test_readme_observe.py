"""The README's "Observe and deploy" section runs as written, its blocks in order, in one
namespace, with the runner of the docs-snippet test. Its TensorBoard and ONNX blocks carry
``<!-- no-test -->`` for the generic runner (they need extras); here they run when the extras
are installed and the test skips, naming them, when not."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEADING = "## Observe and deploy"


def _snippets_module():
    spec = importlib.util.spec_from_file_location("docs_snippets", Path(__file__).with_name(
        "test_docs_snippets.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _section_blocks() -> list[tuple[int, str | None, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(HEADING)
    end = text.find("\n## ", start + len(HEADING))
    before = text[:start].count("\n")
    section = text[start:end if end != -1 else len(text)]
    # every python block of the section, the no-test ones included
    section = section.replace("<!-- no-test -->\n", "\n")
    snippets = _snippets_module()
    return [(line + before, path, code) for line, path, code in snippets.python_blocks(section)]


def test_observe_section_runs(tmp_path):
    for extra, module in (("tensorboard", "tensorboard"), ("onnx", "onnx"), ("onnx", "onnxruntime")):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"the README's TensorBoard/ONNX blocks need the '{extra}' extra ({module} is "
                        "not installed)")
    blocks = _section_blocks()
    assert len(blocks) == 3
    result = _snippets_module().run_blocks(blocks, tmp_path)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert "Total params: 1,370" in result.stdout
    assert (tmp_path / "model.onnx").is_file()
    assert any((tmp_path / "runs" / "readme").glob("events.out.tfevents.*"))
