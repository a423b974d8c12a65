#!/usr/bin/env bash
# train_glue's checkpoints against faults (issue 39):
#  (a) SIGKILL at random moments of a run that saves after every step (so many kills land inside
#      a save): each time checkpoint.h5 still resumes, its step never goes back, and the next run
#      removes the temporary files the killed saves left;
#  (b) a disk that fills during a save (a file-size limit, SIGXFSZ ignored): exit 1 with a message
#      naming the checkpoint, the previous checkpoint byte-identical and resumable, no temporary;
#  (c) two runs on one output directory: the second is refused while the first lives (run.lock,
#      train/run_lock.h) and starts once the first is killed.
# Usage (ctest runs it): checkpoint_faults_cli.sh BIN FIXTURE_DIR [KILLS] [SEED]
set -uo pipefail
bin="$1"; fixtures="$2"; kills="${3:-20}"; RANDOM="${4:-39}"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/cli_checks.sh"
mkdir -p "$tmp/model" "$tmp/glue/SST-2"
cp "$fixtures/tiny_bert/config.json" "$fixtures/tiny_bert/model.safetensors" "$tmp/model/"
cp "$fixtures/vocab_small.txt" "$tmp/model/vocab.txt"
{ echo -e "sentence\tlabel"; for i in $(seq 1 200); do echo -e "the movie is very good\t1"; echo -e "we play a bad day\t0"; done; } > "$tmp/glue/SST-2/train.tsv"
head -21 "$tmp/glue/SST-2/train.tsv" > "$tmp/glue/SST-2/dev.tsv"
# Full fine-tuning: the largest checkpoint of the tiny model, so saves take a good share of a step.
args=(--model "$tmp/model" --data-dir "$tmp/glue" --threads 1 --peft full --max-steps 100000
      --save-every 1 --log-every 1 --batch-size 4)

temporaries() { find "$1" -maxdepth 1 -name '*.tmp.*' | wc -l; }
# Starts a run in the background ($run_pid) and waits until it has logged a step.
start_run() {
  local dir="$1" log="$2"; shift 2
  "$bin" "${args[@]}" --output-dir "$dir" "$@" >"$log" 2>&1 &
  run_pid=$!
  for _ in $(seq 1 600); do
    grep -q "step [0-9]*/" "$log" 2>/dev/null && return 0
    kill -0 "$run_pid" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}
# The step a checkpoint holds, through the trainer's own --resume: one more step, then stop.
resumed_steps() {
  local dir="$1"
  "$bin" "${args[@]}" --output-dir "$dir" --resume "$dir/checkpoint.h5" --stop-after 1 \
    >"$tmp/verify.log" 2>&1 || { echo "resume failed: $(tail -c 1500 "$tmp/verify.log")"; return 1; }
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["steps"] - 1)' "$dir/results.json"
}

# (a) kill -9 at random moments.
"$bin" "${args[@]}" --output-dir "$tmp/kill" --stop-after 2 >"$tmp/first.log" 2>&1
check "first run: exit 0 and a checkpoint: $(tail -3 "$tmp/first.log")" test -f "$tmp/kill/checkpoint.h5"
last=$(resumed_steps "$tmp/kill"); check "the first checkpoint resumes at step 2: $last" test "$last" = 2
last=3  # that resume saved step 3
in_save=0
for i in $(seq 1 "$kills"); do
  if ! start_run "$tmp/kill" "$tmp/kill_$i.log" --resume "$tmp/kill/checkpoint.h5"; then
    check "kill $i: the run started: $(tail -c 1500 "$tmp/kill_$i.log")" false; break
  fi
  sleep "0.$(printf '%03d' $((RANDOM % 400)))"
  kill -9 "$run_pid"; wait "$run_pid" 2>/dev/null
  [ "$(temporaries "$tmp/kill")" -gt 0 ] && in_save=$((in_save + 1))
  step=$(resumed_steps "$tmp/kill"); rc=$?
  check "kill $i: checkpoint.h5 resumes at a step >= the last one's ($last): $step" \
    test "$rc" -eq 0 -a "${step:-0}" -ge "$last" 2>/dev/null
  [ "$rc" -eq 0 ] || break
  check "kill $i: the resumed run removed the killed saves' temporary files" test "$(temporaries "$tmp/kill")" -eq 0
  last=$((step + 1))
done
echo "checkpoint_faults: $kills kills, $in_save of them inside a save (a temporary file left), last step $last"
check "some kills landed inside a save ($in_save of $kills)" test "$in_save" -gt 0

# (b) the disk fills during a save: checkpoint.h5 needs more than half its size again.
mkdir -p "$tmp/full"; cp "$tmp/kill/checkpoint.h5" "$tmp/full/checkpoint.h5"; cp "$tmp/full/checkpoint.h5" "$tmp/before.h5"
blocks=$(( $(stat -c %s "$tmp/before.h5") / 1024 / 2 ))
bash -c 'ulimit -f "$1"; trap "" XFSZ; shift; exec "$@"' _ "$blocks" \
  "$bin" "${args[@]}" --output-dir "$tmp/full" --resume "$tmp/full/checkpoint.h5" --stop-after 1 >"$tmp/full.log" 2>&1; rc=$?
check "disk full: exit $rc (expected 1) naming the checkpoint, output: $(tail -c 1500 "$tmp/full.log")" \
  test "$rc" -eq 1 -a -n "$(grep -F "checkpoint: $tmp/full/checkpoint.h5" "$tmp/full.log")"
check "disk full: the previous checkpoint is unchanged" cmp -s "$tmp/before.h5" "$tmp/full/checkpoint.h5"
check "disk full: no temporary file left" test "$(temporaries "$tmp/full")" -eq 0
step=$(resumed_steps "$tmp/full"); rc=$?
check "disk full: the previous checkpoint resumes: $step" test "$rc" -eq 0

# (c) a second run on a directory in use is refused; once the first is killed, it runs.
if start_run "$tmp/kill" "$tmp/holder.log" --resume "$tmp/kill/checkpoint.h5"; then
  out=$("$bin" "${args[@]}" --output-dir "$tmp/kill" --resume "$tmp/kill/checkpoint.h5" --stop-after 1 2>&1); rc=$?
  check "second run: exit $rc (expected 1), output: $out" \
    test "$rc" -eq 1 -a -n "$(grep -F "output directory $tmp/kill is in use by another run (pid $run_pid" <<<"$out")"
  kill -0 "$run_pid" 2>/dev/null; check "the first run was not disturbed" test $? -eq 0
  kill -9 "$run_pid"; wait "$run_pid" 2>/dev/null
  step=$(resumed_steps "$tmp/kill"); rc=$?
  check "after the first run is killed, a run on the directory starts: $step" test "$rc" -eq 0
else
  check "lock holder started: $(tail -c 1500 "$tmp/holder.log")" false
fi
cli_summary checkpoint_faults_cli
