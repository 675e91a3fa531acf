"""The conformance suite tests itself: deliberately broken backends must fail exactly the
expected test ids (and pass the rest); reports, xfails/skips files, hooks and the CLI work.

Each check runs the suite in a subprocess (the way backend authors run it), with the broken
backends registered by a small pytest plugin module written to a temporary folder.
"""
from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conformance_harness import outcomes, suite_env
from conformance_harness import run_suite as _run_suite

BROKEN_PLUGIN = '''\
"""Deliberately broken backends for the conformance self-test (loaded with -p broken_xgrad)."""
import numpy as np

import xgrad
from xgrad.backends.numpy import NumpyBackend
from xgrad.registry import BackendSpec, register_plugin


class WrongExp(NumpyBackend):
    name = device = "broken_exp"

    def __init__(self):
        super().__init__()
        self.exp = lambda x: np.exp(x) * (1 + 1e-3)


class WrongFusedLogSoftmax(NumpyBackend):
    name = device = "broken_log_softmax"

    def log_softmax(self, x, axis):
        return super().log_softmax(x, axis) + 1e-3


class WrongSumDtype(NumpyBackend):
    name = device = "broken_sum_dtype"

    def sum(self, x, axes, keepdims):
        r = super().sum(x, axes, keepdims)
        return r.astype(np.float64) if r.dtype == np.float32 else r


class LostBroadcastGrad(NumpyBackend):
    """sum(..., keepdims=True) over axis 0 drops the first row: only the frontend's
    broadcast-gradient reduction (sum_to) asks for that, so forward values stay right."""

    name = device = "broken_broadcast"

    def sum(self, x, axes, keepdims):
        if keepdims and 0 in axes and x.ndim > 1 and x.shape[0] > 1:
            x = x[1:]
        return super().sum(x, axes, keepdims)


class MutatingNeg(NumpyBackend):
    name = device = "broken_neg"

    def __init__(self):
        super().__init__()

        def neg(x):
            out = np.negative(x)
            if isinstance(x, np.ndarray) and x.flags.writeable:
                x[...] = out
            return out.copy()

        self.neg = neg


class LostWrite(NumpyBackend):
    """assign() returns its destination unchanged: every in-place write is silently lost."""

    name = device = "broken_assign"

    def assign(self, dst, src):
        return dst


class NoFloat64(NumpyBackend):
    """A correct backend that lacks float64: checked in float32 with float32 numerics."""

    name = device = "nofloat64"
    dtypes = NumpyBackend.dtypes - {xgrad.float64}


BROKEN = [WrongExp, WrongFusedLogSoftmax, WrongSumDtype, LostBroadcastGrad, MutatingNeg, LostWrite,
          NoFloat64]


class _Plugin:
    @xgrad.hookimpl
    def xgrad_register_backends(self):
        return [BackendSpec(cls.name, (lambda c: lambda index: c())(cls)) for cls in BROKEN]


register_plugin(_Plugin(), name="broken-backends")
'''

TOL_HOOKS = """
def pytest_xgrad_tolerance(case, dtype, backend, check):
    if case.name == "exp" and check == "forward":
        return (1e-2, 1e-2)


def pytest_xgrad_skip(case, dtype, backend):
    if case.name == "exp_":
        return "exp_ marked as a known gap by the backend's conftest"
"""

