#!/usr/bin/env bash
# Short, seeded train_glue runs on the tiny fixture BERT (full, lora, qgoft), for comparing two
# builds of the trainer run for run (scripts/compare_runs.py). The data is generated the way
# tests/cli/train_glue_cli.sh makes it, so nothing outside the repository is needed.
#   scripts/fixture_runs.sh BIN_DIR OUT_DIR     (BIN_DIR holds train_glue)
set -euo pipefail
bin_dir="$1"; out="$2"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fixtures="$repo/tests/fixtures"
mkdir -p "$out/model" "$out/glue/SST-2"
cp "$fixtures/tiny_bert/config.json" "$fixtures/tiny_bert/model.safetensors" "$out/model/"
cp "$fixtures/vocab_small.txt" "$out/model/vocab.txt"
{ echo -e "sentence\tlabel"
  for i in $(seq 1 60); do
    echo -e "the movie is very good\t1"; echo -e "we play a bad day\t0"
    echo -e "hello world again and again\t1"; echo -e "it is a bad movie\t0"
  done; } > "$out/glue/SST-2/train.tsv"
head -25 "$out/glue/SST-2/train.tsv" > "$out/glue/SST-2/dev.tsv"
# 30 steps, evaluation every 10 (best.h5 and dev metrics move), clipping on, one thread.
common=(--model "$out/model" --data-dir "$out/glue" --task sst2 --threads 1 --seed 7
        --max-steps 30 --batch-size 8 --eval-every 10 --log-every 1 --device cpu)
for peft in full lora qgoft; do
  extra=()
  # qGOFT: a large lambda so its loss term is far from negligible in these few steps.
  [ "$peft" = qgoft ] && extra=(--qgoft-lambda 0.5 --lr 0.05)
  "$bin_dir/train_glue" "${common[@]}" --peft "$peft" "${extra[@]}" --output-dir "$out/$peft" \
    > "$out/$peft.stdout" 2> "$out/$peft.stderr"
done
echo "fixture runs in $out: $(ls -d "$out"/full "$out"/lora "$out"/qgoft | tr '\n' ' ')"
