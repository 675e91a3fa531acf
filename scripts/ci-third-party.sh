#!/usr/bin/env bash
# Exercise the third-party backend path end to end, as a backend author's CI would:
# install examples/xgrad_arrayapi as a regular (non-editable) package, then run the
# conformance suite on its `arrayapi` backend from a directory outside the source tree,
# so the backend can only come from the installed package's entry point.
#
# Usage: scripts/ci-third-party.sh [extra xgrad-conformance args]
# Env:   XGRAD_CONFORMANCE_WORKERS (default 2), XGRAD_REPORT_DIR (default: a temp dir),
#        KEEP_INSTALLED=1 to leave xgrad-arrayapi installed afterwards.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python}"
WORK="$(mktemp -d)"
REPORT="${XGRAD_REPORT_DIR:-$WORK/report}"

cleanup() {
    if [[ "${KEEP_INSTALLED:-0}" != "1" ]]; then
        "$PY" -m pip uninstall --yes --quiet xgrad-arrayapi >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

echo "== installing examples/xgrad_arrayapi (non-editable)"
# Build from a clean copy so no build/ or *.egg-info lands in the source tree; no build
# isolation, so an offline CI uses the setuptools it already has.
cp -r "$ROOT/examples/xgrad_arrayapi" "$WORK/src"
rm -rf "$WORK/src/build" "$WORK/src"/*.egg-info
"$PY" -m pip install --quiet wheel >/dev/null 2>&1 || true  # older setuptools need it
"$PY" -m pip install --quiet --no-build-isolation "$WORK/src"

cd "$WORK"  # outside the source tree: nothing importable from the checkout by accident
echo "== checking the backend is discovered through the installed entry point"
XGRAD_PLUGINS_STRICT=1 "$PY" - <<'PYEOF'
import importlib.metadata as md

import xgrad
import xgrad_arrayapi

eps = [ep for ep in md.entry_points(group="xgrad") if ep.name == "arrayapi"]
assert eps, "entry point 'arrayapi' in group 'xgrad' is not installed"
assert "site-packages" in xgrad_arrayapi.__file__ or "dist-packages" in xgrad_arrayapi.__file__, \
    f"xgrad_arrayapi imported from {xgrad_arrayapi.__file__}, not from the installed package"
status = xgrad.backends.available()["arrayapi"]
assert status["available"], status
print(f"arrayapi backend from {status['package']}: available")
x = xgrad.randn(3, 4, device="arrayapi", requires_grad=True)
(x.tanh() * 2).sum().backward()
assert x.grad.shape == (3, 4)
PYEOF

echo "== conformance suite on arrayapi (report: $REPORT)"
XGRAD_PLUGINS_STRICT=1 xgrad-conformance arrayapi --out "$REPORT" \
    -n "${XGRAD_CONFORMANCE_WORKERS:-2}" "$@"
