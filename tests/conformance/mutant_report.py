"""Run the conformance suite on the planted-bug corpus (:mod:`mutants`) and report kills.

CI mode (default, what ``test_mutant_corpus.py`` does): each mutant runs in-process only on
the cases its ``cases`` patterns name, through the suite's own check functions
(:data:`xgrad.conformance.checks.CHECKS`, the layer/optimizer checks and the RNG tests), and
stops at the first failure. Full mode (``--full``): the whole suite, ``pytest --pyargs
xgrad.conformance --xgrad-backend=<mutant>``, in one subprocess per mutant.

    python -m tests.conformance.mutant_report [--full [-n N]] [--out reports/mutant-report.md] [NAME...]

prints (and writes) a Markdown table of mutants and kills by category, then one line per
mutant: the first test id that failed, or ``SURVIVED``.
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

_HERE = Path(__file__).resolve().parent
if str(_HERE) not in sys.path:
    sys.path.insert(0, str(_HERE))

import mutants  # noqa: E402  (the corpus, importable as a top-level module)

__all__ = ["Hunt", "hunt", "report_table", "main"]

_ORDER = ("float16", "float32", "float64")


@dataclass
class Hunt:
    """What the suite made of one backend: the failing test ids (first only unless asked)."""

    backend: str
    killed_by: list[str] = field(default_factory=list)
    ran: int = 0
    seconds: float = 0.0

    @property
    def killed(self) -> bool:
        """Whether any check failed."""
        return bool(self.killed_by)


def _match(name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def _attempt(h: Hunt, test_id: str, fn, *args) -> bool:
    """Run one check; record a failure (any exception but a skip) under ``test_id``."""
    from xgrad.conformance.checks import ConformanceSkip

    h.ran += 1
    try:
        fn(*args)
    except ConformanceSkip:
        return False
    except Exception as exc:  # noqa: BLE001 (pytest counts any exception as a failure)
        kind = "" if isinstance(exc, AssertionError) else f" ({type(exc).__name__})"
        h.killed_by.append(test_id + kind)
        return True
    return False


def _op_runs(backend: str, patterns: tuple[str, ...]):
    """``(test id, check, Run)`` for every op check the suite would run on matching cases."""
    from xgrad.backends import get_backend
    from xgrad.conformance.catalog import all_cases
    from xgrad.conformance.checks import CHECKS, Run
    from xgrad.conformance.special import special_kind

    have = {d.name for d in get_backend(backend).dtypes}
    for case in all_cases().values():
        if not _match(case.name, patterns):
            continue
        dts = [d for d in _ORDER if d in case.dtypes and d in have
               and all(r in have for r in case.requires)]
        for check in CHECKS:
            if check in ("grad", "reentrant", "zero_grad", "gradgrad") and not case.grad:
                continue
            if check == "gradgrad" and not case.grad2:
                continue
            if check == "fused" and not case.fused:
                continue
            if check == "special" and special_kind(case) is None:
                continue
            for dt in (dts[-1:] if check == "gradgrad" else dts):
                yield f"test_{check}[{backend}-{dt}-{case.name}]", check, Run(case, backend, dt)


def hunt(backend: str, patterns: tuple[str, ...], first: bool = True) -> Hunt:
    """Run the suite's checks for the cases ``patterns`` select on ``backend`` in-process."""
    from xgrad.backends import get_backend
    from xgrad.conformance import checks_modules as cm
    from xgrad.conformance import test_primitives, test_rng
    from xgrad.conformance.catalog import module_cases, optim_cases
    from xgrad.conformance.checks import CHECKS

    h = Hunt(backend)
    t0 = time.perf_counter()

    def done(hit: bool) -> bool:
        return hit and first

    try:
        for test_id, check, run in _op_runs(backend, patterns):
            if done(_attempt(h, test_id, CHECKS[check], run)):
                return h
        for dt in [d for d in ("float32", "float64") if d in {t.name for t in get_backend(backend).dtypes}]:
            for name, case in module_cases().items():
                if _match("module." + name, patterns) and done(_attempt(
                        h, f"test_module[{backend}-{dt}-{name}]", cm.check_module, case,
                        backend, dt)):
                    return h
            for name, case in optim_cases().items():
                if not _match("optim." + name, patterns):
                    continue
                for check, fn in (("optim", cm.check_optim), ("optim_fused", cm.check_optim_fused)):
                    if done(_attempt(h, f"test_{check}[{backend}-{dt}-{name}]", fn, case,
                                     backend, dt)):
                        return h
        have = {d.name for d in get_backend(backend).dtypes}
        for kind, (dt, _, _) in test_rng.KINDS.items():
            if dt in have and _match("rng." + kind, patterns) and done(_attempt(
                    h, f"test_rng[{backend}-{dt}-rng.{kind}]", test_rng.test_rng,
                    (backend, dt, "rng." + kind))):
                return h
        for name in test_primitives.CALLS:
            if _match("prim." + name, patterns) and done(_attempt(
                    h, f"test_primitive_contract[{backend}-float32-prim.{name}]",
                    test_primitives.test_primitive_contract, (backend, "float32", name))):
                return h
        for name in test_primitives.FRESH:
            if _match("prim.fresh." + name, patterns) and done(_attempt(
                    h, f"test_primitive_returns_fresh_array[{backend}-float32-prim.fresh.{name}]",
                    test_primitives.test_primitive_returns_fresh_array, (backend, "float32", name))):
                return h
        from xgrad.conformance import test_primitive_dtypes as tpd

        for _, dt, name in tpd.dtype_params(backend):
            if _match("prim.dtype." + name, patterns) and done(_attempt(
                    h, f"test_primitive_dtype[{backend}-{dt}-prim.dtype.{name}]",
                    tpd.test_primitive_dtype, (backend, dt, name))):
                return h
        from xgrad.conformance import test_primitive_derived as tpv

        for _, dt, name in tpv.derived_params(backend):
            if _match("prim.derived." + name, patterns) and done(_attempt(
                    h, f"test_primitive_derived[{backend}-{dt}-prim.derived.{name}]",
                    tpv.test_primitive_derived, (backend, dt, name))):
                return h
        from xgrad.conformance import test_views
        from xgrad.conformance.views import VIEW_PROGRAMS

        for name in VIEW_PROGRAMS:
            if _match("view." + name, patterns) and done(_attempt(
                    h, f"test_view[{backend}-float32-view.{name}]", test_views.test_view,
                    (backend, "float32", "view." + name))):
                return h
        from xgrad.conformance.compiled import COMPILED_PROGRAMS, check_compiled
        from xgrad.conformance.tolerances import tolerance

        for name in COMPILED_PROGRAMS:
            if _match("compiled." + name, patterns) and done(_attempt(
                    h, f"test_compiled[{backend}-float32-compiled.{name}]", check_compiled,
                    name, backend, "float32", *tolerance("forward", "float32"))):
                return h
        if _match("rng.random_bits.counters", patterns):
            _attempt(h, f"test_rng_counters[{backend}-int64-rng.random_bits.counters]",
                     test_rng.test_rng_counters, (backend, "int64", "rng.random_bits.counters"))
        return h
    finally:
        h.seconds = time.perf_counter() - t0


