#!/usr/bin/env bash
# The LoraHub leave-one-task-out table: for each target task, compose the modules of all the
# OTHER tasks (scripts/lorahub_modules.sh) from k of the target's training examples, and
# compare with
#   base       the base model with the same closed-form ridge head (lorahub --baseline base)
#   lora-k     LoRA trained with gradients on the same k examples (train_glue --train-limit k:
#              the same seeded draw as lorahub --shots k), evaluated once, after its last step
#              (choosing the best dev evaluation would select on the test data)
#   lora-full  LoRA on the whole training set: the recipe and seeds of the GLUE table's lora-a
#              (benchmarks/glue/run_table.sh: warmup 6%, best per-epoch evaluation), so its runs
#              are the same runs as that table's
# over targets × k × seeds. Each run writes <out>/<target>/k<k>/<method>/seed<S>/results.json
# (lora-full: <out>/<target>/full/lora-full/seed<S>/); finished runs are skipped, so the script
# can be stopped and started again. Summarise with benchmarks/glue/lorahub_summary.py.
#
#   scripts/lorahub_modules.sh                                     # the module pool first
#   benchmarks/glue/lorahub_table.sh [--targets rte,mrpc,cola,stsb] [--shots 8,16,32]
#       [--seeds 1,2,3,4,5] [--methods lorahub,base,lora-k,lora-full] [--budget 40]
#       [--modules-dir runs/lorahub/modules] [--out runs/lorahub/table] [--model DIR]
#       [--data-dir DIR] [--threads N] [--lorahub-flags "..."] [--lora-k-recipe "..."]
#       [--lora-full-flags "..."]
#
# lorahub: COBYLA, budget 40, alpha 0.05, mode lorahub (peft/lorahub.h); --lorahub-flags are
# added (e.g. "--mode linear --optimizer esch"). lora-k: --lora-k-recipe, default "--epochs 20
# --lr 1e-3 --warmup-ratio 0.1" (few-shot fine-tuning needs more passes and a larger step than
# the full-data recipe), plus --batch-size min(8, k) unless the recipe sets one, and
# --no-epoch-eval (20 dev evaluations would cost 20 times the training). lora-full:
# table_recipe.sh's recipe plus --lora-full-flags. (A flag repeated in these strings takes its
# last value in both programs.) LORAHUB=path and TRAIN_GLUE=path pick the binaries (default
# build/bin/).
set -euo pipefail
cd "$(dirname "$0")/../.."
source benchmarks/glue/run_state.sh
source benchmarks/glue/table_recipe.sh
targets=rte,mrpc,cola,stsb shots=8,16,32 seeds=1,2,3,4,5 methods=lorahub,base,lora-k,lora-full
budget=40 modules_dir=runs/lorahub/modules out=runs/lorahub/table model=models/all-MiniLM-L6-v2
data_dir=data/glue threads=0 lorahub_flags="" lora_full_flags=""
lora_k_recipe="--epochs 20 --lr 1e-3 --warmup-ratio 0.1"
while [ $# -gt 0 ]; do
  case "$1" in
    --targets) targets="$2"; shift 2 ;;
    --shots) shots="$2"; shift 2 ;;
    --seeds) seeds="$2"; shift 2 ;;
    --methods) methods="$2"; shift 2 ;;
    --budget) budget="$2"; shift 2 ;;
    --modules-dir) modules_dir="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --model) model="$2"; shift 2 ;;
    --data-dir) data_dir="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --lorahub-flags) lorahub_flags="$2"; shift 2 ;;
    --lora-k-recipe) lora_k_recipe="$2"; shift 2 ;;
    --lora-full-flags) lora_full_flags="$2"; shift 2 ;;
    *) echo "lorahub_table.sh: unknown argument '$1' (see the header of $0)" >&2; exit 2 ;;
  esac
done
lorahub=${LORAHUB:-build/bin/lorahub}
train_glue=${TRAIN_GLUE:-build/bin/train_glue}
for b in "$lorahub" "$train_glue"; do
  [ -x "$b" ] || { echo "lorahub_table.sh: $b not found (build first, or set LORAHUB / TRAIN_GLUE)" >&2; exit 2; }
done
for m in ${methods//,/ }; do
  case "$m" in lorahub|base|lora-k|lora-full) ;;
    *) echo "lorahub_table.sh: unknown method '$m' (lorahub, base, lora-k, lora-full)" >&2; exit 2 ;;
  esac
done
common=(--model "$model" --data-dir "$data_dir" --threads "$threads")

# run DIR PROGRAM ARGS...: skips finished runs, continues an interrupted train_glue run from its
# checkpoint, logs to DIR/log.txt, prints the result line.
run() {
  local dir="$1"; shift
  run_finished "$dir" && return 0
  mkdir -p "$dir"
  echo "== $dir"
  # shellcheck disable=SC2046  # two words or none
  if ! "$@" $(resume_flags "$dir") >> "$dir/log.txt" 2>&1; then
    echo "lorahub_table.sh: failed: $* (log: $dir/log.txt): $(tail -1 "$dir/log.txt")" >&2
    exit 1
  fi
  tail -1 "$dir/log.txt"
}

has() { [[ ",$methods," == *",$1,"* ]]; }

for target in ${targets//,/ }; do
  # Leave one task out: every module but the target's own.
  pool=""
  for d in "$modules_dir"/*/; do
    d=${d%/}
    [ -f "$d/adapter/adapter_config.json" ] || continue
    [ "$(basename "$d")" = "$target" ] && continue
    pool+="${pool:+,}$d"
  done
  if has lorahub && [ -z "$pool" ]; then
    echo "lorahub_table.sh: no modules for target $target in $modules_dir (run scripts/lorahub_modules.sh)" >&2
    exit 1
  fi
  for seed in ${seeds//,/ }; do
    for k in ${shots//,/ }; do
      base_dir="$out/$target/k$k"
      # shellcheck disable=SC2086  # the *_flags strings are word-split on purpose
      if has lorahub; then
        run "$base_dir/lorahub/seed$seed" "$lorahub" --modules "$pool" --task "$target" --shots "$k" \
          --budget "$budget" --seed "$seed" --output-dir "$base_dir/lorahub/seed$seed" "${common[@]}" $lorahub_flags
      fi
      if has base; then
        run "$base_dir/base/seed$seed" "$lorahub" --baseline base --task "$target" --shots "$k" \
          --seed "$seed" --output-dir "$base_dir/base/seed$seed" "${common[@]}" $lorahub_flags
      fi
      if has lora-k; then
        batch=(--batch-size $((k < 8 ? k : 8)))
        [[ " $lora_k_recipe " == *" --batch-size "* ]] && batch=()
        run "$base_dir/lora-k/seed$seed" "$train_glue" --task "$target" --peft lora --train-limit "$k" \
          --seed "$seed" "${batch[@]}" --no-epoch-eval --output-dir "$base_dir/lora-k/seed$seed" "${common[@]}" \
          $lora_k_recipe
      fi
    done
    if has lora-full; then
      run "$out/$target/full/lora-full/seed$seed" "$train_glue" --task "$target" --peft lora \
        "${glue_table_recipe[@]}" $(glue_table_task_flags "$target") --seed "$seed" --output-dir "$out/$target/full/lora-full/seed$seed" \
        "${common[@]}" $lora_full_flags
    fi
  done
done
echo "lorahub_table.sh: done; python3 benchmarks/glue/lorahub_summary.py $out"
