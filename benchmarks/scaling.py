"""``python -m benchmarks --scaling``: how the cost of a step grows with its size.

Five families, each a workload at several sizes: the MLP training step by batch size, a
deep MLP by number of layers, the elementwise chain by number of ops and by vector size, and
the Transformer encoder layer by sequence length. At every size xgrad eager, xgrad compiled
(``xgrad.compile``), hand-written raw numpy and PyTorch eager (when installed) run
interleaved in one process, as in the main table; the report gives each as a ratio to raw
numpy. ``--quick`` runs the two smallest sizes of each family for a few steps (CI: it
checks that everything runs, not how fast).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import Workload
from .compiled import LABEL, add_compiled
from .workloads_chain import chain_workload
from .workloads_deep_mlp import deep_mlp_workload
from .workloads_mlp import _workload as mlp_workload
from .workloads_transformer import transformer_workload

__all__ = ["Family", "FAMILIES", "run_scaling", "markdown", "merge_reports", "main"]

#: Batch of the Transformer sequence-length family (the main table's layer uses 16 at
#: sequence 64; 4 keeps sequence 512 to a few hundred ms per step on one core).
TRANSFORMER_BATCH = 4


@dataclass
class Family:
    """Workloads ``make(v)`` for each ``v`` in ``values`` (``quick``: the CI subset)."""

    name: str
    description: str
    param: str
    values: tuple[int, ...]
    make: Callable[[int], Workload]

    @property
    def quick(self) -> tuple[int, ...]:
        return self.values[:2]


FAMILIES: list[Family] = [
    Family("mlp_batch", "MLP 784-128-ReLU-10 training step (cross-entropy, SGD)", "batch",
           (1, 4, 16, 64, 256, 1024, 4096), lambda v: mlp_workload(v)),
    Family("mlp_depth", "MLP of N Linear layers of width 128, batch 64 (cross-entropy, SGD)",
           "layers", (2, 4, 8, 16, 32), lambda v: deep_mlp_workload(f"mlp_depth{v}", v)),
    Family("chain_length", "elementwise chain (mul, sub, tanh, exp) on 32 float32 values, "
           "forward + backward", "ops", (10, 30, 100, 300, 1000),
           lambda v: chain_workload(f"chain_ops{v}", n_ops=v, size=32)),
    Family("chain_size", "elementwise chain of 100 ops, forward + backward", "size",
           (16, 256, 4096, 65536, 100_000),
           lambda v: chain_workload(f"chain_size{v}", n_ops=100, size=v)),
    Family("transformer_seq", f"TransformerEncoderLayer training step (d_model 128, 4 heads, "
           f"ff 512, batch {TRANSFORMER_BATCH}; MSE, SGD)", "seq", (32, 64, 128, 256, 512),
           lambda v: transformer_workload(f"transformer_seq{v}", batch=TRANSFORMER_BATCH, seq=v)),
]


def run_scaling(args: Any, specs: list, measure: Callable, settings: Callable,
                show: Callable) -> dict[str, Any]:
    """Measure every size of every family (the ``--only`` prefixes select families); returns
    ``{"families": [{"name", "param", "points": [{"value", "entry"}]}]}``."""
    import benchmarks as bm

    keys = [k.strip() for k in (args.only or "").split(",") if k.strip()]
    chosen = [f for f in FAMILIES if not keys or any(f.name.startswith(k) for k in keys)]
    if not chosen:
        names = ", ".join(f.name for f in FAMILIES)
        raise SystemExit(f"--only {args.only!r} matches no scaling family; families: {names}")
    seconds, reps, warmup = settings(args)
    out: list[dict[str, Any]] = []
    for fam in chosen:
        points = []
        for v in fam.quick if args.quick else fam.values:
            (w,) = add_compiled([fam.make(v)])
            entry = measure(bm, w, specs, args, reps, warmup, seconds)
            show(entry)
            points.append({"value": v, "entry": entry})
        out.append({"name": fam.name, "description": fam.description, "param": fam.param,
                    "points": points})
    return {"families": out}


def _ratio(entry: dict, label: str) -> str:
    r = entry["results"].get(label)
    if r is None or not r.get("vs_numpy"):
        return "-"
    return f"{r['vs_numpy']:.2f}x"


def _time(us: float) -> str:
    return f"{us / 1000:.2f} ms" if us >= 1000 else f"{us:.0f} µs"


def markdown(report: dict[str, Any], torch_label: str = "torch") -> str:
    """The families as Markdown tables: raw numpy's median, then each implementation's time
    over raw numpy's."""
    lines: list[str] = []
    for fam in report["families"]:
        lines += [f"#### `{fam['name']}`: {fam['description']}", "",
                  f"| {fam['param']} | raw numpy | xgrad eager | xgrad compiled | PyTorch eager "
                  "| compiled / torch |", "|---|---|---|---|---|---|"]
        for p in fam["points"]:
            e = p["entry"]
            base = e["results"].get("numpy", {}).get("median_us")
            vt = e["results"].get(LABEL, {}).get("vs_torch")
            ct = f"{vt:.2f}x" if vt else "-"
            lines.append(f"| {p['value']} | {_time(base) if base else '-'} | "
                         f"{_ratio(e, 'xgrad')} | {_ratio(e, LABEL)} | {_ratio(e, torch_label)} "
                         f"| {ct} |")
        lines.append("")
    return "\n".join(lines)


def merge_reports(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """One report from several ``--scaling`` runs: per size and implementation, the median
    over the runs of its median time and of its ratios (each ratio taken within one run)."""
    import statistics

    first = reports[0]
    fams = []
    for fi, fam in enumerate(first["families"]):
        points = []
        for pi, p in enumerate(fam["points"]):
            runs = [r["families"][fi]["points"][pi]["entry"] for r in reports]
            results: dict[str, Any] = {}
            for label in p["entry"]["results"]:
                got = [e["results"][label] for e in runs if label in e["results"]]
                results[label] = {k: statistics.median(g[k] for g in got)
                                  if all(g.get(k) for g in got) else None
                                  for k in ("median_us", "vs_numpy", "vs_torch")}
            points.append({"value": p["value"], "entry": {"name": p["entry"]["name"],
                                                          "results": results}})
        fams.append({**fam, "points": points})
    return {"families": fams, "runs": len(reports)}


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.scaling --merge a.json b.json ...``: the Markdown tables of the
    median over several ``python -m benchmarks --scaling --json`` runs."""
    import argparse
    import json

    ap = argparse.ArgumentParser(prog="python -m benchmarks.scaling", description=main.__doc__)
    ap.add_argument("--merge", nargs="+", required=True, metavar="JSON")
    args = ap.parse_args(argv)
    reports = []
    for path in args.merge:
        with open(path) as f:
            reports.append(json.load(f))
    print(markdown(merge_reports(reports)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
