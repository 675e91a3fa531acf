"""The op table is the one source of the Tensor methods, in-place forms, operators,
``xgrad.*`` functions, their docstrings and the API reference."""
from __future__ import annotations

from pathlib import Path

import xgrad
from xgrad.backend import FUSED_OPS, LINALG_OPS, PRIMITIVES
from xgrad.ops import table

ROOT = Path(__file__).resolve().parents[2]


def test_names_are_unique() -> None:
    seen: dict[str, str] = {}
    for op in table.OPS:
        for name, _ in table.exposure(op):
            assert name not in seen, f"{name} is exposed by both {seen[name]} and {op.name}"
            seen[name] = op.name


def test_tensor_and_namespace_are_generated_from_the_table() -> None:
    for op in table.OPS:
        for name, fn in table.exposure(op):
            if name.startswith("xgrad."):
                assert getattr(xgrad, name[6:]) is fn, name
            else:
                assert getattr(xgrad.Tensor, name) is fn, name


def test_every_public_function_and_tensor_attribute_has_a_docstring() -> None:
    missing = [f"xgrad.{n}" for n, obj in vars(xgrad).items()
               if not n.startswith("_") and callable(obj) and not (obj.__doc__ or "").strip()]
    for n in dir(xgrad.Tensor):
        if n.startswith("_"):
            continue
        attr = getattr(xgrad.Tensor, n)
        if (isinstance(attr, property) or callable(attr)) and not (attr.__doc__ or "").strip():
            missing.append(f"Tensor.{n}")
    for op in table.OPS:
        if not op.docstring:
            missing.append(f"op table row {op.name}")
    assert missing == []


def test_in_place_forms_modify_the_tensor_and_bump_its_version() -> None:
    for op in table.OPS:
        if not op.inplace or op.section not in ("math", "arithmetic"):
            continue
        x = xgrad.tensor({"acosh": [1.25, 1.5, 2.0], "atanh": [0.25, 0.5, 0.75],
                          "erfinv": [0.25, 0.5, 0.75], "logit": [0.25, 0.5, 0.75]}.get(
            op.name, [0.25, 0.5, 2.0]))
        other = xgrad.tensor([0.5, 1.5, 2.5])
        args = {"clamp": (0.3, 1.0), "clamp_min": (0.3,), "clamp_max": (1.0,),
                "lerp": (other, 0.3), "addcmul": (other, other), "addcdiv": (other, other)}.get(
            op.name, (other,) if op.name in (
                "add", "sub", "mul", "div", "pow", "maximum", "minimum", "floor_divide",
                "remainder", "xlogy", "hypot") else ())
        expected = (op.method_impl or op.impl)(x.clone(), *args)
        v0 = x._version
        out = getattr(x, op.name + "_")(*args)
        assert out is x, op.name
        assert x._version > v0, op.name
        assert xgrad.equal(x, expected), op.name


def test_primitives_named_by_rows_are_in_the_backend_contract() -> None:
    known = set(PRIMITIVES) | set(FUSED_OPS) | set(LINALG_OPS)
    bad = {op.name: op.primitive for op in table.OPS if op.primitive and op.primitive not in known}
    assert bad == {}


def test_api_reference_is_current() -> None:
    doc = (ROOT / "docs" / "api.md").read_text()
    assert doc == table.api_markdown() + "\n", (
        "docs/api.md is stale: run `python scripts/gen_api_docs.py`")
    for op in table.OPS:
        assert f"| {op.name} |" in doc
