#!/usr/bin/env bash
# Runs the GLUE comparison table: tasks × methods × seeds, for tinytune (train_glue) and for
# PyTorch + transformers + HF PEFT (benchmarks/reference/train_glue_torch.py), same recipe.
# Each run writes runs/table/<side>/<task>/<method>/seed<S>/results.json; finished runs are
# skipped and a stopped tinytune run continues from its checkpoint, so the script can be stopped
# and started again. Summarise with summarize_table.py.
# TRAIN_GLUE=path picks the tinytune binary (default build/bin/train_glue).
#
#   benchmarks/glue/run_table.sh --side tinytune --tasks rte,mrpc --methods full,lora-a --seeds 1,2,3
#   benchmarks/glue/run_table.sh --side torch    --tasks rte      --methods lora-a,c3a
#
# Methods: full, lora-a, lora-b, condlora, c3a, goft, qgoft (torch: full, lora-a, lora-b, c3a).
# --device cuda runs both sides on the GPU and writes runs/table-cuda/ instead (default cpu;
# issue 5's table is the CPU's). PYTHON=path picks the interpreter with torch (default
# /work/venv/bin/python; python3 on the GPU machine).
# Recipe (both sides): batch 32, max length 128, 3 epochs (SST-2: 1, see table_recipe.sh), warmup
# 6%, weight decay 0, clipping at 1.0, evaluation at each epoch's end, the best evaluation reported; each method's default
# lr (train_glue --help). Extra arguments after -- go to both programs (e.g. -- --epochs 5);
# give such a variant a --tag, which names its runs <method>+<tag> (e.g. --tag nodropout -- --dropout 0
# --lora-dropout 0 writes runs/table/<side>/<task>/lora-a+nodropout/).
# --jobs N runs N runs at a time (default 1), each with --threads threads: a machine with many
# cores or a GPU that one small run leaves mostly idle (e.g. --jobs 8 --threads 2 on 16 cores).
# With more than one job, a failed run does not stop the others; the script exits 1 at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
source benchmarks/glue/run_state.sh
side=tinytune tasks=rte,mrpc,stsb,cola,sst2 methods=full,lora-a seeds=1,2,3 threads=2 tag='' device=cpu jobs=1
python=${PYTHON:-/work/venv/bin/python}
while [ $# -gt 0 ]; do
  case "$1" in
    --side) side="$2"; shift 2 ;;
    --tasks) tasks="$2"; shift 2 ;;
    --methods) methods="$2"; shift 2 ;;
    --seeds) seeds="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --tag) tag="$2"; shift 2 ;;
    --device) device="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "run_table.sh: unknown argument '$1' (see the header of $0)" >&2; exit 2 ;;
  esac
done
case "$side" in tinytune|torch) ;; *) echo "run_table.sh: --side must be tinytune or torch, got '$side'" >&2; exit 2 ;; esac
case "$device" in cpu|cuda) ;; *) echo "run_table.sh: --device must be cpu or cuda, got '$device'" >&2; exit 2 ;; esac
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || { echo "run_table.sh: --jobs must be a positive integer, got '$jobs'" >&2; exit 2; }
root=runs/table
[ "$device" = cuda ] && root=runs/table-cuda
source benchmarks/glue/table_recipe.sh
recipe=("${glue_table_recipe[@]}" --threads "$threads")
method_flags() {  # the flags of a table method name
  case "$1" in
    full) echo "--peft full" ;;
    lora-a) echo "--peft lora --lora-init a" ;;
    lora-b) echo "--peft lora --lora-init b" ;;
    condlora|c3a|goft|qgoft) echo "--peft $1" ;;
    *) echo "run_table.sh: unknown method '$1'" >&2; exit 2 ;;
  esac
}
# run_one TASK METHOD SEED [extra flags...]: one run, skipped when finished, resumed when stopped.
run_one() {
  local task=$1 method=$2 seed=$3
  shift 3
  local out="$root/$side/$task/$method${tag:++$tag}/seed$seed"
  run_finished "$out" && return 0
  local task_flags
  # shellcheck disable=SC2207  # two words or none
  task_flags=($(glue_table_task_flags "$task"))
  mkdir -p "$out"
  local resume
  # shellcheck disable=SC2207  # two words or none
  resume=($(resume_flags "$out"))
  echo "== $side $task $method${tag:++$tag} seed $seed${resume:+ (resumed)}"
  local rc=0
  # shellcheck disable=SC2046
  if [ "$side" = tinytune ]; then
    "${TRAIN_GLUE:-build/bin/train_glue}" --task "$task" $(method_flags "$method") --seed "$seed" \
      --device "$device" --output-dir "$out" "${recipe[@]}" "${task_flags[@]}" "${resume[@]}" "$@" >> "$out/log.txt" 2>&1 || rc=$?
  else
    "$python" benchmarks/reference/train_glue_torch.py --task "$task" $(method_flags "$method") \
      --seed "$seed" --device "$device" --output "$out/results.json" "${recipe[@]}" "${task_flags[@]}" "$@" > "$out/log.txt" 2>&1 || rc=$?
  fi
  echo "$side $task $method${tag:++$tag} seed $seed: $(tail -1 "$out/log.txt")"
  [ "$rc" -eq 0 ] || echo "$side $task $method${tag:++$tag} seed $seed: FAILED with exit code $rc (log: $out/log.txt)" >&2
  return "$rc"
}
failed=0 running=0
for task in ${tasks//,/ }; do
  for method in ${methods//,/ }; do
    method_flags "$method" > /dev/null  # an unknown method stops the script before any run
    for seed in ${seeds//,/ }; do
      if [ "$jobs" -eq 1 ]; then
        run_one "$task" "$method" "$seed" "$@"
        continue
      fi
      if [ "$running" -ge "$jobs" ]; then
        wait -n || failed=1
        running=$((running - 1))
      fi
      run_one "$task" "$method" "$seed" "$@" &
      running=$((running + 1))
    done
  done
done
while [ "$running" -gt 0 ]; do
  wait -n || failed=1
  running=$((running - 1))
done
exit "$failed"