def hunt_full(cls: type, out_dir: Path, workers: str = "0") -> Hunt:
    """The whole suite on one mutant, ``pytest --pyargs xgrad.conformance``, in a subprocess."""
    name = mutants.backend_name(cls)
    h = Hunt(name)
    report = out_dir / f"{name}.json"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(_HERE), env.get("PYTHONPATH", "")])
    env.pop("PYTEST_ADDOPTS", None)
    cmd = [sys.executable, "-m", "pytest", "-p", "mutants", "--pyargs", "xgrad.conformance",
           "-p", "no:cacheprovider", "-q", "--tb=no", "--xgrad-backend", name,
           "--xgrad-report", str(report)] + (["-n", workers] if workers != "0" else [])
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=out_dir, env=env, capture_output=True, text=True, check=False)
    h.seconds = time.perf_counter() - t0
    if report.exists():
        results = json.loads(report.read_text())["results"]
        h.ran = len(results)
        h.killed_by = [r["id"] for r in results if r["outcome"] in ("failed", "error")]
    else:
        h.killed_by = ["(pytest crashed before writing a report)"]
    return h


def report_table(results: dict[type, Hunt], equivalent: dict[str, str] | None = None) -> str:
    """Markdown: kills per category, then each mutant's first failing test id."""
    equivalent = equivalent or {}
    lines = ["| category | mutants | killed | equivalent | survived |", "|---|---|---|---|---|"]
    total = [0, 0, 0, 0]
    for cat in mutants.CATEGORIES:
        rows = [(c, h) for c, h in results.items() if c.category == cat]
        if not rows:
            continue
        k = sum(h.killed for _, h in rows)
        e = sum(not h.killed and c.__name__ in equivalent for c, h in rows)
        cells = [len(rows), k, e, len(rows) - k - e]
        total = [a + b for a, b in zip(total, cells)]
        lines.append(f"| {cat} | " + " | ".join(map(str, cells)) + " |")
    lines.append("| **all** | " + " | ".join(f"**{n}**" for n in total) + " |")
    lines += ["", "| mutant | category | bug | caught by | s |", "|---|---|---|---|---|"]
    for c, h in results.items():
        doc = (c.__doc__ or "").strip().splitlines()[0]
        more = f" (+{len(h.killed_by) - 1} more)" if len(h.killed_by) > 1 else ""
        by = h.killed_by[0] + more if h.killed else (
            f"equivalent: {equivalent[c.__name__]}" if c.__name__ in equivalent else "SURVIVED")
        lines.append(f"| {c.__name__} | {c.category} | {doc} | `{by}` | {h.seconds:.2f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Command line: hunt every mutant (or those named), print and write the table."""
    p = argparse.ArgumentParser(prog="python -m tests.conformance.mutant_report")
    p.add_argument("names", nargs="*", help="mutant class names (default: all)")
    p.add_argument("--full", action="store_true", help="the whole suite per mutant (slow)")
    p.add_argument("-n", dest="workers", default="0", help="pytest-xdist workers (--full only)")
    p.add_argument("--out", default="reports/mutant-report.md", help="Markdown file to write")
    ns = p.parse_args(argv)
    mutants.register()
    from test_mutant_corpus import EQUIVALENT

    picked = [c for c in mutants.MUTANTS if not ns.names or c.__name__ in ns.names]
    results: dict[type, Hunt] = {}
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for c in picked:
            results[c] = (hunt_full(c, Path(tmp), ns.workers) if ns.full
                          else hunt(mutants.backend_name(c), c.cases))
    text = report_table(results, EQUIVALENT)
    text += f"\n{len(picked)} mutants in {time.perf_counter() - t0:.1f} s " \
            f"({'full suite' if ns.full else 'CI mode: relevant cases, first failure'})\n"
    Path(ns.out).parent.mkdir(parents=True, exist_ok=True)
    Path(ns.out).write_text(text, encoding="utf-8")
    print(text)
    survivors = [c for c, h in results.items() if not h.killed and c.__name__ not in EQUIVALENT]
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
