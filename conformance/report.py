"""The conformance report: an op x dtype x backend matrix as JSON and Markdown."""
from __future__ import annotations

import json
import os
from typing import Any

__all__ = ["build_report", "write_reports", "markdown", "cell"]

_RANK = {"failed": 4, "xpass": 4, "error": 4, "xfail": 2, "passed": 1, "skipped": 0}


def _fused_info(backend: str) -> dict:
    try:
        from xgrad.backends import describe

        info = describe(backend)
        return {"fused_native": info["fused_ops"], "fused_missing": info["fused_ops_missing"],
                "dtypes": info["dtypes"], "device": info["device"]}
    except Exception as exc:  # noqa: BLE001 - a report must still be written
        return {"error": f"{type(exc).__name__}: {exc}"}


def build_report(results: list[dict], sel: Any) -> dict:
    """The JSON-able report of a run from per-test ``results``."""
    import xgrad

    from .sampling import seed_salt, shape_budget

    matrix: dict[str, dict] = {}
    summary = {k: 0 for k in ("passed", "failed", "skipped", "xfail", "xpass")}
    for r in sorted(results, key=lambda r: (r["op"], r["backend"], r["dtype"], r["check"])):
        summary[r["outcome"]] = summary.get(r["outcome"], 0) + 1
        slot = matrix.setdefault(r["op"], {}).setdefault(r["backend"], {}).setdefault(
            r["dtype"], {"outcome": "skipped", "checks": {}})
        slot["checks"][r["check"]] = r["outcome"]
        if _RANK.get(r["outcome"], 0) > _RANK.get(slot["outcome"], 0):
            slot["outcome"] = r["outcome"]
    summary["total"] = len(results)
    dtypes = list(sel.dtypes) + sorted({r["dtype"] for r in results} - set(sel.dtypes))
    return {
        "xgrad_version": getattr(xgrad, "__version__", "?"),
        "backends": {b: _fused_info(b) for b in sel.backends},
        "dtypes": dtypes,
        "gradcheck": sel.mode,
        "seed": seed_salt(),
        "shape_budget": shape_budget(),
        "summary": summary,
        "matrix": matrix,
        "results": sorted(results, key=lambda r: r["nodeid"]),
    }


def cell(slot: dict | None) -> str:
    """One Markdown/terminal cell: pass, skip, xfail, or FAIL with the failing checks."""
    if slot is None:
        return "-"
    out = slot["outcome"]
    if out in ("failed", "xpass"):
        bad = [c for c, o in slot["checks"].items() if o in ("failed", "xpass")]
        return "FAIL: " + ", ".join(bad)
    return {"passed": "pass", "skipped": "skip", "xfail": "xfail"}.get(out, out)


def markdown(report: dict) -> str:
    """The report as a Markdown document."""
    s = report["summary"]
    lines = ["# xgrad conformance report", "",
             f"xgrad {report['xgrad_version']}; dtypes {', '.join(report['dtypes'])}; "
             f"gradient check: {report['gradcheck']}; seed {report.get('seed', 0)} "
             f"(replay with `xgrad-conformance ... --seed {report.get('seed', 0)}`)", "",
             f"**{s['passed']} passed, {s['failed']} failed, {s['skipped']} skipped, "
             f"{s['xfail']} xfail, {s['xpass']} unexpected passes** ({s['total']} tests)", "",
             "## Fused kernels provided natively", "", "| backend | fused natively | decomposed |",
             "|---|---|---|"]
    for b, info in report["backends"].items():
        lines.append(f"| {b} | {', '.join(info.get('fused_native', [])) or '-'} | "
                     f"{', '.join(info.get('fused_missing', [])) or '-'} |")
    cols = [(b, d) for b in report["backends"] for d in report["dtypes"]]
    lines += ["", "## Op x dtype x backend", "",
              "| op | " + " | ".join(f"{b} {d}" for b, d in cols) + " |",
              "|---|" + "---|" * len(cols)]
    for op, per in sorted(report["matrix"].items()):
        lines.append(f"| `{op}` | " + " | ".join(cell(per.get(b, {}).get(d)) for b, d in cols) + " |")
    bad = [r for r in report["results"] if r["outcome"] in ("failed", "xpass")]
    if bad:
        lines += ["", "## Failures", ""]
        for r in bad:
            msg = r["message"] or ("unexpected pass of a test listed as xfail"
                                   if r["outcome"] == "xpass" else "")
            head, _, repro = msg.partition("--- reproducer ---")
            lines += [f"### `{r['id']}`", "", "```", head.strip(), "```"]
            if repro:
                lines += ["", "<details><summary>reproducer</summary>", "", "```python",
                          repro.replace("--- end reproducer ---", "").strip(), "```", "",
                          "</details>"]
            lines.append("")
    return "\n".join(lines) + "\n"


def write_reports(path: str, results: list[dict], sel: Any) -> dict:
    """Write the JSON report to ``path`` and Markdown next to it (``.md``)."""
    report = build_report(results, sel)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1)
    with open(os.path.splitext(path)[0] + ".md", "w", encoding="utf-8") as f:
        f.write(markdown(report))
    return report
