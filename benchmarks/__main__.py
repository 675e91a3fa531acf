"""``python -m benchmarks``: time every workload in xgrad, raw numpy and PyTorch, interleaved.

Prints a table of medians with the ratios to raw numpy and to PyTorch, and writes JSON with
``--json PATH``. ``--quick`` runs a few iterations only (for CI: it checks that everything
runs, not how fast). See ``benchmarks/README.md``.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from typing import Any


def _parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="a few iterations per workload (CI)")
    ap.add_argument("--device", default="numpy",
                    help="xgrad device(s), comma-separated, e.g. 'numpy' or 'cupy,numpy'")
    ap.add_argument("--torch-device", default="cpu", help="PyTorch device ('cpu', 'cuda')")
    ap.add_argument("--no-torch", action="store_true", help="skip the PyTorch implementations")
    ap.add_argument("--scaling", action="store_true",
                    help="the scaling families (MLP batch and depth, chain length and size, "
                    "Transformer sequence length), eager and compiled; see benchmarks/scaling.py")
    ap.add_argument("--compiled", action="store_true",
                    help="also time each xgrad workload under xgrad.compile (xgrad-compiled)")
    ap.add_argument("--torch-compile", action="store_true",
                    help="also time each PyTorch workload under torch.compile (torch-compiled; "
                    "compiling takes tens of seconds per workload)")
    ap.add_argument("--only", default=None,
                    help="comma-separated workload names (or prefixes) to run, e.g. 'mlp,cnn'")
    ap.add_argument("--threads", type=int, default=None,
                    help="BLAS/torch thread count (default: numpy's BLAS default)")
    ap.add_argument("--seconds", type=float, default=None,
                    help="time budget per workload (default 4, quick 0.5)")
    ap.add_argument("--reps", type=int, default=None,
                    help="maximum repetitions per implementation (default 300, quick 3)")
    ap.add_argument("--check", action="store_true",
                    help="before timing, compare one step of each implementation with raw numpy")
    ap.add_argument("--json", default=None, metavar="PATH", help="write the results as JSON")
    ap.add_argument("--seed", type=int, default=0)
    return ap.parse_args(argv)


def _selected(workloads: list, only: str | None) -> list:
    if not only:
        return workloads
    keys = [k.strip() for k in only.split(",") if k.strip()]
    chosen = [w for w in workloads if any(w.name == k or w.name.startswith(k) for k in keys)]
    if not chosen:
        names = ", ".join(w.name for w in workloads)
        raise SystemExit(f"--only {only!r} matches no workload; workloads: {names}")
    return chosen


def _impl_specs(args: argparse.Namespace) -> list[tuple[str, str, str | None]]:
    """``(label, builder key, device)`` for each implementation to run."""
    specs: list[tuple[str, str, str | None]] = [("numpy", "numpy", None)]
    devices = [d.strip() for d in args.device.split(",") if d.strip()]
    for d in devices:
        specs.append(("xgrad" if devices == ["numpy"] else f"xgrad[{d}]", "xgrad", d))
    if args.compiled:
        from .compiled import LABEL

        for d in devices:
            specs.append((LABEL if devices == ["numpy"] else f"{LABEL}[{d}]", LABEL, d))
    if not args.no_torch:
        label = "torch" if args.torch_device == "cpu" else f"torch[{args.torch_device}]"
        specs.append((label, "torch", args.torch_device))
        if args.torch_compile:
            from .compiled import TORCH_LABEL

            specs.append((TORCH_LABEL if args.torch_device == "cpu" else
                          f"{TORCH_LABEL}[{args.torch_device}]", TORCH_LABEL, args.torch_device))
    return specs


def _fmt_us(us: float | None) -> str:
    if us is None:
        return "-"
    return f"{us / 1000:.2f} ms" if us >= 1000 else f"{us:.1f} us"


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the selected workloads; return the JSON-ready report."""
    import benchmarks as bm

    if args.threads:
        bm.set_threads(args.threads)
    n_threads = args.threads or bm.numpy_threads()[0]
    if not args.no_torch:
        try:
            import torch

            torch.set_num_threads(n_threads)
        except ImportError:
            pass
    if args.scaling:
        args.compiled = True
    seconds, reps, warmup = settings(args)
    report: dict[str, Any] = {
        "command": "python -m benchmarks " + " ".join(sys.argv[1:]),
        "time": time.strftime("%Y-%m-%d %H:%M:%S"), "python": platform.python_version(),
        "machine": platform.machine(), "quick": args.quick, "threads": bm.thread_info(),
        "workloads": []}
    specs = _impl_specs(args)
    if args.scaling:
        from .scaling import run_scaling

        report.update(run_scaling(args, specs, measure, settings, _print_entry))
        report["workloads"] = [p["entry"] for f in report["families"] for p in f["points"]]
        return report
    for w in _selected(bm.all_workloads(), args.only):
        entry = measure(bm, w, specs, args, reps, warmup, seconds)
        report["workloads"].append(entry)
        _print_entry(entry)
    return report