#: backend -> (-k expression selecting a few relevant cases, ids that must fail)
EXPECTED = {
    "broken_exp": ("-exp] or -exp_]", {
        "test_forward[broken_exp-float32-exp]", "test_forward[broken_exp-float64-exp]",
        "test_forward[broken_exp-float32-exp_]", "test_forward[broken_exp-float64-exp_]",
        "test_special[broken_exp-float32-exp]", "test_special[broken_exp-float64-exp]"}),
    "broken_log_softmax": ("-log_softmax]", {
        "test_forward[broken_log_softmax-float32-log_softmax]",
        "test_forward[broken_log_softmax-float64-log_softmax]",
        "test_grad[broken_log_softmax-float32-log_softmax]",
        "test_grad[broken_log_softmax-float64-log_softmax]",
        "test_gradgrad[broken_log_softmax-float64-log_softmax]",
        "test_fused[broken_log_softmax-float32-log_softmax]",
        "test_fused[broken_log_softmax-float64-log_softmax]",
        "test_special[broken_log_softmax-float32-log_softmax]",
        "test_special[broken_log_softmax-float64-log_softmax]"}),
    "broken_sum_dtype": ("-sum] or -sum.dim]", {
        "test_forward[broken_sum_dtype-float32-sum]",
        "test_forward[broken_sum_dtype-float32-sum.dim]",
        "test_special[broken_sum_dtype-float32-sum]",
        "test_special[broken_sum_dtype-float32-sum.dim]"}),
    "broken_broadcast": ("-add] or -mul]", {
        "test_grad[broken_broadcast-float32-add]", "test_grad[broken_broadcast-float64-add]",
        "test_grad[broken_broadcast-float32-mul]", "test_grad[broken_broadcast-float64-mul]",
        "test_gradgrad[broken_broadcast-float64-mul]"}),
    # neg writes into its argument: the inputs change, and so does the upstream gradient
    # that backward negates (a second backward pass then sees a different gradient)
    "broken_neg": ("-neg] or -__neg__] or -neg_]", {
        "test_no_mutation[broken_neg-float32-neg]", "test_no_mutation[broken_neg-float64-neg]",
        "test_no_mutation[broken_neg-float32-__neg__]",
        "test_no_mutation[broken_neg-float64-__neg__]",
        "test_reentrant[broken_neg-float32-neg]", "test_reentrant[broken_neg-float64-neg]",
        "test_reentrant[broken_neg-float32-__neg__]", "test_reentrant[broken_neg-float64-__neg__]",
        "test_reentrant[broken_neg-float32-neg_]", "test_reentrant[broken_neg-float64-neg_]"}),
    # writes lost in assign(): every view program that writes in place fails
    "broken_assign": ("test_view", {
        f"test_view[broken_assign-float32-view.{n}]" for n in (
            "slice_fill", "slice_setitem", "view_write", "transpose_write", "row_fill", "data_add",
            "detach_zero", "chain_of_three", "write_through_the_middle",
            "base_write_updates_views", "setitem_on_view_of_view", "copy_into_view",
            "reshape_copies_only_when_needed", "diagonal_write", "unfold_write_and_grad",
            "resize_view", "numpy_values", "tensor_copies_its_data")}),
}


@pytest.fixture(scope="module")
def plugin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("broken_plugin")
    (d / "broken_xgrad.py").write_text(BROKEN_PLUGIN)
    (d / "xgrad_tol_hooks.py").write_text(TOL_HOOKS)
    return d


_env = suite_env


def run_suite(plugin_dir: Path, out: Path, *args: str) -> tuple[int, dict, str]:
    """The suite with the broken backends, in float32 and float64 (the id sets below are
    written for those two; the float16 default is checked on its own)."""
    if not any(a.startswith("--xgrad-dtypes") for a in args):
        args = ("--xgrad-dtypes=float32,float64", *args)
    return _run_suite("broken_xgrad", plugin_dir, out, *args)


_outcomes = outcomes


@pytest.mark.parametrize("backend", sorted(EXPECTED))
def test_broken_backend_fails_exactly_the_expected_ids(plugin_dir: Path, tmp_path: Path,
                                                       backend: str) -> None:
    keyword, expected = EXPECTED[backend]
    rc, report, out = run_suite(plugin_dir, tmp_path, "--xgrad-backend", backend, f"-k={keyword}")
    outcomes = _outcomes(report)
    failed = {i for i, o in outcomes.items() if o == "failed"}
    assert failed == expected, out[-4000:]
    rest = {i: o for i, o in outcomes.items() if i not in expected}
    assert rest and set(rest.values()) == {"passed"}, rest
    assert rc == 1
    for r in report["results"]:
        if r["outcome"] == "failed":
            assert "--- reproducer ---" in r["message"] and backend in r["message"]


