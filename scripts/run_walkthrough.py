"""Run a Markdown walkthrough exactly as written: write its files, run its commands.

A fenced block right after ``<!-- write: PATH -->`` is written to ``PATH`` (relative to a
fresh working folder). In a ``console`` block each ``$ command`` line runs in that folder
with bash, in order; the lines after it, up to the next ``$``, are its expected output and
must appear in what it printed. A failing command, or missing output, exits non-zero.

Usage: python scripts/run_walkthrough.py docs/first-green-run.md [--keep]
``pip``, ``python`` and the console scripts resolve to this interpreter's environment.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

WRITE = re.compile(r"<!--\s*write:\s*(\S+)\s*-->")
FENCE = re.compile(r"^```(\w*)\s*$")


def steps(text: str) -> list[tuple[str, str, object]]:
    """``("write", path, content)`` and ``("run", command, expected_lines)`` in page order."""
    out: list[tuple[str, str, object]] = []
    lines = text.splitlines()
    target, i = None, 0
    while i < len(lines):
        m = WRITE.search(lines[i])
        if m:
            target = m.group(1)
            i += 1
            continue
        f = FENCE.match(lines[i])
        if not f:
            i += 1
            continue
        j = i + 1
        while not lines[j].startswith("```"):
            j += 1
        body = lines[i + 1:j]
        if target is not None:
            out.append(("write", target, "\n".join(body) + "\n"))
        elif f.group(1) == "console":
            for line in body:
                if line.startswith("$ "):
                    out.append(("run", line[2:], []))
                elif line.strip() and out and out[-1][0] == "run":
                    out[-1][2].append(line.strip())
        target, i = None, j + 1
    return out


def run(path: Path, workdir: Path) -> int:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    for kind, what, extra in steps(path.read_text()):
        if kind == "write":
            dest = workdir / what
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(extra)
            print(f"== wrote {what}", flush=True)
            continue
        print(f"$ {what}", flush=True)
        proc = subprocess.run(["bash", "-c", what], cwd=workdir, env=env, text=True,
                              capture_output=True)
        printed = proc.stdout + proc.stderr
        print(printed[-3000:], end="" if printed.endswith("\n") else "\n", flush=True)
        if proc.returncode != 0:
            print(f"FAILED: `{what}` exited with {proc.returncode}", file=sys.stderr)
            return 1
        shown = [ln.strip() for ln in printed.splitlines()]
        missing = [ln for ln in extra if ln not in shown]
        if missing:
            print(f"FAILED: `{what}` did not print {missing}", file=sys.stderr)
            return 1
    print(f"== {path}: every step ran as written")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("page", type=Path)
    ap.add_argument("--keep", action="store_true", help="keep the working folder")
    args = ap.parse_args(argv)
    page = args.page.resolve()
    if args.keep:
        work = Path(tempfile.mkdtemp(prefix="walkthrough-"))
        print(f"== working folder {work}")
        return run(page, work)
    with tempfile.TemporaryDirectory(prefix="walkthrough-") as work:
        return run(page, Path(work))


if __name__ == "__main__":
    sys.exit(main())
