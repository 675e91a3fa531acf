"""``xgrad-conformance NAME [NAME...]``: run the conformance suite on backends, print an
op-by-op table, write JSON/Markdown/JUnit reports, exit non-zero on any failure."""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from typing import Any

__all__ = ["main", "build_args"]


class _Progress:
    """A tqdm progress bar fed by pytest's test reports (works under pytest-xdist)."""

    def __init__(self) -> None:
        self.bar: Any = None

    def _start(self, total: int) -> None:
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="test", desc="conformance", file=sys.stderr,
                            dynamic_ncols=True)

    def pytest_collection_finish(self, session: Any) -> None:
        if session.items:
            self._start(len(session.items))

    @__import__("pytest").hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list) -> None:
        self._start(len(ids))

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.when == "teardown" and self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="xgrad-conformance",
        description="Check xgrad backends against the reference backend and finite differences.")
    p.add_argument("backends", nargs="+", metavar="NAME", help="backend names ('all' for every "
                   "available backend)")
    p.add_argument("--dtypes", default=None, help="comma-separated floating dtypes "
                   "(default float32,float64)")
    p.add_argument("--out", default="xgrad-conformance-report", help="report folder "
                   "(default ./xgrad-conformance-report/)")
    p.add_argument("-n", dest="workers", default=None, help="pytest-xdist workers: a number or "
                   "'auto' (default auto when pytest-xdist is installed; 0 runs in-process)")
    p.add_argument("--quick", action="store_true", help="float32 only, directional gradient "
                   "checks, no second order")
    p.add_argument("-k", dest="keyword", default=None, help="pytest -k expression selecting tests")
    p.add_argument("--gradcheck", choices=("auto", "directional", "full"), default=None)
    p.add_argument("--seed", default=None, help="salt every sample seed (an integer; default "
                   "$XGRAD_CONFORMANCE_SEED or 0); printed and recorded in the report")
    p.add_argument("--shape-budget", action="store_true", help="draw inputs from a small fixed "
                   "set of shapes per rank (implied by --quick): fewer kernels to compile")
    p.add_argument("--count-kernels", action="store_true", help="count the distinct (op, shape, "
                   "dtype) backend calls (what a compile-per-shape backend compiles)")
    p.add_argument("--skips-file", default=None, help="test ids to skip")
    p.add_argument("--xfails-file", default=None, help="test ids expected to fail (strict)")
    return p


def build_args(ns: argparse.Namespace) -> list[str]:
    """The pytest command line for parsed CLI options."""
    out = os.path.abspath(ns.out)
    args = ["--pyargs", "xgrad.conformance", "-p", "no:cacheprovider", "-p", "no:benchmark",
            "-p", "no:terminal",
            "--xgrad-report", os.path.join(out, "conformance.json"),
            "--junitxml", os.path.join(out, "junit.xml")]
    for b in ns.backends:
        args += ["--xgrad-backend", b]
    dtypes = ns.dtypes or ("float32" if ns.quick else None)
    if dtypes:
        args += ["--xgrad-dtypes", dtypes]
    mode = ns.gradcheck or ("directional" if ns.quick else None)
    if mode:
        args += ["--xgrad-gradcheck", mode]
    keyword = ns.keyword
    if ns.quick:
        keyword = f"({keyword}) and not test_gradgrad" if keyword else "not test_gradgrad"
    if keyword:
        args += ["-k", keyword]
    if ns.seed is not None:
        args += ["--xgrad-seed", str(ns.seed)]
    if ns.count_kernels:
        args += ["--xgrad-count-kernels"]
    if ns.shape_budget or ns.quick:
        args += ["--xgrad-shape-budget"]
    if ns.skips_file:
        args += ["--xgrad-skips-file", ns.skips_file]
    if ns.xfails_file:
        args += ["--xgrad-xfails-file", ns.xfails_file]
    workers = ns.workers
    if workers is None:
        workers = "auto" if importlib.util.find_spec("xdist") else "0"
    if workers not in ("0", 0):
        if not importlib.util.find_spec("xdist"):
            raise SystemExit("xgrad-conformance: -n needs pytest-xdist (pip install pytest-xdist)")
        args += ["-n", str(workers)]
    return args


def _table(report: dict) -> str:
    from .report import cell

    cols = [(b, d) for b in report["backends"] for d in report["dtypes"]]
    head = ["op"] + [f"{b} {d}" for b, d in cols]
    rows = [[op] + [cell(per.get(b, {}).get(d)) for b, d in cols]
            for op, per in sorted(report["matrix"].items())]
    widths = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*head), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*r) for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``xgrad-conformance`` console script."""
    import pytest

    ns = _parser().parse_args(argv)
    args = build_args(ns)
    out = os.path.abspath(ns.out)
    os.makedirs(out, exist_ok=True)
    json_path = os.path.join(out, "conformance.json")
    if os.path.exists(json_path):
        os.remove(json_path)
    progress = _Progress()
    try:
        rc = pytest.main(args, plugins=[progress])
    finally:
        progress.close()
    if not os.path.exists(json_path):
        print(f"xgrad-conformance: pytest exited with status {int(rc)} before writing a report",
              file=sys.stderr)
        return int(rc) or 1
    with open(json_path, encoding="utf-8") as f:
        report = json.load(f)
    print(_table(report))
    bad = [r for r in report["results"] if r["outcome"] in ("failed", "xpass")]
    for r in bad:
        print("\n" + "=" * 100)
        print(f"FAILED {r['id']}")
        print(r["message"] or "unexpected pass of a test listed in the xfails file (strict xfail)")
    for b, info in report["backends"].items():
        print(f"\n{b}: fused natively: {', '.join(info.get('fused_native', [])) or '-'}")
    for b, n in report.get("distinct_kernels", {}).items():
        print(f"{b}: {n} distinct (op, shape, dtype) kernels called")
    s = report["summary"]
    seed = report.get("seed", 0)
    print(f"\nseed {seed} (replay with --seed {seed})")
    print(f"\n{s['passed']} passed, {s['failed']} failed, {s['skipped']} skipped, {s['xfail']} xfail, "
          f"{s['xpass']} unexpected passes; reports in {out}/ (conformance.json, conformance.md, "
          "junit.xml)")
    if bad or s["total"] == 0:
        return 1
    return 0 if int(rc) == 0 else int(rc)


if __name__ == "__main__":
    sys.exit(main())
