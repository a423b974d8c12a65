#!/usr/bin/env bash
# predict as a user meets it: on a tiny fine-tuned LoRA adapter, its labels equal train_glue's
# evaluation (eval_adapter, the same loop) sentence by sentence; the exported model labels
# alike; TSV, CSV, JSONL and stdin in, TSV and JSONL out; GLUE submission files; bad input is
# exit 1 with a message naming the file or flag and no output file.
# Usage (ctest runs it): predict_cli.sh BIN_DIR FIXTURE_DIR
set -uo pipefail
bin_dir="$1"; fixtures="$2"; here="$(dirname "${BASH_SOURCE[0]}")"
bin="$bin_dir/predict"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
source "$here/cli_checks.sh"

# The tiny model and task of tests/cli/tiny_export.sh; a LoRA adapter trained on it long enough
# that its predictions on unseen sentences differ from row to row; its export.
bash "$here/tiny_export.sh" "$bin_dir" "$fixtures" lora "$tmp/work" >"$tmp/setup.log" 2>&1 \
  || { cat "$tmp/setup.log"; echo "predict_cli: setup failed"; exit 1; }
model="$tmp/work/model" adapter="$tmp/run/adapter" exported="$tmp/exported"
"$bin_dir/train_glue" --task sst2 --model "$model" --data-dir "$tmp/work/glue" --peft lora --lr 5e-3 \
  --head-lr 5e-2 --max-steps 60 --batch-size 8 --seed 7 --threads 1 --device cpu --output-dir "$tmp/run" \
  >"$tmp/train.log" 2>&1 || { tail -5 "$tmp/train.log"; echo "predict_cli: train_glue failed"; exit 1; }
"$bin_dir/export_model" --model "$model" --adapter "$adapter" --output-dir "$exported" 2>>"$tmp/train.log" \
  || { tail -5 "$tmp/train.log"; echo "predict_cli: export_model failed"; exit 1; }
names=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['tinytune_label_names'])" "$adapter/adapter_config.json")
check "train_glue stores the label names in adapter_config.json: $names" test "$names" = "['0', '1']"

# A dev set the adapter has not seen, on which its predictions differ from row to row.
mkdir -p "$tmp/hard/SST-2"
python3 - "$tmp/hard/SST-2/dev.tsv" <<'PY'
import random, sys
random.seed(3)
words = "the movie is very not a city day year time we they play run good bad".split()
with open(sys.argv[1], "w") as f:
    f.write("sentence\tlabel\n")
    for i in range(64):
        f.write(" ".join(random.choice(words) for _ in range(random.randint(2, 9))) + f"\t{i % 2}\n")
PY
dev="$tmp/hard/SST-2/dev.tsv"
eval_line=$("$bin_dir/eval_adapter" --task sst2 --model "$model" --adapter "$adapter" --data-dir "$tmp/hard" \
            --eval-batch-size 16 --threads 1 --predictions-out "$tmp/eval_predictions.txt" 2>/dev/null)
"$bin" --model "$model" --adapter "$adapter" --input "$dev" --output "$tmp/pred.tsv" --batch-size 16 --threads 1 \
  2>"$tmp/pred.err"; rc=$?
check "predict on dev: exit $rc: $(tail -c 500 "$tmp/pred.err")" test "$rc" -eq 0
tail -n +2 "$tmp/pred.tsv" | cut -f1 >"$tmp/pred_labels.txt"
check "predict's label equals the evaluation's, sentence by sentence: $(diff "$tmp/eval_predictions.txt" "$tmp/pred_labels.txt" | head -5)" \
  cmp -s "$tmp/eval_predictions.txt" "$tmp/pred_labels.txt"
check "the predictions are not all one class (the comparison means something)" \
  test "$(sort -u "$tmp/pred_labels.txt" | wc -l)" -eq 2
accuracy=$(tail -n +2 "$dev" | cut -f2 | paste - "$tmp/pred_labels.txt" | awk '{n++; c += ($1 == $2)} END {print c / n}')
eval_accuracy=$(sed -E 's/.*accuracy=([0-9.e-]+).*/\1/' <<<"$eval_line")
check "accuracy from predict ($accuracy) equals eval_adapter's ($eval_line)" \
  awk -v a="$accuracy" -v b="$eval_accuracy" 'BEGIN {exit !(a - b < 1e-9 && b - a < 1e-9)}'
check "progress bar on stderr" grep -qF "64/64" "$tmp/pred.err"
check "TSV header names the classes: $(head -1 "$tmp/pred.tsv")" test "$(head -1 "$tmp/pred.tsv")" = $'label\t0\t1'

