#!/usr/bin/env bash
# CI for the JAX example backend: install examples/xgrad_jax non-editable (with jax) and run
# the conformance suite on `jax` from outside the source tree (scripts/ci-third-party.sh).
#
# The whole suite compiles one XLA kernel per (op, shape, dtype): 7-15 minutes on 2
# cores. .ci/run runs it whole (XGRAD_JAX_FULL=1); without that variable this script runs
# the bounded mode, --quick (float32 only, directional gradient checks, no second order;
# views, in-place ops, modules, optimizers and RNG all included), about 4 minutes:
#     XGRAD_JAX_FULL=1 scripts/ci-jax.sh          (= xgrad-conformance jax -n 2)
#
# Usage: scripts/ci-jax.sh [extra xgrad-conformance args]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python}"
"$PY" -m pip install --quiet "jax>=0.4.30" || { echo "jax not installable here: skipping the JAX example"; exit 0; }
mode=(--quick)
[[ "${XGRAD_JAX_FULL:-0}" == "1" ]] && mode=()
XGRAD_EXAMPLE=xgrad_jax XGRAD_EXAMPLE_BACKEND=jax exec bash "$ROOT/scripts/ci-third-party.sh" "${mode[@]}" \
    --xfails-file "$ROOT/examples/xgrad_jax/conformance-xfails.txt" "$@"
