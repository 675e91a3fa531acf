"""The conformance suite's ``special`` check (±inf, NaN, ±0, huge, tiny forward inputs):
backends broken only on special values fail exactly the special-value ids of the broken op;
numpy and the reference backend pass; reports, reproducers and xfails files know the check.

The suite runs in a subprocess with the broken backends registered by a small plugin module
(as in ``test_conformance_selftest.py``).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conformance_harness import outcomes, suite_env
from conformance_harness import run_suite as _run_suite
from xgrad.conformance.catalog import all_cases
from xgrad.conformance.special import special_kind, special_pool, special_samples

BROKEN_PLUGIN = '''\
"""Backends that are right on ordinary values and wrong on special ones."""
import numpy as np

import xgrad
from xgrad.backends.numpy import NumpyBackend
from xgrad.registry import BackendSpec, register_plugin


class NanErfAtInf(NumpyBackend):
    """erf(+-inf) is NaN instead of +-1 (the inf - inf bug of a naive erfc tail)."""

    name = device = "special_erf"

    def erf(self, x):
        out = super().erf(x)
        return np.where(np.isinf(x), np.nan, out).astype(out.dtype)


class NanExpAtMinusInf(NumpyBackend):
    """exp(-inf) is NaN instead of 0."""

    name = device = "special_exp"

    def __init__(self):
        super().__init__()
        good = self.exp
        self.exp = lambda x: np.where(np.isneginf(x), np.nan, good(x)).astype(x.dtype)


BROKEN = [NanErfAtInf, NanExpAtMinusInf]


class _Plugin:
    @xgrad.hookimpl
    def xgrad_register_backends(self):
        return [BackendSpec(cls.name, (lambda c: lambda index: c())(cls)) for cls in BROKEN]


register_plugin(_Plugin(), name="special-broken-backends")
'''


@pytest.fixture(scope="module")
def plugin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("special_plugin")
    (d / "special_broken_xgrad.py").write_text(BROKEN_PLUGIN)
    return d


_env = suite_env


def run_suite(plugin_dir: Path, out: Path, *args: str) -> tuple[int, dict, str]:
    """The suite in float32 and float64, the dtypes the expected ids below name."""
    return _run_suite("special_broken_xgrad", plugin_dir, out, "--xgrad-dtypes=float32,float64",
                      *args)


_outcomes = outcomes


@pytest.mark.parametrize("backend,op", [("special_erf", "erf"), ("special_exp", "exp")])
def test_broken_special_values_fail_exactly_the_special_ids(plugin_dir: Path, tmp_path: Path,
                                                            backend: str, op: str) -> None:
    rc, report, out = run_suite(plugin_dir, tmp_path, "--xgrad-backend", backend, f"-k=-{op}]")
    outcomes = _outcomes(report)
    failed = {i for i, o in outcomes.items() if o == "failed"}
    assert failed == {f"test_special[{backend}-float32-{op}]",
                      f"test_special[{backend}-float64-{op}]"}, out[-4000:]
    # every other check of the op passes: only the special-value inputs expose the bug
    rest = {i: o for i, o in outcomes.items() if i not in failed}
    assert any(i.startswith("test_forward[") for i in rest)
    assert set(rest.values()) == {"passed"}, rest
    assert rc == 1
    msg = next(r["message"] for r in report["results"] if r["outcome"] == "failed")
    assert "[special]" in msg and "expected NaN" not in msg and "got NaN" in msg
    assert report["matrix"][op][backend]["float32"]["checks"]["special"] == "failed"


def test_reproducer_of_a_special_failure_runs(plugin_dir: Path, tmp_path: Path) -> None:
    _, report, _ = run_suite(plugin_dir, tmp_path, "--xgrad-backend", "special_erf",
                             "-k=test_special and float32-erf]")
    (res,) = [r for r in report["results"] if r["outcome"] == "failed"]
    code = res["message"].split("--- reproducer ---")[1].split("--- end reproducer ---")[0]
    assert "float('inf')" in code and "op('reference', xgrad.float32)" in code
    script = tmp_path / "repro.py"
    script.write_text("import special_broken_xgrad\n" + code)
    proc = subprocess.run([sys.executable, str(script)], env=_env(plugin_dir), capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    got = next(line for line in proc.stdout.splitlines() if line.startswith("got"))
    want = next(line for line in proc.stdout.splitlines() if line.startswith("want"))
    assert "nan" in got and want.count("nan") == 1  # erf(nan) only


def test_xfails_and_skips_files_name_special_ids(plugin_dir: Path, tmp_path: Path) -> None:
    xf = tmp_path / "xfails.txt"
    xf.write_text("test_special[special_erf-float32-erf]\n")
    sk = tmp_path / "skips.txt"
    sk.write_text("test_special[special_erf-float64-erf]\n")
    rc, report, out = run_suite(plugin_dir, tmp_path, "--xgrad-backend", "special_erf",
                                "-k=test_special and -erf]", f"--xgrad-xfails-file={xf}",
                                f"--xgrad-skips-file={sk}")
    outcomes = _outcomes(report)
    assert outcomes == {"test_special[special_erf-float32-erf]": "xfail",
                        "test_special[special_erf-float64-erf]": "skipped"}
    assert rc == 0, out[-3000:]


def test_numpy_and_reference_pass_every_special_check(plugin_dir: Path, tmp_path: Path) -> None:
    rc, report, out = run_suite(plugin_dir, tmp_path, "--xgrad-backend", "numpy",
                                "--xgrad-backend", "reference", "-k=test_special")
    assert rc == 0, out[-4000:]
    outcomes = _outcomes(report)
    n_cases = sum(special_kind(c) is not None for c in all_cases().values())
    assert n_cases >= 40 and len(outcomes) == 2 * 2 * n_cases
    assert set(outcomes.values()) == {"passed"}, out[-4000:]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_special_pool_holds_every_kind_of_special_value(dtype: str) -> None:
    pool = special_pool(dtype)
    info = np.finfo(dtype)
    assert np.isposinf(pool).sum() == 1 and np.isneginf(pool).sum() == 1
    assert np.isnan(pool).sum() == 1
    zeros = pool[pool == 0]
    assert sorted(np.signbit(zeros).tolist()) == [False, True]
    finite = pool[np.isfinite(pool) & (pool != 0)]
    assert finite.max() > 1e29 and finite.max() <= info.max  # huge, representable
    normal = finite[np.abs(finite) >= info.tiny]
    assert np.abs(normal).min() < 1.1e-30  # tiny, normal
    assert ((np.abs(finite) < info.tiny) & (np.signbit(finite))).any()  # a subnormal, both signs
    assert ((np.abs(finite) < info.tiny) & ~np.signbit(finite)).any()
    assert {2.5, 3.5, 5.0, 9.0, 20.0, 45.0, 88.0} <= set(np.abs(finite).tolist())  # the tails
    assert np.array_equal(pool.astype(dtype).astype(np.float64), pool, equal_nan=True)


def test_elementwise_samples_cover_every_pair_and_reductions_keep_shapes() -> None:
    cases = all_cases()
    pool = special_pool("float32")
    ((sample, vals),) = special_samples(cases["add"], "float32")
    a, b = vals[0], vals[1]
    assert a.shape == (len(pool), 1) and b.shape == (1, len(pool))
    assert np.array_equal(a.ravel(), pool, equal_nan=True)
    assert np.array_equal(b.ravel(), pool, equal_nan=True)  # broadcast: every (a, b) pair
    ((_, uvals),) = special_samples(cases["erf"], "float32")
    assert np.array_equal(uvals[0], pool, equal_nan=True)
    red = special_samples(cases["logsumexp"], "float32")
    assert [s for s, _ in red] == list(cases["logsumexp"].inputs)
    flat = np.concatenate([v[0].ravel() for _, v in red])
    assert np.isinf(flat).any() and np.isnan(flat).any() and np.isfinite(flat).any()
    assert special_samples(cases["matmul"], "float32") == []