# The exported model (no adapter) labels as the adapter does, with the same probabilities.
"$bin" --model "$exported" --input "$dev" --output "$tmp/pred_exported.tsv" --quiet 2>"$tmp/exp.err"
out=$(paste "$tmp/pred.tsv" "$tmp/pred_exported.tsv" | tail -n +2 | awk -F'\t' '
  $1 != $4 || ($2 - $5) ^ 2 > 1e-10 || ($3 - $6) ^ 2 > 1e-10 {bad++} END {print bad + 0}')
check "exported model's predictions equal the adapter's ($out rows differ): $(cat "$tmp/exp.err")" test "$out" = 0

# Formats: JSONL out; stdin in; CSV with quoted fields in; a column chosen by name.
"$bin" --model "$model" --adapter "$adapter" --input "$dev" --output "$tmp/pred.jsonl" --quiet 2>/dev/null
out=$(python3 - "$tmp/pred.jsonl" "$tmp/pred_labels.txt" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
labels = open(sys.argv[2]).read().split()
assert [r["label"] for r in rows] == labels, "labels differ from the TSV output"
assert all(set(r["probabilities"]) == {"0", "1"} and abs(sum(r["probabilities"].values()) - 1) < 1e-6 for r in rows)
print("ok")
PY
); check "JSONL output: $out" test "$out" = ok
"$bin" --model "$model" --adapter "$adapter" --input - --output "$tmp/pred_stdin.tsv" --quiet <"$dev" 2>/dev/null
check "stdin gives the same output as the file" cmp -s "$tmp/pred.tsv" "$tmp/pred_stdin.tsv"
{ echo 'id,review,stars'
  tail -n +2 "$dev" | head -3 | cut -f1 | awk '{print NR ",\"" $0 "\",5"}'
  echo '4,"a ""quoted"", comma, and
newline review",3'; } >"$tmp/reviews.csv"
"$bin" --model "$model" --adapter "$adapter" --input "$tmp/reviews.csv" --text-columns review \
  --output "$tmp/reviews.tsv" --quiet 2>"$tmp/csv.err"; rc=$?
check "CSV input: exit $rc, 4 rows, the first 3 labelled as in the TSV: $(cat "$tmp/csv.err")" \
  test "$rc" -eq 0 -a "$(tail -n +2 "$tmp/reviews.tsv" | wc -l)" -eq 4 \
  -a "$(tail -n +2 "$tmp/reviews.tsv" | head -3 | cut -f1)" = "$(head -3 "$tmp/pred_labels.txt")"

# --label-column: the input's labels ("0"/"1", the adapter's class names) scored; the accuracy
# is eval_adapter's on the same file.
"$bin" --model "$model" --adapter "$adapter" --input "$dev" --label-column label --output "$tmp/pred_scored.tsv" \
  --metrics-out "$tmp/metrics.json" --quiet 2>"$tmp/scored.err"; rc=$?
scored_accuracy=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["accuracy"])' "$tmp/metrics.json" 2>&1)
check "predict --label-column: exit $rc, accuracy $scored_accuracy equals eval_adapter's ($eval_line): $(cat "$tmp/scored.err")" \
  awk -v a="$scored_accuracy" -v b="$eval_accuracy" 'BEGIN {exit !(a - b < 1e-9 && b - a < 1e-9)}'
check "the predictions are the same with --label-column" cmp -s "$tmp/pred.tsv" "$tmp/pred_scored.tsv"

# GLUE submission files: the benchmark's names, "index<TAB>prediction", its label strings.
"$bin" --model "$model" --adapter "$adapter" --task sst2 --input "$fixtures/glue/SST-2/test.tsv" \
  --output "$tmp/submission" --quiet 2>/dev/null
check "SST-2.tsv: $(cat "$tmp/submission/SST-2.tsv" 2>&1)" test "$(head -1 "$tmp/submission/SST-2.tsv")" = $'index\tprediction' \
  -a "$(tail -n +2 "$tmp/submission/SST-2.tsv" | cut -f1 | tr '\n' ' ')" = "0 1 " \
  -a -z "$(tail -n +2 "$tmp/submission/SST-2.tsv" | cut -f2 | grep -vxE '0|1')"
# The tiny base model (no adapter) has a 3-class head: MNLI's class names, in MNLI-m.tsv.
"$bin" --model "$model" --task mnli --input "$fixtures/glue/MNLI/test_matched.tsv" \
  --output "$tmp/submission" --quiet 2>"$tmp/mnli.err" || true
check "MNLI-m.tsv: $(cat "$tmp/submission/MNLI-m.tsv" "$tmp/mnli.err" 2>&1)" test -f "$tmp/submission/MNLI-m.tsv" \
  -a "$(tail -n +2 "$tmp/submission/MNLI-m.tsv" | wc -l)" -eq 1 \
  -a -z "$(tail -n +2 "$tmp/submission/MNLI-m.tsv" | cut -f2 | grep -vxE 'contradiction|entailment|neutral')"
expect "--task with an adapter of another class count" 1 "the model has 2 outputs but MNLI needs 3" -- \
  --model "$model" --adapter "$adapter" --task mnli --input "$fixtures/glue/MNLI/test_matched.tsv" --output "$tmp/sub2"

# Bad input: exit 1 naming the flag or file, and no output file.
common=(--model "$model" --adapter "$adapter" --input "$dev")
expect "existing output" 1 "--output: $tmp/pred.tsv already exists (pass --overwrite" -- "${common[@]}" --output "$tmp/pred.tsv"
expect "--overwrite replaces it" 0 "wrote 64 predictions" -- "${common[@]}" --output "$tmp/pred.tsv" --overwrite --quiet
mkdir -p "$tmp/empty"
expect "adapter dir without files" 1 "$tmp/empty/adapter_config.json: not found" -- \
  --model "$model" --adapter "$tmp/empty" --input "$dev" --output "$tmp/none1.tsv"
# An adapter for another model: the same BERT cut to one layer; the adapter has layer 1's tensors.
mkdir -p "$tmp/one_layer"
cp "$model/vocab.txt" "$tmp/one_layer/"
sed -E 's/"num_hidden_layers": 2/"num_hidden_layers": 1/' "$model/config.json" >"$tmp/one_layer/config.json"
python3 - "$model/model.safetensors" "$tmp/one_layer/model.safetensors" <<'PY'
import json, struct, sys
src = open(sys.argv[1], "rb"); n = struct.unpack("<Q", src.read(8))[0]; header = json.loads(src.read(n)); data = src.read()
out, blob = {}, b""
for name, e in header.items():
    if name == "__metadata__" or "encoder.layer.1." in name: continue
    b, end = e["data_offsets"]; out[name] = dict(e, data_offsets=[len(blob), len(blob) + end - b]); blob += data[b:end]
text = json.dumps(out).encode(); text += b" " * (-len(text) % 8)
open(sys.argv[2], "wb").write(struct.pack("<Q", len(text)) + text + blob)
PY
expect "adapter for another model" 1 "$adapter/adapter_model.safetensors" -- \
  --model "$tmp/one_layer" --adapter "$adapter" --input "$dev" --output "$tmp/none2.tsv"
touch "$tmp/a_file"  # nothing can be created under a file (root may write anywhere else)
expect "unwritable output" 1 "$tmp/a_file/out.tsv" -- "${common[@]}" --output "$tmp/a_file/out.tsv"
expect "missing input" 1 "--input: $tmp/nowhere.tsv: file not found" -- \
  --model "$model" --adapter "$adapter" --input "$tmp/nowhere.tsv" --output "$tmp/none3.tsv"
expect "unknown column" 1 "--text-columns: $dev:1: no column 'review'" -- "${common[@]}" --text-columns review --output "$tmp/none4.tsv"
expect "unknown output format" 1 "--output: $tmp/none5.txt" -- "${common[@]}" --output "$tmp/none5.txt"
printf 'sentence\tlabel\nonly one field\n' >"$tmp/short.tsv"
expect "row with a missing field" 1 "$tmp/short.tsv:2: expected 2 tab-separated fields" -- \
  --model "$model" --adapter "$adapter" --input "$tmp/short.tsv" --output "$tmp/none6.tsv"
expect "missing --input" 2 "--input" -- --model "$model" --output "$tmp/none7.tsv"
expect "--metrics-out without --label-column" 2 "--metrics-out" -- "${common[@]}" --output "$tmp/none8.tsv" \
  --metrics-out "$tmp/none8.json"
expect "existing --metrics-out" 1 "--metrics-out: $tmp/metrics.json already exists" -- "${common[@]}" \
  --label-column label --output "$tmp/none9.tsv" --metrics-out "$tmp/metrics.json"
expect "--label-column with --task" 2 "--label-column" -- --model "$model" --task sst2 \
  --input "$fixtures/glue/SST-2/test.tsv" --output "$tmp/none10" --label-column label
check "no output and no temporary file after the failures: $(ls "$tmp" | grep -E 'none|\.tmp')" \
  test -z "$(ls "$tmp" | grep -E 'none|\.tmp')"
cli_summary predict_cli
