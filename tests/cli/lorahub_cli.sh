#!/usr/bin/env bash
# lorahub as a user meets it, on the tiny BERT: modules trained by train_glue compose for a
# target task; bad flags exit 2 naming the flag (an empty module list included), runtime
# errors exit 1 naming the module or file (modules of different shapes, --shots above the
# training set); the saved adapter evaluates to the printed dev metrics; a seed reproduces w.
# Also train_glue --train-limit. Usage (ctest runs it):
#   lorahub_cli.sh LORAHUB TRAIN_GLUE EVAL_ADAPTER FIXTURE_DIR     (KEEP_TMP=DIR keeps its files there)
set -uo pipefail
bin="$1"; train_glue="$2"; eval_adapter="$3"; fixtures="$4"
tmp=${KEEP_TMP:-$(mktemp -d)}; [ -n "${KEEP_TMP:-}" ] || trap 'rm -rf "$tmp"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/cli_checks.sh"
json() {  # json FILE PYTHON-EXPRESSION-OF-r
  python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print($2)" "$1"
}

mkdir -p "$tmp/model" "$tmp/glue/SST-2" "$tmp/glue/RTE" "$tmp/glue/STS-B"
cp "$fixtures/tiny_bert/config.json" "$fixtures/tiny_bert/model.safetensors" "$tmp/model/"
cp "$fixtures/vocab_small.txt" "$tmp/model/vocab.txt"
{ echo -e "sentence\tlabel"; for i in $(seq 1 20); do echo -e "the movie is very good\t1"; echo -e "we play a bad day\t0"; done; } > "$tmp/glue/SST-2/train.tsv"
head -11 "$tmp/glue/SST-2/train.tsv" > "$tmp/glue/SST-2/dev.tsv"
words=(the movie is very good bad day city river bank play run jump year time)
sentence() { local s=""; for _ in 1 2 3 4 5; do s+="${words[RANDOM % ${#words[@]}]} "; done; echo "${s% }"; }
RANDOM=7
{ echo -e "index\tsentence1\tsentence2\tlabel"
  for i in $(seq 0 29); do
    if [ $((i % 2)) -eq 0 ]; then label=entailment; else label=not_entailment; fi
    echo -e "$i\t$(sentence)\t$(sentence)\t$label"
  done; } > "$tmp/glue/RTE/train.tsv"
{ echo -e "index\tsentence1\tsentence2\tlabel"
  for i in $(seq 0 11); do
    if [ $((i % 3)) -eq 0 ]; then label=entailment; else label=not_entailment; fi
    echo -e "$i\t$(sentence)\t$(sentence)\t$label"
  done; } > "$tmp/glue/RTE/dev.tsv"
{ echo -e "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore"
  for i in $(seq 0 19); do echo -e "$i\tmain\tx\t2012\t$i\tnone\tnone\t$(sentence)\t$(sentence)\t$((i % 6)).000"; done
} > "$tmp/glue/STS-B/train.tsv"
head -9 "$tmp/glue/STS-B/train.tsv" > "$tmp/glue/STS-B/dev.tsv"
data=(--model "$tmp/model" --data-dir "$tmp/glue" --threads 1)

# Upstream modules: brief LoRA runs of train_glue (each leaves <output-dir>/adapter).
train() {  # train OUTPUT_DIR ARGS...
  local out="$1"; shift
  "$train_glue" "${data[@]}" --output-dir "$out" --max-steps 6 --batch-size 4 --lr 5e-2 "$@" \
    >"$out.log" 2>&1 || { echo "FAIL: train_glue $*: $(tail -3 "$out.log")"; failures=$((failures + 1)); }
}
train "$tmp/m1" --task sst2 --seed 1 --lora-r 4 --lora-alpha 8
train "$tmp/m2" --task sst2 --seed 2 --lora-r 4 --lora-alpha 16
train "$tmp/m3" --task sst2 --seed 3 --lora-r 4 --lora-alpha 16
train "$tmp/r2" --task sst2 --seed 4 --lora-r 2 --lora-alpha 16
train "$tmp/c3a" --task sst2 --seed 5 --peft c3a --c3a-block-size 16
mods="$tmp/m2,$tmp/m3"
common=(--budget 6 --seed 3 "${data[@]}")
run=(--task rte --shots 8 "${common[@]}")

