#!/usr/bin/env bash
# Trains LoraHub's upstream modules: one LoRA adapter per GLUE task with train_glue, all of one
# architecture (LoraHub composes modules that share r, alpha and targets). Each run leaves
# <out>/<task>/adapter/ in HF PEFT's layout (peft/adapter_io.h; the best dev evaluation's
# weights) plus results.json; lorahub --modules takes <out>/<task> directly. Finished tasks are
# skipped, so the script can be stopped and started again.
#
#   scripts/lorahub_modules.sh [--tasks cola,sst2,...] [--out runs/lorahub/modules] [--seed 42]
#                              [--model DIR] [--data-dir DIR] [--threads N] [--max-steps-cap N]
#                              [-- train_glue flags]
#   scripts/lorahub_modules.sh --tasks rte,sst2 -- --max-steps 20      (a quick, tiny pool)
#   scripts/lorahub_modules.sh --max-steps-cap 2000    (QQP, MNLI, QNLI, SST-2 stop at 2000 steps)
#
# Default tasks: the eight GLUE tasks but WNLI (635 adversarial examples; no model beats the
# majority class on it), each trained only where <data-dir>/<TASK>/train.tsv exists (a task
# without it is reported and skipped). Recipe: train_glue's defaults — LoRA r=8, alpha 16 on
# query,value, batch 32, lr 5e-4, 3 epochs — plus anything after --. --max-steps-cap N trains a
# task whose 3 epochs at batch 32 exceed N steps for N steps instead (on 2 CPU cores, 3 epochs of
# MNLI or QQP take days; the cap is counted from train.tsv's rows, so it assumes those defaults).
# TRAIN_GLUE=path picks the binary (default build/bin/train_glue).
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/glue/run_state.sh
tasks=cola,sst2,mrpc,stsb,qqp,mnli,qnli,rte out=runs/lorahub/modules seed=42
model=models/all-MiniLM-L6-v2 data_dir=data/glue threads=0 max_steps_cap=0
while [ $# -gt 0 ]; do
  case "$1" in
    --tasks) tasks="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --model) model="$2"; shift 2 ;;
    --data-dir) data_dir="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --max-steps-cap) max_steps_cap="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "lorahub_modules.sh: unknown argument '$1' (see the header of $0)" >&2; exit 2 ;;
  esac
done
train_glue=${TRAIN_GLUE:-build/bin/train_glue}
[ -x "$train_glue" ] || { echo "lorahub_modules.sh: $train_glue not found (build first, or set TRAIN_GLUE)" >&2; exit 2; }
folder() {  # the official GLUE folder of a task
  case "$1" in
    cola) echo CoLA ;; sst2) echo SST-2 ;; mrpc) echo MRPC ;; stsb) echo STS-B ;; qqp) echo QQP ;;
    mnli) echo MNLI ;; qnli) echo QNLI ;; rte) echo RTE ;; wnli) echo WNLI ;;
    *) echo "lorahub_modules.sh: unknown task '$1'" >&2; exit 2 ;;
  esac
}
trained=0
for task in ${tasks//,/ }; do
  dir="$out/$task"
  train_file="$data_dir/$(folder "$task")/train.tsv"
  # A stopped run also leaves adapter/ (its best evaluation so far): only a finished one counts.
  if run_finished "$dir" && [ -f "$dir/adapter/adapter_config.json" ]; then
    trained=$((trained + 1))
    continue
  fi
  if [ ! -f "$train_file" ]; then
    echo "lorahub_modules.sh: skipping $task: $train_file not found (scripts/get_glue.sh $(folder "$task"))" >&2
    continue
  fi
  mkdir -p "$dir"
  cap=()
  if [ "$max_steps_cap" -gt 0 ]; then
    rows=$(($(wc -l < "$train_file") - 1))
    [ $(((rows + 31) / 32 * 3)) -gt "$max_steps_cap" ] && cap=(--max-steps "$max_steps_cap")
  fi
  echo "== module $task (seed $seed${cap:+, ${cap[1]} steps}) -> $dir"
  # shellcheck disable=SC2046  # resume_flags: two words or none
  if ! "$train_glue" --task "$task" --peft lora --model "$model" --data-dir "$data_dir" --seed "$seed" \
      --threads "$threads" --output-dir "$dir" "${cap[@]}" $(resume_flags "$dir") "$@" \
      >> "$dir/log.txt" 2>&1; then
    echo "lorahub_modules.sh: train_glue failed on $task: $(tail -1 "$dir/log.txt")" >&2
    exit 1
  fi
  tail -1 "$dir/log.txt"
  [ -f "$dir/adapter/adapter_config.json" ] || { echo "lorahub_modules.sh: $dir/adapter was not written" >&2; exit 1; }
  trained=$((trained + 1))
done
echo "lorahub_modules.sh: $trained modules in $out"
