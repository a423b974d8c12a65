#!/usr/bin/env bash
# train_glue on your own files (--train-file, --validation-file) as a user meets it: a CSV of a
# few hundred SST-2-like sentences labelled "pos"/"neg" trains and evaluates on the tiny BERT;
# TSV and JSONL copies of the same rows train the same; eval_adapter --validation-file and
# predict --label-column score a labelled file against the adapter's classes as train_glue did;
# --test-file leaves the best model's predict_results.txt (and test metrics when labelled);
# bad files exit 1 naming the file, the line and the column (an unknown label: the known ones);
# an output directory holding a run is refused without --overwrite-output-dir.
# Usage (ctest runs it): own_data_cli.sh BIN FIXTURE_DIR
set -uo pipefail
bin="$1"; fixtures="$2"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/cli_checks.sh"
mkdir -p "$tmp/model"
cp "$fixtures/tiny_bert/config.json" "$fixtures/tiny_bert/model.safetensors" "$tmp/model/"
cp "$fixtures/vocab_small.txt" "$tmp/model/vocab.txt"
# Fixture sentences (words of the small vocabulary), a comma inside a quoted field now and then.
python3 - "$tmp" <<'PY'
import json, random, sys
tmp = sys.argv[1]
words = "the movie is very not a city day year time we they play run".split()
for name, rows, seed in (("train", 300, 1), ("dev", 60, 2), ("test", 40, 3)):
    rng = random.Random(seed)
    data = []
    for _ in range(rows):
        pos = rng.random() < 0.5
        text = " ".join(rng.choice(words) for _ in range(3)) + ", " + " ".join(rng.choice(words) for _ in range(2))
        data.append((text + (" good" if pos else " bad"), "pos" if pos else "neg"))
    with open(f"{tmp}/{name}.csv", "w") as f:
        f.write("sentence,label\n" + "".join(f'"{t}",{l}\n' for t, l in data))
    with open(f"{tmp}/{name}.tsv", "w") as f:
        f.write("sentence\tlabel\n" + "".join(f"{t}\t{l}\n" for t, l in data))
    with open(f"{tmp}/{name}.jsonl", "w") as f:
        f.write("".join(json.dumps({"sentence": t, "label": l}) + "\n" for t, l in data))
# The test file without its labels; scores for a regression run (1 to 2 for neg, 3.5 to 4.5 for pos).
with open(f"{tmp}/test.csv") as f, open(f"{tmp}/test_unlabelled.csv", "w") as g:
    g.write("".join(line.rsplit(",", 1)[0] + "\n" for line in f))
for name, seed in (("train", 1), ("dev", 2), ("test", 3)):
    with open(f"{tmp}/{name}.csv") as f, open(f"{tmp}/{name}_scores.csv", "w") as g:
        rng = random.Random(seed)
        lines = f.read().splitlines()
        score = lambda label: (3.5 if label == "pos" else 1.0) + rng.random()
        g.write("sentence,score\n" + "".join(f"{text},{score(label):.2f}\n"
                                           for text, label in (l.rsplit(",", 1) for l in lines[1:])))
PY
common=(--model "$tmp/model" --threads 1 --batch-size 8 --max-steps 6 --peft lora --lr 1e-2 --seed 3 --device cpu)

for ext in csv tsv jsonl; do
  "$bin" "${common[@]}" --train-file "$tmp/train.$ext" --validation-file "$tmp/dev.$ext" \
    --text-columns sentence --label-column label --output-dir "$tmp/run_$ext" >"$tmp/run_$ext.log" 2>&1; rc=$?
  check "$ext run: exit $rc, log: $(tail -3 "$tmp/run_$ext.log")" test "$rc" -eq 0
  check "$ext run: results.json names the labels" grep -q '"neg",' "$tmp/run_$ext/results.json"
  check "$ext run: eval_results.json" grep -q '"eval_accuracy"' "$tmp/run_$ext/eval_results.json"
done
# The same rows in three formats: the same losses and dev metrics.
strip() { python3 -c 'import json,sys; [print(json.dumps({k: v for k, v in json.loads(l).items() if k != "examples_per_second"})) for l in open(sys.argv[1])]' "$1"; }
check "csv, tsv and jsonl runs log the same losses and metrics" \
  test "$(strip "$tmp/run_csv/metrics.jsonl")" = "$(strip "$tmp/run_tsv/metrics.jsonl")" -a \
       "$(strip "$tmp/run_csv/metrics.jsonl")" = "$(strip "$tmp/run_jsonl/metrics.jsonl")"

