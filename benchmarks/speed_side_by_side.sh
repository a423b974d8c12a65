#!/usr/bin/env bash
# tinytune against PyTorch + transformers + HF PEFT on this CPU, the two sides alternating, one
# run at a time, ROUNDS rounds; then the median of each side (benchmarks/speed_summary.py).
#   benchmarks/speed_side_by_side.sh OUT_DIR [ROUNDS=3] [THREADS=2] [STEPS=60]
# Inference: SST-2 dev encoded by bert_encode / encode_torch.py (sentences/s). Training: SST-2,
# LoRA (q,v, r 8) and full fine-tuning, STEPS optimizer steps of batch 32, the timed region being
# the optimizer steps alone on both sides (examples/s; peak RSS). Needs models/all-MiniLM-L6-v2,
# data/glue/SST-2 (scripts/main.sh fetches both), build/bin and a Python with torch,
# transformers and peft (PYTHON, default /work/venv/bin/python). Run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: speed_side_by_side.sh OUT_DIR [ROUNDS] [THREADS] [STEPS]}
rounds=${2:-3}; threads=${3:-2}; steps=${4:-60}
python=${PYTHON:-/work/venv/bin/python}
mkdir -p "$out"
recipe=(--task sst2 --seed 1 --batch-size 32 --max-seq-length 128 --warmup-ratio 0.06
        --weight-decay 0 --max-grad-norm 1.0 --max-steps "$steps" --threads "$threads")
for round in $(seq 1 "$rounds"); do
  echo "round $round: inference" >&2
  OMP_NUM_THREADS=$threads build/bin/bert_encode --threads "$threads" 2>/dev/null | tail -1 \
    >"$out/infer-tinytune-$round.json"
  "$python" benchmarks/reference/encode_torch.py --threads "$threads" 2>/dev/null | tail -1 \
    >"$out/infer-torch-$round.json"
  for method in lora full; do
    echo "round $round: training, $method" >&2
    rm -rf "$out/tt-$method-$round"
    OMP_NUM_THREADS=$threads build/bin/train_glue "${recipe[@]}" --peft "$method" --device cpu \
      --no-epoch-eval --output-dir "$out/tt-$method-$round" >/dev/null 2>&1
    cp "$out/tt-$method-$round/results.json" "$out/train-tinytune-$method-$round.json"
    "$python" benchmarks/reference/train_glue_torch.py "${recipe[@]}" --peft "$method" \
      --output "$out/train-torch-$method-$round.json" >/dev/null 2>&1
  done
done
"$python" benchmarks/speed_summary.py "$out"
