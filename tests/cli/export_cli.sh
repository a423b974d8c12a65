#!/usr/bin/env bash
# export_model's round trip against Hugging Face: for every family, the same tiny fine-tune and
# export as tests/reference/make_export_fixtures.py recorded (tests/cli/tiny_export.sh), redone
# with this build; tinytune's logits of the exported model (eval_adapter --inputs, no adapter)
# must equal the logits HF computed from its own load of that directory
# (tests/fixtures/export/hf_logits.safetensors) to 1e-5 relative. Then the exported files
# themselves, and the errors. Usage (ctest runs it): export_cli.sh BIN_DIR FIXTURE_DIR
set -uo pipefail
bin_dir="$1"; fixtures="$2"; here="$(dirname "${BASH_SOURCE[0]}")"
bin="$bin_dir/export_model"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
source "$here/cli_checks.sh"

for family in lora condlora c3a goft qgoft full; do
  if ! bash "$here/tiny_export.sh" "$bin_dir" "$fixtures" "$family" "$tmp/work" >"$tmp/$family.err" 2>&1; then
    check "$family: train and export: $(tail -5 "$tmp/$family.err")" false; continue
  fi
  "$bin_dir/eval_adapter" --task sst2 --model "$tmp/work/$family-export" \
    --inputs "$fixtures/export/inputs.safetensors" --logits-out "$tmp/$family-logits.safetensors" 2>>"$tmp/$family.err"
  out=$(python3 "$here/compare_logits.py" "$fixtures/export/hf_logits.safetensors" "$family" \
        "$tmp/$family-logits.safetensors" logits 1e-5 2>&1); rc=$?
  echo "$out"
  check "$family: tinytune's logits of the export equal HF's: $out" test "$rc" -eq 0
done

# The directory HF loads: its files, config with the labels and problem type, no adapter tensor.
lora="$tmp/work/lora-export"
check "export files: $(ls "$lora")" test -f "$lora/config.json" -a -f "$lora/model.safetensors" \
  -a -f "$lora/vocab.txt" -a -f "$lora/tokenizer_config.json"
out=$(python3 - "$lora" <<'PY'
import json, struct, sys
d = sys.argv[1]
config = json.load(open(f"{d}/config.json"))
tok = json.load(open(f"{d}/tokenizer_config.json"))
f = open(f"{d}/model.safetensors", "rb"); header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
names = [k for k in header if k != "__metadata__"]
assert config["id2label"] == {"0": "0", "1": "1"} and config["label2id"] == {"0": 0, "1": 1}, config
assert config["problem_type"] == "single_label_classification", config
assert config["architectures"] == ["BertForSequenceClassification"], config
assert "num_labels" not in config, config
assert tok["tokenizer_class"] == "BertTokenizer" and tok["do_lower_case"] is True, tok
assert not [n for n in names if "lora" in n], names
assert "classifier.weight" in names and "bert.encoder.layer.1.attention.self.query.weight" in names, names
print("ok", len(names), "tensors")
PY
); check "exported config and tensors: $out" test "${out:0:2}" = ok

# Errors: exit 1, a message naming the flag or file, nothing left behind.
expect "existing output dir" 1 "--output-dir: $lora already exists (pass --overwrite" -- \
  --model "$tmp/work/model" --adapter "$tmp/work/lora-run/adapter" --output-dir "$lora"
expect "--overwrite replaces it" 0 "lora adapter merged" -- \
  --model "$tmp/work/model" --adapter "$tmp/work/lora-run/adapter" --output-dir "$lora" --overwrite
mkdir -p "$tmp/empty"
expect "adapter dir without files" 1 "$tmp/empty/adapter_config.json: not found" -- \
  --model "$tmp/work/model" --adapter "$tmp/empty" --output-dir "$tmp/never"
check "no output dir after a failed export" test ! -e "$tmp/never"
expect "missing --output-dir" 2 "--output-dir" -- --model "$tmp/work/model"
touch "$tmp/a_file"  # a directory cannot be made under a file (root may write anywhere else)
expect "unwritable output dir" 1 "$tmp/a_file/x" -- \
  --model "$tmp/work/model" --adapter "$tmp/work/lora-run/adapter" --output-dir "$tmp/a_file/x"
check "no temporary directory left: $(ls "$tmp")" test -z "$(ls -a "$tmp" | grep -F '.tmp-')"
cli_summary export_cli
