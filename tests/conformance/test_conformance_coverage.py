"""Every frontend op and every fused op has a conformance case; the case table is valid."""
from __future__ import annotations

import pytest
import xgrad
from xgrad.conformance import OpCase, T, all_cases
from xgrad.conformance.coverage import uncovered_fused, uncovered_ops
from xgrad.conformance.spec import Const, Idx, Mask


def test_every_frontend_op_has_a_case() -> None:
    assert uncovered_ops() == [], (
        "frontend ops without a conformance case: add an OpCase to conformance/cases.py "
        "(or, for non-numeric plumbing, an entry in cases.NOT_OPS)")


def test_every_fused_op_has_a_case() -> None:
    assert uncovered_fused() == []


def test_a_new_op_table_row_without_a_case_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    from xgrad.ops import table

    def brand_new_op(a):
        """A new op."""
        return a

    row = table.OpDef("brand_new_op", brand_new_op, "math", inplace=True)
    monkeypatch.setattr(table, "OPS", (*table.OPS, row))
    assert uncovered_ops() == ["brand_new_op", "brand_new_op_", "xgrad.brand_new_op"]


def test_a_new_functional_form_without_a_case_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    def brand_new_fn(a):
        return a

    brand_new_fn.__module__ = "xgrad.ops.elementwise"
    monkeypatch.setattr(xgrad, "brand_new_fn", brand_new_fn, raising=False)
    assert uncovered_ops() == ["xgrad.brand_new_fn"]


def test_a_new_fused_op_without_a_case_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    from xgrad.ops.fused import FUSED

    monkeypatch.setitem(FUSED, "brand_new_fused", object())
    assert uncovered_fused() == ["brand_new_fused"]


def test_case_table_is_well_formed() -> None:
    cases = all_cases()
    assert len(cases) > 150
    for case in cases.values():
        assert case.inputs, f"{case.name} has no samples"
        for sample in case.inputs:
            for spec in sample:
                if isinstance(spec, T):
                    assert 0 <= len(spec.shape) <= 5
                    assert int(__import__("math").prod(spec.leaf_shape())) <= 32, case.name
            assert callable(case.callable(len(sample)))
        if case.grad:
            assert any(isinstance(s, T) and s.grad for smp in case.inputs for s in smp), case.name


def test_fused_cases_name_contract_ops() -> None:
    from xgrad.backend import FUSED_OPS

    for case in all_cases().values():
        assert case.fused is None or case.fused in FUSED_OPS, case.name


def test_register_rejects_a_duplicate_name() -> None:
    from xgrad.conformance import register

    with pytest.raises(ValueError, match="registered twice"):
        register(OpCase("exp", "a.exp()", [(T(2),)]))


def test_sampler_keeps_values_distinct_and_in_domain() -> None:
    import numpy as np
    from xgrad.conformance.sampling import distinct_values

    rng = np.random.default_rng(0)
    bands = ((-2.0, -0.3), (0.3, 2.0))
    v = distinct_values(40, bands, rng)
    assert all(any(lo <= x <= hi for lo, hi in bands) for x in v)
    gaps = np.diff(np.sort(v))
    assert gaps.min() >= 3.4 / (2 * 40) - 1e-12


def test_specs_of_other_kinds_draw_as_documented() -> None:
    import numpy as np
    from xgrad.conformance.sampling import draw

    case = OpCase("probe", "a", [(Idx((3, 4), 4, unique=1), Mask((2,)), Const([1.0]), 2.5)])
    vals = draw(case, case.inputs[0], np.random.default_rng(1))
    assert vals[0].dtype == np.int64 and all(len(set(row)) == 4 for row in vals[0].tolist())
    assert vals[1].dtype == bool and vals[3] == 2.5