expect "help" 0 "--modules" -- --help
expect "unknown flag" 2 "--colour" -- --colour red
expect "no modules" 2 "--modules: the module list is empty" -- "${run[@]}"
expect "empty module list" 2 "--modules: the module list is empty" -- --modules "" "${run[@]}"
expect "modules none" 2 "--baseline base" -- --modules none "${run[@]}"
expect "modules and baseline" 2 "leave out --modules" -- --modules "$mods" --baseline base "${run[@]}"
expect "unknown baseline" 2 "--baseline: expected base" -- --baseline lora "${run[@]}"
expect "unknown mode" 2 "--mode: expected lorahub or linear" -- --modules "$mods" --mode svd "${run[@]}"
expect "unknown optimizer" 2 "--optimizer" -- --modules "$mods" --optimizer cma "${run[@]}"
expect "one shot" 2 "--shots" -- --modules "$mods" --task rte --shots 1 "${common[@]}"
expect "zero budget" 2 "--budget" -- --modules "$mods" --task rte --budget 0 "${data[@]}"
expect "negative alpha" 2 "--alpha" -- --modules "$mods" "${run[@]}" --alpha -1
expect "unknown task" 2 "rte2" -- --modules "$mods" --task rte2 "${common[@]}"
expect "non-numeric shots" 2 "--shots" -- --modules "$mods" --task rte --shots many "${common[@]}"
expect "different ranks" 1 "in r: 2 vs 4" -- --modules "$tmp/m2,$tmp/r2" "${run[@]}" --output-dir "$tmp/x1"
expect "different alphas" 1 "lora_alpha: 16 vs 8" -- --modules "$tmp/m1,$tmp/m2" "${run[@]}" --output-dir "$tmp/x2"
cp -r "$tmp/m3/adapter" "$tmp/other_base"
python3 -c "import json,sys; p=sys.argv[1]; c=json.load(open(p)); c['base_model_name_or_path']='google-bert/bert-large-uncased'; json.dump(c, open(p, 'w'))" "$tmp/other_base/adapter_config.json"
expect "different base models" 1 "base model: google-bert/bert-large-uncased vs" -- --modules "$tmp/m2,$tmp/other_base" "${run[@]}" --output-dir "$tmp/x7"
expect "missing module" 1 "$tmp/nowhere" -- --modules "$tmp/m2,$tmp/nowhere" "${run[@]}" --output-dir "$tmp/x3"
expect "a c3a module" 1 "c3a adapter" -- --modules "$tmp/m2,$tmp/c3a" "${run[@]}" --output-dir "$tmp/x4"
expect "more shots than examples" 1 "--shots: asks for 31 examples but" -- --modules "$mods" --task rte --shots 31 "${common[@]}" --output-dir "$tmp/x5"
expect "data dir without the task" 1 "CoLA/train.tsv" -- --modules "$mods" --task cola --shots 8 "${common[@]}" --output-dir "$tmp/x6"

# A composition: results, the adapter, and the same dev metrics from eval_adapter.
out=$("$bin" --modules "$mods" "${run[@]}" --output-dir "$tmp/hub" 2>"$tmp/hub.log"); rc=$?
check "lorahub run exits 0 ($(tail -2 "$tmp/hub.log"))" test "$rc" -eq 0
check "results.json: 2 weights within ±1.5, at most 6 evaluations, dev accuracy" \
  test "$(json "$tmp/hub/results.json" "len(r['weights']) == 2 and all(abs(w) <= 1.5 for w in r['weights']) and 1 <= r['evaluations'] <= 6 and len(r['objective_per_evaluation']) == r['evaluations'] and 'accuracy' in r['dev'] and r['compose_adapt_seconds'] > 0 and len(r['train_indices']) == 8")" = True
