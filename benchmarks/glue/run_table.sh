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
# Recipe (both sides): batch 32, max length 128, 3 epochs, warmup 6%, weight decay 0, clipping
# at 1.0, evaluation at each epoch's end, the best evaluation reported; each method's default
# lr (train_glue --help). Extra arguments after -- go to both programs (e.g. -- --epochs 5);
# give such a variant a --tag, which names its runs <method>+<tag> (e.g. --tag nodropout -- --dropout 0
# --lora-dropout 0 writes runs/table/<side>/<task>/lora-a+nodropout/).
set -euo pipefail
cd "$(dirname "$0")/../.."
source benchmarks/glue/run_state.sh
side=tinytune tasks=rte,mrpc,stsb,cola,sst2 methods=full,lora-a seeds=1,2,3 threads=2 tag= device=cpu
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
    --) shift; break ;;
    *) echo "run_table.sh: unknown argument '$1' (see the header of $0)" >&2; exit 2 ;;
  esac
done
case "$side" in tinytune|torch) ;; *) echo "run_table.sh: --side must be tinytune or torch, got '$side'" >&2; exit 2 ;; esac
case "$device" in cpu|cuda) ;; *) echo "run_table.sh: --device must be cpu or cuda, got '$device'" >&2; exit 2 ;; esac
root=runs/table
[ "$device" = cuda ] && root=runs/table-cuda
recipe=(--batch-size 32 --max-seq-length 128 --epochs 3 --warmup-ratio 0.06 --weight-decay 0
        --max-grad-norm 1.0 --threads "$threads")
method_flags() {  # the flags of a table method name
  case "$1" in
    full) echo "--peft full" ;;
    lora-a) echo "--peft lora --lora-init a" ;;
    lora-b) echo "--peft lora --lora-init b" ;;
    condlora|c3a|goft|qgoft) echo "--peft $1" ;;
    *) echo "run_table.sh: unknown method '$1'" >&2; exit 2 ;;
  esac
}
for task in ${tasks//,/ }; do
  for method in ${methods//,/ }; do
    for seed in ${seeds//,/ }; do
      out="$root/$side/$task/$method${tag:++$tag}/seed$seed"
      run_finished "$out" && continue
      mkdir -p "$out"
      # shellcheck disable=SC2207  # two words or none
      resume=($(resume_flags "$out"))
      echo "== $side $task $method${tag:++$tag} seed $seed${resume:+ (resumed)}"
      # shellcheck disable=SC2046
      if [ "$side" = tinytune ]; then
        "${TRAIN_GLUE:-build/bin/train_glue}" --task "$task" $(method_flags "$method") --seed "$seed" \
          --device "$device" --output-dir "$out" "${recipe[@]}" "${resume[@]}" "$@" >> "$out/log.txt" 2>&1
      else
        "$python" benchmarks/reference/train_glue_torch.py --task "$task" $(method_flags "$method") \
          --seed "$seed" --device "$device" --output "$out/results.json" "${recipe[@]}" "$@" > "$out/log.txt" 2>&1
      fi
      tail -1 "$out/log.txt"
    done
  done
done
