#!/usr/bin/env bash
# Run the full conformance suite on several backends with several seeds and print one line per
# (backend, seed): a flaky check shows up as a failure at some seeds only.
#
# Usage: scripts/conformance-seeds.sh "numpy reference immutable arrayapi" "1 2 3 4 5 6 7 8 9 10"
# The immutable and core_only backends are test-only (tests/backends/immutable_numpy.py,
# tests/backends/core_only.py); arrayapi needs
# examples/xgrad_arrayapi installed (pip install -e examples/xgrad_arrayapi).
# Env: CONFORMANCE (default .venv/bin/xgrad-conformance), WORKERS (default 2), OUT (default /tmp/xgrad-seeds).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONF="${CONFORMANCE:-$ROOT/.venv/bin/xgrad-conformance}"
OUT="${OUT:-/tmp/xgrad-seeds}"
backends="${1:-numpy reference immutable}"
seeds="${2:-1 2 3 4 5 6 7 8 9 10}"
# Run from outside the checkout: inside it pytest takes the project's own configuration.
mkdir -p "$OUT" && cd "$OUT" || exit 1
for be in $backends; do
    for seed in $seeds; do
        start=$(date +%s)
        if [[ "$be" == immutable || "$be" == core_only ]]; then
            plugin=$([[ "$be" == immutable ]] && echo immutable_numpy || echo core_only)
            line=$(PYTHONPATH="$ROOT/tests/backends" PYTEST_PLUGINS="$plugin" \
                "$CONF" "$be" -n "${WORKERS:-2}" --seed "$seed" \
                --out "$OUT/$be-$seed" 2>&1 | tail -1)
        else
            line=$("$CONF" "$be" -n "${WORKERS:-2}" --seed "$seed" \
                --out "$OUT/$be-$seed" 2>&1 | tail -1)
        fi
        echo "$be seed $seed ($(( $(date +%s) - start )) s): ${line%%;*}"
    done
done