def settings(args: argparse.Namespace) -> tuple[float, int, int]:
    """``(seconds, reps, warmup)`` per workload from the command line."""
    seconds = args.seconds if args.seconds is not None else (0.5 if args.quick else 4.0)
    reps = args.reps if args.reps is not None else (3 if args.quick else 300)
    warmup = 1 if args.quick else 3
    if args.compiled:
        from .compiled import WARMUP

        warmup = max(warmup, WARMUP)  # the compiled steps replay from their fourth call
    if getattr(args, "torch_compile", False):
        from .compiled import TORCH_WARMUP

        warmup = max(warmup, TORCH_WARMUP)
    return seconds, reps, warmup


def measure(bm: Any, w: Any, specs: list, args: argparse.Namespace, reps: int, warmup: int,
            seconds: float) -> dict[str, Any]:
    """Build every implementation of workload ``w`` and time them interleaved; the report
    entry (results with ratios, skipped and failed implementations)."""
    entry: dict[str, Any] = {"name": w.name, "description": w.description, "results": {},
                             "skipped": {}, "errors": {}, "agreement": {}}
    data = w.data(args.seed)
    impls = {}
    for label, key, device in specs:
        try:
            impls[label] = w.builders[key](data, device)
        except bm.Unavailable as exc:
            entry["skipped"][label] = str(exc)
        except Exception as exc:  # noqa: BLE001 - report and go on with the others
            if type(exc).__name__ == "BackendUnavailableError":  # e.g. no GPU here
                entry["skipped"][label] = str(exc)
            else:
                entry["errors"][label] = f"{type(exc).__name__}: {exc}"
    if args.check:
        _check(bm, w, specs, impls, args.seed, entry)
    try:
        times = bm.time_interleaved(impls, reps, warmup=warmup, budget_s=seconds)
    except Exception as exc:  # noqa: BLE001
        entry["errors"]["timing"] = f"{type(exc).__name__}: {exc}"
        times = {}
    for label, ts in times.items():
        entry["results"][label] = bm.summarize(ts)
    _ratios(entry, specs)
    return entry


def _check(bm: Any, w: Any, specs: list, impls: dict, seed: int, entry: dict) -> None:
    ref = bm.one_step(w, "numpy", None, seed)
    for label, key, device in specs:
        if key == "numpy" or label not in impls:
            continue
        try:
            entry["agreement"][label] = bm.max_rel_diff(ref, bm.one_step(w, key, device, seed))
        except Exception as exc:  # noqa: BLE001
            entry["errors"][f"check {label}"] = f"{type(exc).__name__}: {exc}"


def _ratios(entry: dict, specs: list) -> None:
    res = entry["results"]
    base = res.get("numpy", {}).get("median_us")
    torch_label = next((s[0] for s in specs if s[1] == "torch"), None)
    tref = res.get(torch_label, {}).get("median_us") if torch_label else None
    for r in res.values():
        r["vs_numpy"] = r["median_us"] / base if base else None
        r["vs_torch"] = r["median_us"] / tref if tref else None


def _print_entry(entry: dict) -> None:
    print(f"\n{entry['name']}: {entry['description']}")
    for label, r in entry["results"].items():
        vn = f"{r['vs_numpy']:.2f}x numpy" if r["vs_numpy"] else ""
        vt = f"{r['vs_torch']:.2f}x torch" if r["vs_torch"] else ""
        agree = entry["agreement"].get(label)
        ag = f"  (agrees with numpy to {agree:.1e})" if agree is not None else ""
        print(f"  {label:<14} median {_fmt_us(r['median_us']):>10}  (n={r['n']:<3}) "
              f"{vn:>14} {vt:>14}{ag}")
    for label, why in entry["skipped"].items():
        print(f"  {label:<14} skipped: {why}")
    for label, why in entry["errors"].items():
        print(f"  {label:<14} ERROR: {why}")


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns 1 if any implementation failed (not for a skipped one)."""
    args = _parse(argv)
    report = run(args)
    t = report["threads"]
    print(f"\nthreads: numpy BLAS {t['numpy_blas_threads']} ({t['numpy_blas_threads_source']}), "
          f"torch {t.get('torch_threads', '-')}; numpy {t['numpy']} ({t['numpy_blas']}), "
          f"torch {t.get('torch')}")
    if args.scaling:
        from .scaling import markdown

        torch_label = next((s[0] for s in _impl_specs(args) if s[1] == "torch"), "torch")
        print("\n" + markdown(report, torch_label))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
        print(f"wrote {args.json}")
    return 1 if any(w["errors"] for w in report["workloads"]) else 0


if __name__ == "__main__":
    sys.exit(main())
