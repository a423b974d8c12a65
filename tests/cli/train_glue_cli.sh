#!/usr/bin/env bash
# train_glue as a user meets it: bad flags exit 2 with a message naming the flag, runtime
# errors exit 1 naming the file, SIGINT stops at a step boundary with exit 130 and a checkpoint
# that --resume continues. Usage (ctest runs it): train_glue_cli.sh BIN FIXTURE_DIR
set -uo pipefail
bin="$1"; fixtures="$2"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/cli_checks.sh"
mkdir -p "$tmp/model" "$tmp/glue/SST-2"
cp "$fixtures/tiny_bert/config.json" "$fixtures/tiny_bert/model.safetensors" "$tmp/model/"
cp "$fixtures/vocab_small.txt" "$tmp/model/vocab.txt"
{ echo -e "sentence\tlabel"; for i in $(seq 1 200); do echo -e "the movie is very good\t1"; echo -e "we play a bad day\t0"; done; } > "$tmp/glue/SST-2/train.tsv"
head -21 "$tmp/glue/SST-2/train.tsv" > "$tmp/glue/SST-2/dev.tsv"
common=(--model "$tmp/model" --data-dir "$tmp/glue" --threads 1)

expect "unknown flag" 2 "--colour" -- --colour red
expect "unknown task" 1 "sst3" -- --task sst3 "${common[@]}"
expect "negative lr" 2 "--lr" -- --lr -1 "${common[@]}"
expect "zero batch size" 2 "--batch-size" -- --batch-size 0 "${common[@]}"
expect "non-numeric value" 2 "--epochs" -- --epochs many "${common[@]}"
expect "missing model dir" 1 "$tmp/nowhere" -- --model "$tmp/nowhere" --data-dir "$tmp/glue"
expect "data dir without the task" 1 "RTE/train.tsv" -- --task rte "${common[@]}"
echo "not hdf5" > "$tmp/corrupt.h5"
expect "corrupted checkpoint" 1 "$tmp/corrupt.h5" -- "${common[@]}" --output-dir "$tmp/r0" --resume "$tmp/corrupt.h5"
expect "help" 0 "--lora-r" -- --help
expect "unknown peft family" 2 "--peft: unknown method 'dora'" -- --peft dora "${common[@]}"
expect "unknown lora init" 2 "--lora-init" -- --lora-init c "${common[@]}"
expect "unknown target module" 1 "'querry' matches no Linear" -- --target-modules querry --max-steps 1 "${common[@]}" --output-dir "$tmp/r1"
expect "rank above min(d_in, d_out)" 1 "rank 65" -- --lora-r 65 --max-steps 1 "${common[@]}" --output-dir "$tmp/r2"
expect "negative head lr" 2 "--head-lr" -- --head-lr -1 "${common[@]}"
expect "dropout of 1" 2 "--dropout: must be < 1" -- --dropout 1 "${common[@]}"
expect "bf16 on the CPU" 2 "--bf16" -- --bf16 --device cpu "${common[@]}"
# --device cuda: a clear error without a GPU; a run that says where it ran with one.
out=$("$bin" --device cuda --max-steps 1 "${common[@]}" --output-dir "$tmp/cuda" 2>&1); rc=$?
check "--device cuda: exit $rc, output: $out" test \
  \( "$rc" -eq 1 -a -n "$(grep -F -- "--device cuda:" <<<"$out")" \) -o \
  \( "$rc" -eq 0 -a -z "$(grep -F '"device": "cpu"' "$tmp/cuda/results.json" 2>/dev/null)" \)

# SIGINT mid-run: exit 130 after saving; --resume finishes the run.
"$bin" "${common[@]}" --output-dir "$tmp/run" --max-steps 400 --batch-size 4 --log-every 1 \
  >"$tmp/run.log" 2>&1 &
pid=$!
for _ in $(seq 1 200); do grep -q "step 2/" "$tmp/run.log" 2>/dev/null && break; sleep 0.05; done
kill -INT "$pid"; wait "$pid"; rc=$?
if [ "$rc" -eq 130 ] && [ -f "$tmp/run/checkpoint.h5" ] && grep -q "stopped by signal 2" "$tmp/run.log"; then
  passed=$((passed + 1))
  if "$bin" "${common[@]}" --output-dir "$tmp/run" --max-steps 400 --batch-size 4 \
      --resume "$tmp/run/checkpoint.h5" >"$tmp/resume.log" 2>&1 && grep -q '"steps": 400' "$tmp/run/results.json"; then
    passed=$((passed + 1))
  else echo "FAIL: resume after SIGINT: $(tail -3 "$tmp/resume.log")"; failures=$((failures + 1)); fi
else
  echo "FAIL: SIGINT: exit $rc (expected 130); log: $(tail -3 "$tmp/run.log")"; failures=$((failures + 1))
fi
cli_summary train_glue_cli
