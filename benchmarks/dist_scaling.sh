#!/usr/bin/env bash
# Data-parallel scaling on the CPU: examples/s of SST-2 LoRA and full fine-tuning for
#   1 rank x 1 thread, 1 rank x 2 threads (OpenMP), 2 ranks x 1 thread (mpirun -np 2),
# the same flags (global batch --batch-size) in each, as one markdown table. The figure is
# results.json's examples_per_second: examples over the seconds spent in optimizer steps
# (TrainResult::train_seconds; no start-up, evaluation or checkpoint writing). Run it on a quiet
# machine with at least two cores; nothing else should be running.
#   benchmarks/dist_scaling.sh BIN_DIR [MODEL_DIR] [DATA_DIR] [STEPS] [BATCH] [-- EXTRA train_glue FLAGS]
# defaults: models/all-MiniLM-L6-v2, data/glue, 60 steps, batch 32. The runs go to a temporary
# directory (kept when KEEP=1 is set, and its path printed).
set -euo pipefail
bin_dir="$1"; model="${2:-models/all-MiniLM-L6-v2}"; data="${3:-data/glue}"; steps="${4:-60}"
batch="${5:-32}"
shift $(($# < 5 ? $# : 5))
[ "${1:-}" = "--" ] && shift
extra=("$@")
mpiexec="${MPIEXEC:-mpirun}"
[ "$(id -u)" -eq 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
out=$(mktemp -d)
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$out"' EXIT

# run PEFT RANKS THREADS: one run into $out/PEFT-RxT; prints "steps train_seconds examples/s".
run() {
  local peft="$1" ranks="$2" threads="$3" dir="$out/$1-$2x$3"
  local args=(--task sst2 --model "$model" --data-dir "$data" --peft "$peft" --device cpu
              --max-steps "$steps" --batch-size "$batch" --threads "$threads" --eval-every 0
              --no-epoch-eval --no-epoch-save --log-every "$steps" --output-dir "$dir" "${extra[@]}")
  if [ "$ranks" -eq 1 ]; then
    "$bin_dir/train_glue" "${args[@]}" >"$dir.log" 2>&1
  else
    # One core a rank (Open MPI's default binding for two ranks), OpenMP kept inside it.
    OMP_NUM_THREADS="$threads" "$mpiexec" -np "$ranks" --bind-to core "$bin_dir/train_glue" "${args[@]}" >"$dir.log" 2>&1
  fi || { echo "dist_scaling: $peft with $ranks x $threads failed; log $dir.log:" >&2; tail -5 "$dir.log" >&2; exit 1; }
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["steps"], r["train_seconds"], r["examples_per_second"])' \
    "$dir/results.json"
}

echo "| peft | ranks x threads | steps | batch | seconds in steps | examples/s | vs 1 x 1 |"
echo "|---|---|---|---|---|---|---|"
for peft in lora full; do
  base=""
  for config in "1 1" "1 2" "2 1"; do
    read -r ranks threads <<<"$config"
    result=$(run "$peft" "$ranks" "$threads")  # a failed run ends the script (set -e)
    read -r done seconds rate <<<"$result"
    [ -z "$base" ] && base="$rate"
    printf "| %s | %s x %s | %s | %s | %.3f | %.1f | %.2fx |\n" "$peft" "$ranks" "$threads" "$done" "$batch" \
      "$seconds" "$rate" "$(python3 -c "print($rate / $base)")"
  done
done
[ "${KEEP:-0}" = 1 ] && echo "runs kept in $out"
exit 0