def test_directional_check_finds_the_same_failures(plugin_dir: Path, tmp_path: Path) -> None:
    keyword, expected = EXPECTED["broken_broadcast"]
    _, report, _ = run_suite(plugin_dir, tmp_path, "--xgrad-backend", "broken_broadcast",
                             f"-k={keyword}", "--xgrad-gradcheck=directional")
    failed = {r["id"]: r["message"] for r in report["results"] if r["outcome"] == "failed"}
    assert set(failed) == expected
    msg = failed["test_grad[broken_broadcast-float32-mul]"]
    assert "directional derivative" in msg and "d out[0] / d input1[0]: numeric" in msg


def test_the_same_cases_pass_on_numpy(plugin_dir: Path, tmp_path: Path) -> None:
    keyword = " or ".join(k for k, _ in EXPECTED.values())
    rc, report, out = run_suite(plugin_dir, tmp_path, "--xgrad-backend", "numpy", f"-k={keyword}")
    assert rc == 0, out[-3000:]
    assert set(_outcomes(report).values()) == {"passed"}
    assert len(report["results"]) > 60


def test_backend_without_float64_is_checked_in_float32(plugin_dir: Path, tmp_path: Path) -> None:
    rc, report, out = run_suite(plugin_dir, tmp_path, "--xgrad-backend", "nofloat64",
                                "-k=test_ops and (-exp] or -matmul] or -log_softmax] or -to])")
    outcomes = _outcomes(report)
    assert rc == 0, out[-3000:]
    assert outcomes["test_grad[nofloat64-float32-matmul]"] == "passed"
    assert outcomes["test_gradgrad[nofloat64-float32-log_softmax]"] == "passed"
    assert outcomes["test_grad[nofloat64-float64-exp]"] == "skipped"
    assert outcomes["test_forward[nofloat64-float32-to]"] == "skipped"  # casts to float64
    skipped = [r for r in report["results"] if r["outcome"] == "skipped"]
    assert skipped and all("has no float64" in r["skip_reason"] for r in skipped)


