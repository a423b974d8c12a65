#!/usr/bin/env bash
# A deterministic tiny fine-tune and export, shared by the round-trip test
# (tests/cli/export_cli.sh) and the script that records HF's logits for it
# (tests/reference/make_export_fixtures.py): the tiny BERT fixture, a synthetic SST-2 task,
# train_glue for 6 steps with a fixed seed on one thread (lr high enough that every family
# moves its weights well past the comparison's tolerance), then export_model (for full
# fine-tuning: train_glue's own <output-dir>/model/).
# Usage: tiny_export.sh BIN_DIR FIXTURE_DIR FAMILY WORK_DIR   -> WORK_DIR/<FAMILY>-export/
set -euo pipefail
bin="$1"; fixtures="$2"; family="$3"; work="$4"
if [ ! -d "$work/model" ]; then
  mkdir -p "$work/model" "$work/glue/SST-2"
  cp "$fixtures/tiny_bert/config.json" "$fixtures/tiny_bert/model.safetensors" "$work/model/"
  cp "$fixtures/vocab_small.txt" "$work/model/vocab.txt"
  { echo -e "sentence\tlabel"
    for i in $(seq 1 100); do echo -e "the movie is very good\t1"; echo -e "we play a bad day\t0"
                              echo -e "a city of good time\t1"; echo -e "they run a bad year\t0"; done
  } > "$work/glue/SST-2/train.tsv"
  head -33 "$work/glue/SST-2/train.tsv" > "$work/glue/SST-2/dev.tsv"
fi
case "$family" in
  lora)     flags=(--lr 2e-2 --target-modules query,key,value,dense --lora-r 4) ;;
  condlora) flags=(--lr 2e-2 --lora-r 4) ;;
  c3a)      flags=(--lr 0.5 --target-modules query,key,value,dense --c3a-block-size 16) ;;
  goft)     flags=(--lr 5e-2) ;;
  qgoft)    flags=(--lr 5e-2) ;;
  full)     flags=(--lr 1e-3) ;;
  *) echo "tiny_export.sh: unknown family '$family'" >&2; exit 2 ;;
esac
run="$work/$family-run" out="$work/$family-export"
rm -rf "$run" "$out"
"$bin/train_glue" --task sst2 --model "$work/model" --data-dir "$work/glue" --peft "$family" \
  --max-steps 6 --batch-size 8 --eval-batch-size 16 --seed 7 --threads 1 --device cpu \
  --output-dir "$run" "${flags[@]}" >"$run.log" 2>&1 || { cat "$run.log" >&2; exit 1; }
if [ "$family" = full ]; then
  cp -r "$run/model" "$out"
else
  "$bin/export_model" --model "$work/model" --adapter "$run/adapter" --output-dir "$out" 2>>"$run.log" \
    || { cat "$run.log" >&2; exit 1; }
fi