own=(--train-file "$tmp/train.csv" --validation-file "$tmp/dev.csv")

# A labelled file of one's own scored against the adapter's classes: eval_adapter
# --validation-file gives the dev metrics train_glue recorded; predict --label-column the same.
# (lr and steps where the model is neither constant nor perfect on dev.)
pbin="$(dirname "$bin")/predict" ebin="$(dirname "$bin")/eval_adapter"
"$bin" "${common[@]}" "${own[@]}" --lr 2e-2 --max-steps 14 --output-dir "$tmp/run_scored" >"$tmp/run_scored.log" 2>&1
adapter="$tmp/run_scored/adapter"
eval_line=$("$ebin" --model "$tmp/model" --adapter "$adapter" --validation-file "$tmp/dev.csv" \
            --text-columns sentence --label-column label --threads 1 2>"$tmp/eval.err"); rc=$?
"$pbin" --model "$tmp/model" --adapter "$adapter" --input "$tmp/dev.csv" --label-column label \
  --output "$tmp/dev_pred.tsv" --metrics-out "$tmp/dev_metrics.json" --quiet 2>"$tmp/predict_dev.err"; prc=$?
out=$(python3 - "$tmp/run_scored/results.json" "$eval_line" "$tmp/dev_metrics.json" <<'PY'
import json, sys
dev = json.load(open(sys.argv[1]))["dev"]
got = dict(kv.split("=") for kv in sys.argv[2].split()[1:])
assert set(got) == {"accuracy", "f1_macro", "main"}, got
assert all(abs(float(got[k]) - dev[k]) < 1e-5 for k in got), (got, dev)  # printed with 6 digits
assert 0.55 < dev["accuracy"] < 1, ("a model that labels every row alike, or every row right", dev)
mine = json.load(open(sys.argv[3]))
assert mine["examples"] == 60, mine
assert all(abs(mine[k] - dev[k]) < 1e-9 for k in ("accuracy", "f1_macro", "main")), (mine, dev)
print("ok")
PY
)
check "eval_adapter --validation-file (exit $rc, '$eval_line') and predict --label-column (exit $prc) give results.json's dev: $out $(cat "$tmp/eval.err" "$tmp/predict_dev.err")" \
  test "$out" = ok
check "predict prints the metrics on stderr: $(cat "$tmp/predict_dev.err")" grep -qE "accuracy=[0-9.]+ f1_macro=" "$tmp/predict_dev.err"
# Bad labelled files: exit 1 naming the file, the line and the known labels, or the flag.
{ head -3 "$tmp/dev.csv"; echo '"a fine movie",great'; } >"$tmp/labels_unknown.csv"
bin="$pbin" expect "predict: unknown label" 1 "$tmp/labels_unknown.csv:4: column 'label': unknown label 'great' (the model's labels: neg, pos)" -- \
  --model "$tmp/model" --adapter "$adapter" --input "$tmp/labels_unknown.csv" --label-column label --output "$tmp/none1.tsv"
bin="$pbin" expect "predict: missing label column" 1 "--label-column: $tmp/dev.csv:1: no column 'stars' (the columns are: sentence, label)" -- \
  --model "$tmp/model" --adapter "$adapter" --input "$tmp/dev.csv" --label-column stars --output "$tmp/none2.tsv"
bin="$ebin" expect "eval_adapter: unknown label" 1 "$tmp/labels_unknown.csv:4: column 'label': unknown label 'great' (the model's labels: neg, pos)" -- \
  --model "$tmp/model" --adapter "$adapter" --validation-file "$tmp/labels_unknown.csv"
bin="$ebin" expect "eval_adapter: missing label column" 1 "$tmp/dev.csv:1: no column 'stars'" -- \
  --model "$tmp/model" --adapter "$adapter" --validation-file "$tmp/dev.csv" --label-column stars
bin="$ebin" expect "eval_adapter: --validation-file with --task" 2 "--task" -- \
  --model "$tmp/model" --adapter "$adapter" --validation-file "$tmp/dev.csv" --task sst2