def test_failure_message_reproducer_runs(plugin_dir: Path, tmp_path: Path) -> None:
    _, report, _ = run_suite(plugin_dir, tmp_path, "--xgrad-backend", "broken_exp",
                             "-k=test_forward and float32-exp]")
    (res,) = [r for r in report["results"] if r["outcome"] == "failed"]
    msg = res["message"]
    assert "differs from the reference" in msg and "rtol=1e-05" in msg
    code = msg.split("--- reproducer ---")[1].split("--- end reproducer ---")[0]
    script = tmp_path / "repro.py"
    script.write_text("import broken_xgrad\n" + code)
    proc = subprocess.run([sys.executable, str(script)], env=_env(plugin_dir), capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("got") >= 1 and proc.stdout.count("want") >= 1


def test_json_and_markdown_reports(plugin_dir: Path, tmp_path: Path) -> None:
    _, report, _ = run_suite(plugin_dir, tmp_path, "--xgrad-backend", "broken_log_softmax",
                             "--xgrad-backend", "numpy", "-k=-log_softmax]")
    cell = report["matrix"]["log_softmax"]
    assert cell["broken_log_softmax"]["float32"]["outcome"] == "failed"
    assert cell["broken_log_softmax"]["float32"]["checks"]["fused"] == "failed"
    assert cell["numpy"]["float64"]["outcome"] == "passed"
    assert "log_softmax" in report["backends"]["numpy"]["fused_native"]
    assert report["summary"]["failed"] == 9 and report["summary"]["total"] == len(report["results"])
    md = (tmp_path / "conformance.md").read_text()
    assert "| `log_softmax` | FAIL: " in md and "fused" in md
    assert "## Fused kernels provided natively" in md and "<summary>reproducer</summary>" in md


def test_xfails_file_is_strict_and_skips_file_skips(plugin_dir: Path, tmp_path: Path) -> None:
    xf = tmp_path / "xfails.txt"
    xf.write_text("# known gaps of broken_exp\n"
                  "test_forward[broken_exp-float32-exp]   # really fails: xfail\n"
                  "test_grad[broken_exp-float32-exp]      # passes: reported\n")
    sk = tmp_path / "skips.txt"
    sk.write_text("test_forward[broken_exp-float64-exp]\n")
    rc, report, out = run_suite(plugin_dir, tmp_path, "--xgrad-backend", "broken_exp",
                                "-k=-exp] and not test_special", f"--xgrad-xfails-file={xf}",
                                f"--xgrad-skips-file={sk}")
    outcomes = _outcomes(report)
    assert outcomes["test_forward[broken_exp-float32-exp]"] == "xfail"
    assert outcomes["test_grad[broken_exp-float32-exp]"] == "xpass"
    assert outcomes["test_forward[broken_exp-float64-exp]"] == "skipped"
    assert rc == 1 and "XPASS(strict)" in out
    assert report["summary"]["xpass"] == 1 and report["summary"]["failed"] == 0


def test_conftest_hooks_adjust_tolerance_and_skip(plugin_dir: Path, tmp_path: Path) -> None:
    rc, report, out = run_suite(plugin_dir, tmp_path, "-p", "xgrad_tol_hooks", "--xgrad-backend",
                                "broken_exp", "-k=-exp] or -exp_]")
    outcomes = _outcomes(report)
    assert rc == 0, out[-3000:]
    assert outcomes["test_forward[broken_exp-float32-exp]"] == "passed"
    assert outcomes["test_forward[broken_exp-float32-exp_]"] == "skipped"


def test_cli_table_reports_and_exit_status(plugin_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    code = ("import sys, broken_xgrad\nfrom xgrad.conformance.cli import main\n"
            "sys.exit(main(sys.argv[1:]))")
    args = ["broken_exp", "--out", str(out), "-n", "0", "-k", "test_forward and -exp]",
            "--dtypes", "float32"]
    proc = subprocess.run([sys.executable, "-c", code, *args], cwd=tmp_path, env=_env(plugin_dir),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    lines = proc.stdout.splitlines()
    assert any(line.split()[:3] == ["exp", "FAIL:", "forward"] for line in lines), proc.stdout
    assert "FAILED test_forward[broken_exp-float32-exp]" in proc.stdout
    assert "def op(dev, dt, grad=False):" in proc.stdout
    assert "test/s" in proc.stderr or "conformance" in proc.stderr  # the progress bar
    for name in ("conformance.json", "conformance.md", "junit.xml"):
        assert (out / name).exists()
    suite = ET.parse(out / "junit.xml").getroot()
    assert int(suite.find("testsuite").get("failures") if suite.tag == "testsuites"
               else suite.get("failures")) == 1
    ok = subprocess.run([sys.executable, "-c", code, "numpy", "--out", str(tmp_path / "ok"), "-n",
                         "0", "-k", "test_forward and -exp]", "--quick"], cwd=tmp_path,
                        env=_env(plugin_dir), capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stdout[-3000:] + ok.stderr[-3000:]
    assert "1 passed, 0 failed" in ok.stdout, ok.stdout


def test_plugin_is_inert_without_options(tmp_path: Path) -> None:
    (tmp_path / "test_plain.py").write_text("def test_one():\n    assert 1 + 1 == 2\n")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "test_plain.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "1 passed" in proc.stdout
    assert "xgrad" not in proc.stdout
    helptext = subprocess.run([sys.executable, "-m", "pytest", "--help"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120).stdout
    for opt in ("--xgrad-backend", "--xgrad-dtypes", "--xgrad-gradcheck", "--xgrad-skips-file",
                "--xgrad-xfails-file", "--xgrad-report"):
        assert opt in helptext


def test_default_dtypes_add_float16_where_the_backend_declares_it(plugin_dir: Path,
                                                                   tmp_path: Path) -> None:
    rc, report, out = _run_suite("broken_xgrad", plugin_dir, tmp_path, "--xgrad-backend", "numpy",
                                 "--xgrad-backend", "nofloat64", "-k=test_forward and -exp]")
    assert rc == 0, out[-3000:]
    ran = set(_outcomes(report))
    assert {"test_forward[numpy-float16-exp]", "test_forward[numpy-float32-exp]",
            "test_forward[numpy-float64-exp]", "test_forward[nofloat64-float16-exp]"} <= ran
    rc, report, _ = _run_suite("broken_xgrad", plugin_dir, tmp_path, "--xgrad-backend", "numpy",
                               "--xgrad-dtypes=float32", "-k=test_forward and -exp]")
    assert set(_outcomes(report)) == {"test_forward[numpy-float32-exp]"}
