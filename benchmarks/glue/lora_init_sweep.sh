#!/usr/bin/env bash
# The LoRA initialisation study (Hayou et al. 2024, docs/families.md §1.2): Init[A] (B = 0, A random)
# against Init[B] (A = 0, B random) over a learning-rate grid, on the given tasks and seeds.
# Runs land in runs/lora_init/<task>/<init>/lr<LR>/seed<S>/ (finished runs are skipped);
# benchmarks/glue/lora_init_report.py turns them into a table and an SVG plot.
#
#   benchmarks/glue/lora_init_sweep.sh --tasks rte,mrpc --seeds 1,2 --lrs 1e-4,3e-4,1e-3,3e-3
# Extra arguments after -- go to train_glue (e.g. -- --epochs 2). TRAIN_GLUE=path picks the
# binary (default build/bin/train_glue).
set -euo pipefail
cd "$(dirname "$0")/../.."
source benchmarks/glue/run_state.sh
tasks=rte,mrpc seeds=1 lrs=1e-4,3e-4,1e-3,3e-3 threads=2
while [ $# -gt 0 ]; do
  case "$1" in
    --tasks) tasks="$2"; shift 2 ;;
    --seeds) seeds="$2"; shift 2 ;;
    --lrs) lrs="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "lora_init_sweep.sh: unknown argument '$1' (see the header of $0)" >&2; exit 2 ;;
  esac
done
for task in ${tasks//,/ }; do
  for lr in ${lrs//,/ }; do
    for init in a b; do
      for seed in ${seeds//,/ }; do
        out="runs/lora_init/$task/$init/lr$lr/seed$seed"
        run_finished "$out" && continue
        mkdir -p "$out"
        echo "== $task init $init lr $lr seed $seed"
        "${TRAIN_GLUE:-build/bin/train_glue}" --task "$task" --peft lora --lora-init "$init" --lr "$lr" --seed "$seed" \
          --batch-size 32 --max-seq-length 128 --epochs 3 --warmup-ratio 0.06 --threads "$threads" \
          --output-dir "$out" $(resume_flags "$out") "$@" >> "$out/log.txt" 2>&1 ||
          { tail -3 "$out/log.txt"; exit 1; }
        tail -1 "$out/log.txt"
      done
    done
  done
done