check "adapter saved in HF PEFT's layout" test -f "$tmp/hub/adapter/adapter_config.json" -a -f "$tmp/hub/adapter/adapter_model.safetensors"
reeval=$("$eval_adapter" --task rte --merge --adapter "$tmp/hub/adapter" "${data[@]}" 2>/dev/null)
check "eval_adapter on the saved adapter prints lorahub's dev metrics ('$reeval' vs '${out%%  (*}')" test "$reeval" = "${out%%  (*}"
"$bin" --modules "$mods" "${run[@]}" --output-dir "$tmp/hub2" >/dev/null 2>&1
check "the same seed gives the same w and objective values" \
  test "$(json "$tmp/hub/results.json" "r['weights'], r['objective_per_evaluation']")" = "$(json "$tmp/hub2/results.json" "r['weights'], r['objective_per_evaluation']")"
check "the modules move the objective (w != 0 is not just the L1 term)" \
  test "$(json "$tmp/hub/results.json" "len(set(round(v - 0.05 * 0.5, 6) for v in r['objective_per_evaluation'][1:3]) | {round(r['objective_per_evaluation'][0], 6)}) > 1")" = True
check "linear mode runs" "$bin" --modules "$mods" "${run[@]}" --mode linear --optimizer bobyqa --output-dir "$tmp/lin" >/dev/null 2>&1
check "linear mode's adapter has rank N·r" test "$(json "$tmp/lin/adapter/adapter_config.json" "r['r'], r['lora_alpha']")" = "8 8"
"$bin" --modules "$tmp/m2/adapter,$tmp/m3/adapter" "${run[@]}" --output-dir "$tmp/hub3" >/dev/null 2>&1
check "adapter directories and train_glue output directories (adapter/ inside) are the same modules" \
  test "$(json "$tmp/hub/results.json" "r['weights'], r['dev']")" = "$(json "$tmp/hub3/results.json" "r['weights'], r['dev']")"
check "baseline base runs" "$bin" --baseline base "${run[@]}" --output-dir "$tmp/base" >/dev/null 2>&1
check "baseline: no weights, one evaluation, no adapter" \
  test "$(json "$tmp/base/results.json" "r['weights'] == [] and r['evaluations'] == 1 and r['method'] == 'base'")" = True -a ! -e "$tmp/base/adapter"
check "STS-B (regression) target runs" "$bin" --modules "$mods" --task stsb --shots 6 --budget 4 --seed 1 \
  "${data[@]}" --output-dir "$tmp/stsb" >/dev/null 2>&1
check "STS-B reports pearson" test "$(json "$tmp/stsb/results.json" "'pearson' in r['dev']")" = True

# train_glue --train-limit: LoRA on the same k examples.
if "$train_glue" "${data[@]}" --task rte --train-limit 8 --seed 3 --batch-size 4 --epochs 1 \
    --output-dir "$tmp/k8" >"$tmp/k8.log" 2>&1; then
  check "--train-limit 8 trains on 8 examples" grep -q "(8 train" "$tmp/k8.log"
  check "--train-limit is in results.json's config" test "$(json "$tmp/k8/results.json" "r['config']['train_limit']")" = 8
else
  echo "FAIL: train_glue --train-limit 8: $(tail -3 "$tmp/k8.log")"; failures=$((failures + 1))
fi
out=$("$train_glue" "${data[@]}" --task rte --train-limit 31 --output-dir "$tmp/k31" 2>&1); rc=$?
check "--train-limit above the training set exits 1 naming the flag" test "$rc" -eq 1 -a -n "$(grep -F -- "--train-limit: asks for 31 examples" <<<"$out")"
out=$("$train_glue" "${data[@]}" --task rte --train-limit -1 2>&1); rc=$?
check "negative --train-limit exits 2" test "$rc" -eq 2 -a -n "$(grep -F -- "--train-limit" <<<"$out")"

cli_summary lorahub_cli
