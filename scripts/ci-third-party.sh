#!/usr/bin/env bash
# Exercise the third-party backend path end to end, as a backend author's CI would:
# install an example backend package (default examples/xgrad_arrayapi) as a regular
# (non-editable) package, then run the conformance suite on its backend from a directory
# outside the source tree, so the backend can only come from the installed entry point.
#
# Usage: scripts/ci-third-party.sh [extra xgrad-conformance args]
# Env:   XGRAD_EXAMPLE (folder under examples/, default xgrad_arrayapi; its distribution is
#        the folder name with '-' for '_', its import package the folder name),
#        XGRAD_EXAMPLE_BACKEND (backend name, default arrayapi),
#        XGRAD_CONFORMANCE_WORKERS (default 2), XGRAD_REPORT_DIR (default: a temp dir),
#        KEEP_INSTALLED=1 to leave the example installed afterwards.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python}"
WORK="$(mktemp -d)"
REPORT="${XGRAD_REPORT_DIR:-$WORK/report}"
EXAMPLE="${XGRAD_EXAMPLE:-xgrad_arrayapi}"
BACKEND="${XGRAD_EXAMPLE_BACKEND:-arrayapi}"
DIST="${EXAMPLE//_/-}"
export EXAMPLE BACKEND

cleanup() {
    if [[ "${KEEP_INSTALLED:-0}" != "1" ]]; then
        "$PY" -m pip uninstall --yes --quiet "$DIST" >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

echo "== installing examples/$EXAMPLE (non-editable)"
# Build from a clean copy so no build/ or *.egg-info lands in the source tree; no build
# isolation, so an offline CI uses the setuptools it already has.
cp -r "$ROOT/examples/$EXAMPLE" "$WORK/src"
rm -rf "$WORK/src/build" "$WORK/src"/*.egg-info
"$PY" -m pip install --quiet wheel >/dev/null 2>&1 || true  # older setuptools need it
"$PY" -m pip install --quiet --no-build-isolation "$WORK/src"

cd "$WORK"  # outside the source tree: nothing importable from the checkout by accident
echo "== checking the backend is discovered through the installed entry point"
XGRAD_PLUGINS_STRICT=1 "$PY" - <<'PYEOF'
import importlib
import importlib.metadata as md
import os

import xgrad

example, backend = os.environ["EXAMPLE"], os.environ["BACKEND"]
mod = importlib.import_module(example)
eps = [ep for ep in md.entry_points(group="xgrad") if ep.name == backend]
assert eps, f"entry point {backend!r} in group 'xgrad' is not installed"
assert "site-packages" in mod.__file__ or "dist-packages" in mod.__file__, \
    f"{example} imported from {mod.__file__}, not from the installed package"
status = xgrad.backends.available()[backend]
assert status["available"], status
print(f"{backend} backend from {status['package']}: available")
x = xgrad.randn(3, 4, device=backend, requires_grad=True)
(x.tanh() * 2).sum().backward()
assert x.grad.shape == (3, 4)
PYEOF

echo "== conformance suite on $BACKEND (report: $REPORT)"
XGRAD_PLUGINS_STRICT=1 xgrad-conformance "$BACKEND" --out "$REPORT" \
    -n "${XGRAD_CONFORMANCE_WORKERS:-2}" "$@"
