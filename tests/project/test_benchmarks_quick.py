"""The benchmark suite cannot rot: every raw-numpy workload computes the same loss, gradients
and updated parameters as PyTorch and xgrad on one step, and ``python -m benchmarks --quick``
runs end to end (nothing is asserted about time)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import benchmarks as bm  # noqa: E402

WORKLOADS = {w.name: w for w in bm.all_workloads()}


def test_every_workload_has_all_three_implementations():
    assert {"mlp_b64", "mlp_b1024", "elementwise_chain", "cnn_b64", "transformer_layer",
            "adam_1m"} <= set(WORKLOADS)
    for w in WORKLOADS.values():
        assert {"numpy", "xgrad", "torch"} <= set(w.builders), w.name


def _step_or_skip(w, impl):
    try:
        return bm.one_step(w, impl)
    except bm.Unavailable as exc:
        pytest.skip(f"{impl} implementation unavailable: {exc}")


@pytest.mark.parametrize("impl", ["torch", "xgrad"])
@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_raw_numpy_agrees_with_framework(name, impl):
    if impl == "torch":
        pytest.importorskip("torch")
    w = WORKLOADS[name]
    other = _step_or_skip(w, impl)
    ref = bm.one_step(w, "numpy")
    assert ref["grads"]
    if ref["loss"] is not None:
        assert np.isfinite(ref["loss"]) and ref["loss"] > 0
        assert other["loss"] == pytest.approx(ref["loss"], rel=1e-5)
    for kind in ("grads", "params"):
        assert set(ref[kind]) == set(other[kind])
        for k, x in ref[kind].items():
            y = other[kind][k]
            assert x.shape == y.shape, (kind, k)
            assert np.abs(x).max() > 0, (kind, k)  # a gradient that vanished checks nothing
            np.testing.assert_allclose(y, x, rtol=0, atol=2e-5 * np.abs(x).max(),
                                       err_msg=f"{name} {impl} {kind} {k}")
    assert bm.max_rel_diff(ref, other) < 2e-5


def test_one_sgd_step_moves_the_parameters():
    w = WORKLOADS["mlp_b64"]
    data = w.data(0)
    after = bm.one_step(w, "numpy")
    for k, p in after["params"].items():
        np.testing.assert_allclose(p, data[k] - 0.01 * after["grads"][k], rtol=1e-5, atol=1e-7)


def test_max_rel_diff_sees_a_difference():
    a = {"loss": 1.0, "grads": {"w": np.array([1.0, 2.0])}, "params": {}}
    b = {"loss": 1.0, "grads": {"w": np.array([1.0, 2.5])}, "params": {}}
    assert bm.max_rel_diff(a, b) == pytest.approx(0.25)
    assert bm.max_rel_diff(a, a) == 0.0


def test_interleaved_timer_round_robin():
    order = []

    class Rec(bm.Impl):
        def __init__(self, name):
            self.name = name

        def step(self):
            order.append(self.name)

    times = bm.time_interleaved({"a": Rec("a"), "b": Rec("b")}, reps=4, warmup=1)
    assert order == ["a", "b"] + ["a", "b"] * 4
    assert [len(t) for t in times.values()] == [4, 4]
    assert bm.summarize([1e-6, 3e-6, 2e-6])["median_us"] == pytest.approx(2.0)


def test_quick_run_end_to_end(tmp_path):
    out = tmp_path / "bench.json"
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--seconds", "0.2",
                           "--json", str(out)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads(out.read_text())
    names = [w["name"] for w in report["workloads"]]
    assert names == list(WORKLOADS)
    for w in report["workloads"]:
        assert not w["errors"], w
        assert w["results"]["numpy"]["n"] >= 3 and w["results"]["numpy"]["vs_numpy"] == 1.0
        for label in ("xgrad", "torch"):
            assert label in w["results"] or label in w["skipped"], (w["name"], label)
    assert report["threads"]["numpy_blas_threads"] >= 1
    if report["threads"]["torch"]:
        assert report["threads"]["torch_threads"] == report["threads"]["numpy_blas_threads"]


def test_only_filter_and_unknown_name(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--only", "nosuch"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "matches no workload" in proc.stderr


# ---- the scaling families (python -m benchmarks --scaling) ----------------------------------
def _scaling_points():
    from benchmarks.scaling import FAMILIES

    # the smallest size of each family, plus sizes whose raw numpy takes another code path
    # (a deeper MLP, a non-default batch of the Transformer)
    points = [(f.name, f.values[0], f.make(f.values[0])) for f in FAMILIES]
    return points + [("mlp_depth", 5, FAMILIES[1].make(5)),
                     ("transformer_seq", 48, FAMILIES[4].make(48))]


@pytest.mark.parametrize("impl", ["torch", "xgrad"])
@pytest.mark.parametrize("point", _scaling_points(), ids=lambda p: f"{p[0]}-{p[1]}")
def test_scaling_raw_numpy_agrees_with_framework(point, impl):
    if impl == "torch":
        pytest.importorskip("torch")
    w = point[2]
    ref, other = bm.one_step(w, "numpy"), _step_or_skip(w, impl)
    assert other["loss"] == pytest.approx(ref["loss"], rel=1e-5)
    assert ref["grads"]
    for kind in ("grads", "params"):  # the chains have no parameters
        assert set(ref[kind]) == set(other[kind])
        for k, x in ref[kind].items():
            assert np.abs(x).max() > 0, (kind, k)
            np.testing.assert_allclose(other[kind][k], x, rtol=0, atol=2e-5 * np.abs(x).max(),
                                       err_msg=f"{w.name} {impl} {kind} {k}")


def test_scaling_families_cover_the_issue_ranges():
    from benchmarks.scaling import FAMILIES

    ranges = {f.name: (min(f.values), max(f.values)) for f in FAMILIES}
    assert ranges == {"mlp_batch": (1, 4096), "mlp_depth": (2, 32), "chain_length": (10, 1000),
                      "chain_size": (16, 100_000), "transformer_seq": (32, 512)}


def test_scaling_quick_run_end_to_end(tmp_path):
    out = tmp_path / "scaling.json"
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--scaling", "--quick",
                           "--seconds", "0.1", "--threads", "1", "--json", str(out)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads(out.read_text())
    fams = {f["name"]: [p["value"] for p in f["points"]] for f in report["families"]}
    assert fams == {"mlp_batch": [1, 4], "mlp_depth": [2, 4], "chain_length": [10, 30],
                    "chain_size": [16, 256], "transformer_seq": [32, 64]}
    for w in report["workloads"]:
        assert not w["errors"], w
        for label in ("numpy", "xgrad", "xgrad-compiled"):
            assert w["results"][label]["n"] >= 3, (w["name"], label)
        assert "torch" in w["results"] or "torch" in w["skipped"]
    assert "| batch | raw numpy | xgrad eager | xgrad compiled |" in proc.stdout


def test_scaling_merge_takes_the_median_of_each_ratio():
    from benchmarks.scaling import markdown, merge_reports

    def report(numpy_us, compiled_us, torch_us):
        res = {"numpy": {"median_us": numpy_us}, "xgrad-compiled": {"median_us": compiled_us},
               "torch": {"median_us": torch_us}}
        for r in res.values():
            r["vs_numpy"], r["vs_torch"] = r["median_us"] / numpy_us, r["median_us"] / torch_us
        return {"families": [{"name": "f", "description": "d", "param": "n", "points": [
            {"value": 8, "entry": {"name": "f8", "results": res}}]}]}

    merged = merge_reports([report(100, 50, 200), report(100, 300, 100), report(200, 120, 400)])
    r = merged["families"][0]["points"][0]["entry"]["results"]
    assert r["xgrad-compiled"]["vs_numpy"] == 0.6  # of 0.5, 3.0, 0.6
    assert r["xgrad-compiled"]["vs_torch"] == 0.3  # of 0.25, 3.0, 0.3
    assert r["numpy"]["median_us"] == 100
    table = markdown(merged)
    assert "| 8 | 100 µs | - | 0.60x | " in table and table.rstrip().endswith("| 0.30x |")
def test_benchmark_sync_passes_the_step_results(monkeypatch):
    """The benchmarks wait for the arrays they time: synchronize(*arrays) gets the step's
    parameters (their native arrays), not a bare wait-for-everything."""
    import xgrad

    from benchmarks import all_workloads

    be = xgrad.backends.get_backend("numpy")
    seen = []
    monkeypatch.setattr(be, "synchronize", lambda *arrays: seen.append(arrays), raising=False)
    wl = next(w for w in all_workloads() if w.name == "adam_1m")
    impl = wl.builders["xgrad"](wl.data(0), "numpy")
    impl.step()
    impl.sync()
    (arrays,) = seen
    assert len(arrays) == 4 and {id(a) for a in arrays} == {id(t._data) for t in impl.p.values()}


def test_torch_compile_column_is_opt_in():
    from benchmarks.__main__ import _impl_specs, _parse

    plain = [s[0] for s in _impl_specs(_parse([]))]
    assert "torch-compiled" not in plain
    opted = [s[0] for s in _impl_specs(_parse(["--torch-compile"]))]
    assert opted[-1] == "torch-compiled"
    assert all("torch-compiled" in w.builders for w in WORKLOADS.values())
