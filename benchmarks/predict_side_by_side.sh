#!/usr/bin/env bash
# predict against PyTorch + transformers on this CPU: the same merged model, file, batch and
# threads, the two sides alternating ROUNDS times; prints each side's median sentences/s, their
# ratio, and how many labels the two sides agree on.
#   benchmarks/predict_side_by_side.sh MODEL_DIR OUT_DIR [ROUNDS=5] [THREADS=2] [INPUT]
# MODEL_DIR: a model export_model wrote (e.g. runs/sst2-main/adapter merged into MiniLM):
#   build/bin/export_model --model models/all-MiniLM-L6-v2 --adapter runs/sst2-main/adapter \
#       --output-dir runs/sst2-exported
# INPUT defaults to SST-2 dev (scripts/main.sh fetches it). Both sides time tokenizing, the
# forward passes and formatting, not file reading or model loading. Run on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:?usage: predict_side_by_side.sh MODEL_DIR OUT_DIR [ROUNDS] [THREADS] [INPUT]}
out=${2:?usage: predict_side_by_side.sh MODEL_DIR OUT_DIR [ROUNDS] [THREADS] [INPUT]}
rounds=${3:-5}; threads=${4:-2}; input=${5:-data/glue/SST-2/dev.tsv}
python=${PYTHON:-/work/venv/bin/python}
mkdir -p "$out"
for round in $(seq 1 "$rounds"); do
  OMP_NUM_THREADS=$threads build/bin/predict --model "$model" --input "$input" --threads "$threads" \
    --batch-size 32 --output "$out/tinytune.tsv" --overwrite --quiet 2>&1 \
    | sed -n 's/.*(\([0-9.]*\) sentences\/s).*/\1/p' >>"$out/tinytune.rates"
  "$python" "benchmarks/reference/predict_torch.py" --model "$model" --input "$input" --batch-size 32 \
    --threads "$threads" --output "$out/torch.tsv" 2>/dev/null \
    | "$python" -c 'import json,sys; print(json.load(sys.stdin)["sentences_per_second"])' >>"$out/torch.rates"
done
"$python" - "$out" <<'PY'
import statistics, sys
out = sys.argv[1]
rate = {side: [float(x) for x in open(f"{out}/{side}.rates")] for side in ("tinytune", "torch")}
tt = [line.split("\t")[0] for line in open(f"{out}/tinytune.tsv").read().splitlines()[1:]]
pt = [line.split("\t")[1] for line in open(f"{out}/torch.tsv").read().splitlines()]
same = sum(a == b for a, b in zip(tt, pt))
mt, mp = statistics.median(rate["tinytune"]), statistics.median(rate["torch"])
print(f"tinytune {mt:.1f} sentences/s (rounds {rate['tinytune']})")
print(f"torch    {mp:.1f} sentences/s (rounds {rate['torch']})")
print(f"ratio    {mt / mp:.2f}x; labels agree on {same}/{len(pt)} sentences (files {len(tt)}/{len(pt)})")
PY