check "no predictions written after the failures" test ! -e "$tmp/none1.tsv" -a ! -e "$tmp/none2.tsv"

expect "the same output directory again" 1 "already holds a run" -- "${common[@]}" "${own[@]}" --output-dir "$tmp/run_csv"
expect "--overwrite-output-dir replaces it" 0 "dev" -- "${common[@]}" "${own[@]}" --output-dir "$tmp/run_csv" --overwrite-output-dir
expect "missing column" 1 "$tmp/train.csv:1: no column 'review'" -- "${common[@]}" "${own[@]}" --text-columns review --output-dir "$tmp/e1"
{ head -5 "$tmp/dev.csv"; echo '"a very good movie",great'; } >"$tmp/dev_unknown.csv"
expect "unknown label in the validation file" 1 "$tmp/dev_unknown.csv:6: column 'label': unknown label 'great'" -- \
  "${common[@]}" --train-file "$tmp/train.csv" --validation-file "$tmp/dev_unknown.csv" --output-dir "$tmp/e2"
: >"$tmp/empty.csv"
expect "empty file" 1 "$tmp/empty.csv: empty file" -- "${common[@]}" --train-file "$tmp/empty.csv" --validation-file "$tmp/dev.csv" --output-dir "$tmp/e3"
{ head -3 "$tmp/dev.csv"; echo '"never closed,pos'; } >"$tmp/dev_open.csv"
expect "unclosed quote" 1 "$tmp/dev_open.csv:4: field 1: quoted field never closed" -- \
  "${common[@]}" --train-file "$tmp/train.csv" --validation-file "$tmp/dev_open.csv" --output-dir "$tmp/e4"
expect "missing validation file" 1 "--validation-file: $tmp/nowhere.csv not found" -- \
  "${common[@]}" --train-file "$tmp/train.csv" --validation-file "$tmp/nowhere.csv" --output-dir "$tmp/e5"
expect "no --validation-file" 2 "--validation-file: required" -- "${common[@]}" --train-file "$tmp/train.csv"
expect "--task with --train-file" 2 "--task" -- "${common[@]}" "${own[@]}" --task sst2
expect "unknown problem type" 2 "--problem-type" -- "${common[@]}" "${own[@]}" --problem-type ordinal
# --test-file: the best model's predictions (predict_results.txt, HF's run_classification form)
# and, labelled, its metrics (test_results.json, all_results.json); the regression run below
# shows that the best model predicts, not the last.
"$bin" "${common[@]}" "${own[@]}" --lr 2e-2 --max-steps 14 --eval-every 7 --test-file "$tmp/test.csv" \
  --output-dir "$tmp/run_test" >"$tmp/run_test.log" 2>&1; rc=$?
check "run with --test-file: exit $rc, log: $(tail -3 "$tmp/run_test.log")" test "$rc" -eq 0
out=$(python3 - "$tmp/run_test" <<'PY'
import json, sys
d = sys.argv[1]
lines = open(f"{d}/predict_results.txt").read().splitlines()
assert lines[0] == "index\tprediction", lines[0]
rows = [l.split("\t") for l in lines[1:]]
assert [r[0] for r in rows] == [str(i) for i in range(40)], "indices"
assert {r[1] for r in rows} == {"neg", "pos"}, {r[1] for r in rows}
test = json.load(open(f"{d}/test_results.json"))
assert set(test) == {"test_accuracy", "test_f1_macro", "test_loss", "test_samples"}, sorted(test)
assert test["test_samples"] == 40 and 0 <= test["test_accuracy"] <= 1 and test["test_loss"] > 0, test
all_results = json.load(open(f"{d}/all_results.json"))
assert all(all_results[k] == v for k, v in test.items()) and "eval_accuracy" in all_results, "all_results.json"
print("ok")
PY
); check "predict_results.txt and test_results.json: $out" test "$out" = ok
# The saved adapter labels the test file alike through predict, whose --label-column metrics
# equal test_results.json's.
"$pbin" --model "$tmp/model" --adapter "$tmp/run_test/adapter" --input "$tmp/test.csv" --label-column label \
  --output "$tmp/test_pred.tsv" --metrics-out "$tmp/test_metrics.json" --quiet 2>"$tmp/predict_test.err"; rc=$?
