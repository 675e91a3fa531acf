"""A backend without (part of) the optional linalg group: the suite skips exactly the cases
that need a missing primitive, naming it, and runs the rest (run in a subprocess, as
backend authors run the suite)."""
from __future__ import annotations

from pathlib import Path

from conformance_harness import outcomes, run_suite

PLUGIN = '''\
"""A numpy backend with only linalg_inv of the linalg group (loaded with -p partial_linalg)."""
import xgrad
from xgrad.backends.numpy import NumpyBackend
from xgrad.registry import BackendSpec, register_plugin


class OnlyInv(NumpyBackend):
    name = device = "only_inv"
    linalg_ops = frozenset({"linalg_inv"})


class _Plugin:
    @xgrad.hookimpl
    def xgrad_register_backends(self):
        return [BackendSpec("only_inv", lambda index: OnlyInv())]


register_plugin(_Plugin(), name="partial-linalg")
'''


def test_cases_needing_missing_linalg_primitives_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "partial_linalg.py").write_text(PLUGIN)
    out = tmp_path / "out"
    out.mkdir()
    rc, report, stdout = run_suite(
        "partial_linalg", tmp_path, out, "--xgrad-backend", "only_inv",
        "--xgrad-dtypes=float64",
        "-k=(test_forward or test_grad) and (-linalg.inv] or -linalg.svd] or -linalg.det] "
        "or -linalg.vector_norm])")
    assert rc == 0, stdout[-3000:]
    got = outcomes(report)
    assert got["test_forward[only_inv-float64-linalg.inv]"] == "passed"
    assert got["test_grad[only_inv-float64-linalg.inv]"] == "passed"
    assert got["test_forward[only_inv-float64-linalg.vector_norm]"] == "passed"
    for case, missing in (("linalg.svd", "linalg_svd"), ("linalg.det", "linalg_det")):
        rid = f"test_forward[only_inv-float64-{case}]"
        assert got[rid] == "skipped", rid
        (res,) = [r for r in report["results"] if r["id"] == rid]
        assert res["skip_reason"].endswith(f"backend 'only_inv' has no {missing}")
