#!/usr/bin/env bash
# Every GPU check in one run, for a GPU machine that is lent for minutes: the CUDA tests, the batched corruption
# path against the numpy path, its speed, make-c end to end on CUDA, and the runner on CUDA.
#
#     OUT=bench/out/gpu PYTHON=python3 bench/gpu_checks.sh [STEP ...]   # steps: tests corruptions_check
#                                                                     # corruptions_speed make_c runner (all)
#
# Each step has its own time limit, so one slow step cannot take the others' time; logs and reports go to
# $OUT. Needs CPBENCH_CONFORMANCE_DIR (or ../shared/conformance) with imagenet_c/ and frost/.
set -u
OUT=${OUT:-bench/out/gpu}
PY=${PYTHON:-python3}
mkdir -p "$OUT"
export PYTHONPATH=${PYTHONPATH:+$PYTHONPATH:}$PWD PYTHONUNBUFFERED=1

STEPS=" $* "
step() {  # step NAME SECONDS COMMAND...: runs it under a time limit, logs to $OUT/NAME.log
    local name=$1 limit=$2
    shift 2
    [[ $STEPS == "  " || $STEPS == *" $name "* ]] || return 0
    echo "== $name (limit ${limit} s): $*"
    local start=$SECONDS
    timeout "$limit" "$@" >"$OUT/$name.log" 2>&1
    local status=$?
    tail -n 40 "$OUT/$name.log"
    echo "== $name: exit $status after $((SECONDS - start)) s"
}

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
step tests 120 "$PY" -m pytest -q -p no:cacheprovider --continue-on-collection-errors -k cuda tests/corruptions tests/perturbations \
    tests/runner/test_runner_cuda.py
step corruptions_check 75 "$PY" bench/gpu_corruptions_check.py --device cuda
step corruptions_speed 75 "$PY" bench/bench_corruptions.py --device cuda --out "$OUT/corruptions_torch_cuda.md"
step make_c 90 "$PY" bench/bench_make_c.py --images 128 --workers 16 --device cuda --skip-numpy \
    --out "$OUT/make_c_cuda.md"
step runner 240 "$PY" bench/bench_runner.py --device cuda --images 12000 --replicate 6 --clips 32 \
    --rss-sizes 3000 12000 --data /tmp/runner-data --out "$OUT/runner_cuda.md"