check "predict --label-column on the test file: exit $rc: $(cat "$tmp/predict_test.err")" test "$rc" -eq 0
check "train_glue's test predictions equal predict's with the saved adapter, row by row" \
  test "$(tail -n +2 "$tmp/run_test/predict_results.txt" | cut -f2)" = "$(tail -n +2 "$tmp/test_pred.tsv" | cut -f1)"
out=$(python3 - "$tmp" <<'PY'
import json, sys
t = sys.argv[1]
test = json.load(open(f"{t}/run_test/test_results.json"))
mine = json.load(open(f"{t}/test_metrics.json"))
for k in ("accuracy", "f1_macro"):
    assert abs(mine[k] - test["test_" + k]) < 1e-9, (k, mine[k], test["test_" + k])
print("ok")
PY
); check "predict's metrics equal test_results.json's: $out" test "$out" = ok
# An unlabelled test file: predictions only.
"$bin" "${common[@]}" "${own[@]}" --test-file "$tmp/test_unlabelled.csv" --output-dir "$tmp/run_unlabelled" \
  >"$tmp/run_unlabelled.log" 2>&1; rc=$?
check "unlabelled test file: exit $rc, 40 predictions, no test_results.json, no test_ key in all_results.json" \
  test "$rc" -eq 0 -a "$(tail -n +2 "$tmp/run_unlabelled/predict_results.txt" | wc -l)" -eq 40 \
  -a ! -e "$tmp/run_unlabelled/test_results.json" -a -z "$(grep test_ "$tmp/run_unlabelled/all_results.json")"
# Regression: scores with three decimals, Pearson and Spearman, as predict computes them with the
# saved adapter. Evaluations every 3 steps, and the best is not the last: the scores show that
# the best model, not the last, predicted.
"$bin" "${common[@]}" --train-file "$tmp/train_scores.csv" --validation-file "$tmp/dev_scores.csv" \
  --test-file "$tmp/test_scores.csv" --label-column score --max-steps 24 --eval-every 3 \
  --output-dir "$tmp/run_scores" >"$tmp/run_scores.log" 2>&1; rc=$?
"$pbin" --model "$tmp/model" --adapter "$tmp/run_scores/adapter" --input "$tmp/test_scores.csv" --label-column score \
  --output "$tmp/scores_pred.tsv" --metrics-out "$tmp/scores_metrics.json" --quiet 2>/dev/null
out=$(python3 - "$tmp" <<'PY'
import json, re, sys
t = sys.argv[1]
rows = [l.split("\t") for l in open(f"{t}/run_scores/predict_results.txt").read().splitlines()[1:]]
assert len(rows) == 40 and all(re.fullmatch(r"-?\d+\.\d{3}", r[1]) for r in rows), rows[:3]
scores = [float(l) for l in open(f"{t}/scores_pred.tsv").read().splitlines()[1:]]
assert all(abs(float(r[1]) - s) <= 5e-4 + 1e-6 for r, s in zip(rows, scores)), "scores differ from predict's"
assert len({r[1] for r in rows}) > 1, "one score for every row"
evals = [json.loads(l) for l in open(f"{t}/run_scores/metrics.jsonl") if '"eval"' in l]
best = max(evals, key=lambda e: e["eval"]["main"])
assert best["step"] != evals[-1]["step"], ("the best evaluation is the last", best)
test, mine = json.load(open(f"{t}/run_scores/test_results.json")), json.load(open(f"{t}/scores_metrics.json"))
assert set(test) == {"test_pearson", "test_spearmanr", "test_loss", "test_samples"}, sorted(test)
assert all(abs(mine[k] - test["test_" + k]) < 1e-6 for k in ("pearson", "spearmanr")), (mine, test)
print("ok")
PY
); check "regression --test-file: exit $rc, scores and Pearson/Spearman as predict's: $out $(tail -2 "$tmp/run_scores.log")" test "$out" = ok
expect "unknown label in the test file" 1 "$tmp/labels_unknown.csv:4: column 'label': unknown label 'great'" -- \
  "${common[@]}" "${own[@]}" --test-file "$tmp/labels_unknown.csv" --output-dir "$tmp/e6"
cli_summary own_data_cli
