#!/usr/bin/env bash
# Check xgrad on a CUDA GPU machine without network access.
#
#   scripts/gpu-check.sh OUTDIR
#
# 1. makes xgrad importable from this working tree (editable install without network, or a
#    PYTHONPATH tree of symlinks when pip cannot install);
# 2. runs the conformance suite on cupy         -> OUTDIR/conformance/, conformance.log
# 3. runs the project tests with XGRAD_DEVICE=cuda -> OUTDIR/pytest.log, pytest-junit.xml
# 4. runs the benchmarks: xgrad on cupy and on numpy, raw numpy, torch on CUDA
#                                                -> OUTDIR/bench.json, bench.log
# Summary in OUTDIR/summary.txt. Exits non-zero if the conformance suite fails (or cannot
# run); test and benchmark failures are reported in the summary. Budget: under 8 minutes.
set -u -o pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PY=${PYTHON:-python}
SUMMARY="$OUT/summary.txt"
: > "$SUMMARY"
log() { echo "[gpu-check] $*" | tee -a "$SUMMARY"; }
START=$(date +%s)
elapsed() { echo $(( $(date +%s) - START ))s; }

log "working tree: $ROOT ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo 'no git'))"
if command -v nvidia-smi > /dev/null; then
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 \
        | sed 's/^/[gpu-check] gpu: /' | tee -a "$SUMMARY"
else
    log "nvidia-smi not found"
fi

# ---- runtime dependencies (no network: report what is missing, install nothing) ----------
MISSING=$("$PY" - <<'EOF'
import importlib.util
need = ["numpy", "pluggy", "safetensors", "tqdm", "cupy", "pytest", "xdist", "torch"]
print(" ".join(m for m in need if importlib.util.find_spec(m) is None))
EOF
)
if [ -n "$MISSING" ]; then
    log "MISSING python modules: $MISSING"
    log "  (no network here; install them from local wheels: pip install --no-index --find-links DIR ...)"
fi
case " $MISSING " in
    *" numpy "*|*" pluggy "*)
        log "FAIL: xgrad cannot be imported without numpy and pluggy"; exit 3 ;;
esac

# ---- make xgrad importable from this tree ------------------------------------------------
MODE=editable
if ! "$PY" -m pip install --no-deps --no-build-isolation --no-index -e . > "$OUT/install.log" 2>&1; then
    MODE=pythonpath
    # core/ is the package xgrad and backends/, plugins/, conformance/ its subpackages: build
    # that layout from symlinks so the files under test are this tree's.
    TREE="$OUT/pythonpath"
    rm -rf "$TREE" && mkdir -p "$TREE/xgrad"
    for f in "$ROOT"/core/*; do ln -s "$f" "$TREE/xgrad/$(basename "$f")"; done
    for sub in backends plugins conformance; do ln -s "$ROOT/$sub" "$TREE/xgrad/$sub"; done
    export PYTHONPATH="$TREE${PYTHONPATH:+:$PYTHONPATH}"
    log "editable install failed (see install.log); using PYTHONPATH=$TREE"
fi
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"  # for `python -m benchmarks`
"$PY" -c "import xgrad, sys; print(xgrad.__file__)" > "$OUT/import.log" 2>&1 \
    || { log "FAIL: import xgrad failed:"; tee -a "$SUMMARY" < "$OUT/import.log"; exit 3; }
log "xgrad importable ($MODE): $(cat "$OUT/import.log")"
"$PY" - <<'EOF' 2>&1 | tee -a "$SUMMARY"
import xgrad
for name, s in xgrad.backends.available().items():
    print(f"[gpu-check] backend {name}: {'available' if s['available'] else s['reason']}")
EOF

# ---- 1. conformance on cupy --------------------------------------------------------------
CONF_RC=0
if command -v xgrad-conformance > /dev/null && [ "$MODE" = editable ]; then
    CONF=(xgrad-conformance)
else
    CONF=("$PY" -m xgrad.conformance.cli)
fi
timeout 150 "${CONF[@]}" cupy --out "$OUT/conformance" > "$OUT/conformance.log" 2>&1 || CONF_RC=$?
tail -n 25 "$OUT/conformance.log" | sed 's/^/[gpu-check]   /' | tee -a "$SUMMARY"
log "conformance on cupy: exit $CONF_RC ($(elapsed))"

# ---- 2. project tests on the GPU ---------------------------------------------------------
PLUGIN=()
[ "$MODE" = pythonpath ] && PLUGIN=(-p xgrad.conformance.pytest_plugin)
XDIST=(-n 8)
case " $MISSING " in *" xdist "*) XDIST=() ;; esac
TEST_RC=0
XGRAD_DEVICE=cuda timeout 150 "$PY" -m pytest "${XDIST[@]}" -q "${PLUGIN[@]}" \
    --junitxml="$OUT/pytest-junit.xml" tests > "$OUT/pytest.log" 2>&1 || TEST_RC=$?
tail -n 15 "$OUT/pytest.log" | sed 's/^/[gpu-check]   /' | tee -a "$SUMMARY"
log "pytest with XGRAD_DEVICE=cuda: exit $TEST_RC ($(elapsed))"
XGRAD_DEVICE=cuda timeout 40 "$PY" -m pytest -q -rs tests/backends/test_cupy_backend.py \
    > "$OUT/pytest-cupy.log" 2>&1
log "tests/backends/test_cupy_backend.py: $(tail -n 1 "$OUT/pytest-cupy.log")"

# ---- 3. benchmarks: cupy vs torch CUDA (and the numpy backend on this machine's CPU) ------
BENCH_RC=0
timeout 100 "$PY" -m benchmarks --device cupy,numpy --torch-device cuda --check --seconds 2 \
    --json "$OUT/bench.json" > "$OUT/bench.log" 2>&1 || BENCH_RC=$?
sed 's/^/[gpu-check]   /' "$OUT/bench.log" | tail -n 60 | tee -a "$SUMMARY"
log "benchmarks: exit $BENCH_RC ($(elapsed))"

log "done in $(elapsed): conformance=$CONF_RC tests=$TEST_RC benchmarks=$BENCH_RC; reports in $OUT"
[ "$CONF_RC" -eq 0 ] || exit 1
exit 0
