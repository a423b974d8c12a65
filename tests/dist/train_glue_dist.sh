#!/usr/bin/env bash
# `mpirun -np N train_glue` on the tiny fixture BERT and a generated SST-2, one check a MODE:
#   equal    dropout off, 6 steps: -np 2 gives -np 1's losses and trainable tensors (to 1e-5,
#            max|diff|/max|ref| a tensor), LoRA and full fine-tuning; -np 1 is a plain run's
#            bit for bit
#   uneven   the same with batches that do not split evenly: a short last batch (22 examples,
#            batch 5) and, with --grad-accum 2, a micro-batch of one example (rank 1 gets none)
#   resume   dropout on: a -np 2 run stopped after step 3 and resumed equals the uninterrupted
#            -np 2 run bit for bit; -np 1 refuses its checkpoint
#   signal   SIGINT to mpirun stops both ranks with a checkpoint that -np 2 resumes to the end;
#            early stopping stops both ranks
#   failure  a rank that cannot read its data ends the job with its message, no hang; ranks
#            that start from different weights are refused
# Every mpirun has a timeout. Usage (ctest): train_glue_dist.sh MODE TRAIN_GLUE COMPARE MPIEXEC FIXTURES
set -uo pipefail
mode="$1"; bin="$2"; compare="$3"; mpiexec="$4"; fixtures="$5"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/../cli/cli_checks.sh"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1

mkdir -p "$tmp/model"
cp "$fixtures/tiny_bert/config.json" "$fixtures/tiny_bert/model.safetensors" "$tmp/model/"
cp "$fixtures/vocab_small.txt" "$tmp/model/vocab.txt"
# make_data DIR N: an SST-2 train.tsv of N examples (four sentences in turn) and a dev.tsv.
make_data() {
  mkdir -p "$1/SST-2"
  local sentences=("the movie is very good	1" "we play a bad day	0" "hello world again and again	1"
                   "it is a bad movie	0")
  { echo -e "sentence\tlabel"; for i in $(seq 0 $(($2 - 1))); do echo "${sentences[$((i % 4))]}"; done; } \
    > "$1/SST-2/train.tsv"
  head -11 "$1/SST-2/train.tsv" > "$1/SST-2/dev.tsv"
}
common=(--model "$tmp/model" --task sst2 --threads 1 --seed 3 --log-every 1 --device cpu)
nodrop=(--dropout 0 --lora-dropout 0)

# mpi NP ARGS...: train_glue under mpirun with NP ranks, two minutes at most.
mpi() { local np="$1"; shift; timeout 120 "$mpiexec" --oversubscribe -np "$np" "$bin" "$@"; }

# same_losses A B TOL: the logged losses (and their count) of two metrics.jsonl agree.
same_losses() {
  python3 - "$@" <<'PY'
import json, sys
def losses(p): return [json.loads(l)["loss"] for l in open(p) if '"loss"' in l]
a, b, tol = losses(sys.argv[1]), losses(sys.argv[2]), float(sys.argv[3])
bad = len(a) != len(b) or not a or any(abs(x - y) > tol * abs(x) for x, y in zip(a, b))
print(f"losses {a} vs {b}" if bad else f"{len(a)} losses agree to {tol:g}")
sys.exit(1 if bad else 0)
PY
}

# ranks_agree NAME PREFIX DATA_ARGS...: -np 1 and -np 2 give the same losses, and the same
# checkpoint tensors under PREFIX: model/ (the trainable tensors) or optimizer/m/ (AdamW's first
# moments, the gradients' running mean).
ranks_agree() {
  local name="$1" prefix="$2"; shift 2
  for np in 1 2; do
    mpi "$np" "${common[@]}" "${nodrop[@]}" "$@" --output-dir "$tmp/$name-np$np" >"$tmp/$name-np$np.log" 2>&1
    check "$name -np $np: exit $? ($(tail -2 "$tmp/$name-np$np.log"))" test -f "$tmp/$name-np$np/results.json"
  done
  check "$name: losses" same_losses "$tmp/$name-np1/metrics.jsonl" "$tmp/$name-np2/metrics.jsonl" 1e-5
  check "$name: tensors" "$compare" "$tmp/$name-np1/checkpoint.h5" "$tmp/$name-np2/checkpoint.h5" 1e-5 "$prefix"
}

case "$mode" in
equal)
  make_data "$tmp/glue" 40
  for peft in lora full; do
    ranks_agree "$peft" model/ --data-dir "$tmp/glue" --peft "$peft" --batch-size 8 --max-steps 6
  done
  # One rank under mpirun is the single-process trainer, bit for bit.
  "$bin" "${common[@]}" "${nodrop[@]}" --data-dir "$tmp/glue" --peft lora --batch-size 8 --max-steps 6 \
    --output-dir "$tmp/plain" >"$tmp/plain.log" 2>&1
  check "plain run equals -np 1" "$compare" "$tmp/plain/checkpoint.h5" "$tmp/lora-np1/checkpoint.h5" 0
  check "plain run's losses equal -np 1's" same_losses "$tmp/plain/metrics.jsonl" "$tmp/lora-np1/metrics.jsonl" 0
  ;;
uneven)
  # Full fine-tuning's weights are compared themselves. LoRA's are compared twice:
  # - at AdamW's default eps (1e-8) through its first moments (the gradients' running mean): B
  #   starts at zero, and Adam's first steps move an element by lr*g/(|g| + eps), so an element
  #   whose gradient cancels to about 1e-8 (4000 times below the median here) turns the rounding
  #   of a sum split 3+2 (3e-4 of that element) into 1e-4 to 1e-3 of B's largest value, while the
  #   gradients agree to 3e-6;
  # - with --adam-epsilon 1e-4, above most gradients here (median |g| about 2.4e-5), where AdamW's
  #   step is nearly proportional to the gradient, through the tensors themselves (with eps 1e-6
  #   they still differ by 2-3e-5: elements with |g| near 1e-6 keep a large relative rounding).
  make_data "$tmp/short" 22  # batches 5 5 5 5 2: ranks take 3+2 examples, and 1+1 of the last
  ranks_agree short_last_full model/ --data-dir "$tmp/short" --peft full --batch-size 5 --max-steps 6
  ranks_agree short_last_lora optimizer/m/ --data-dir "$tmp/short" --peft lora --batch-size 5 --max-steps 6
  ranks_agree short_last_lora_eps model/ --data-dir "$tmp/short" --peft lora --batch-size 5 --max-steps 6 \
    --adam-epsilon 1e-4
  make_data "$tmp/one" 16  # batches 3 3 3 3 3 1, in pairs: rank 1 gets nothing of the last
  ranks_agree one_example_full model/ --data-dir "$tmp/one" --peft full --batch-size 3 --grad-accum 2 --max-steps 6
  ranks_agree one_example_lora optimizer/m/ --data-dir "$tmp/one" --peft lora --batch-size 3 --grad-accum 2 \
    --max-steps 6
  ranks_agree one_example_lora_eps model/ --data-dir "$tmp/one" --peft lora --batch-size 3 --grad-accum 2 \
    --max-steps 6 --adam-epsilon 1e-4
  ;;
resume)
  make_data "$tmp/glue" 40
  run=(--data-dir "$tmp/glue" --peft lora --batch-size 4 --max-steps 6 --lr 5e-3)  # dropout on
  mpi 2 "${common[@]}" "${run[@]}" --output-dir "$tmp/whole" >"$tmp/whole.log" 2>&1
  mpi 2 "${common[@]}" "${run[@]}" --output-dir "$tmp/split" --stop-after 3 >"$tmp/split1.log" 2>&1
  check "stopped after 3 steps: $(tail -2 "$tmp/split1.log")" grep -q '"steps": 3' "$tmp/split/results.json"
  mpi 2 "${common[@]}" "${run[@]}" --output-dir "$tmp/split" --resume "$tmp/split/checkpoint.h5" \
    >"$tmp/split2.log" 2>&1
  check "resumed run: $(tail -2 "$tmp/split2.log")" grep -q '"steps": 6' "$tmp/split/results.json"
  check "resumed equals whole: losses" same_losses "$tmp/whole/metrics.jsonl" "$tmp/split/metrics.jsonl" 0
  check "resumed equals whole: every tensor and integer" \
    "$compare" "$tmp/whole/checkpoint.h5" "$tmp/split/checkpoint.h5" 0
  # Another rank count is refused, naming both counts.
  cp -r "$tmp/whole" "$tmp/other"
  out=$(mpi 1 "${common[@]}" "${run[@]}" --output-dir "$tmp/other" --resume "$tmp/other/checkpoint.h5" 2>&1)
  check "-np 1 resuming a 2-rank checkpoint: exit $?, output: $out" \
    grep -q "saved by a run of 2 process(es) and this run has 1: resume it with mpirun -np 2" <<<"$out"
  ;;
signal)
  make_data "$tmp/glue" 40
  run=(--data-dir "$tmp/glue" --peft lora --batch-size 4 --max-steps 4000 --output-dir "$tmp/run")
  # On SIGINT Open MPI 4.1's mpirun sends the ranks SIGCONT, SIGTERM after this many seconds and
  # SIGKILL after as many again (default 1; 2 leaves a busy machine time to save). The run must
  # still be going when SIGTERM comes: 4000 steps take several seconds.
  OMPI_MCA_odls_base_sigkill_timeout=2 \
    "$mpiexec" --oversubscribe -np 2 "$bin" "${common[@]}" "${run[@]}" >"$tmp/run.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 1200); do grep -q "step 3/" "$tmp/run.log" 2>/dev/null && break; sleep 0.05; done
  kill -INT "$pid"  # to mpirun, as Ctrl-C would
  # A hang is a failure, not a stuck test: two minutes, then SIGKILL (exit 137).
  for _ in $(seq 1 1200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  wait "$pid"; rc=$?
  check "SIGINT: exit $rc (expected non-zero, not 137: a hang), log: $(tail -4 "$tmp/run.log")" \
    test "$rc" -ne 0 -a "$rc" -ne 137 -a -f "$tmp/run/checkpoint.h5"
  # Rank 0's results.json says so (its stderr line may not get through: mpirun stops forwarding
  # the ranks' output once Ctrl-C reached it).
  check "SIGINT: results.json says stopped by signal: $(tail -4 "$tmp/run.log")" python3 -c \
    'import json, sys; sys.exit(not json.load(open(sys.argv[1]))["stopped_by_signal"])' "$tmp/run/results.json"
  mpi 2 "${common[@]}" "${run[@]}" --resume "$tmp/run/checkpoint.h5" >"$tmp/resume.log" 2>&1
  check "resume after SIGINT: exit $? ($(tail -2 "$tmp/resume.log"))" grep -q '"steps": 4000' "$tmp/run/results.json"
  # Early stopping, decided on rank 0's evaluation, ends both ranks at the same step.
  mpi 2 "${common[@]}" --data-dir "$tmp/glue" --peft lora --batch-size 4 --max-steps 50 --eval-every 1 \
    --early-stopping 1 --output-dir "$tmp/early" >"$tmp/early.log" 2>&1
  check "early stopping under mpirun: exit $? ($(tail -2 "$tmp/early.log"))" python3 -c \
    'import json, sys; sys.exit(json.load(open(sys.argv[1]))["steps"] >= 50)' \
    "$tmp/early/results.json"
  ;;
failure)
  make_data "$tmp/glue" 40
  # Two programs, one a rank (MPMD): rank 1's --data-dir has no SST-2, so it fails while rank 0
  # waits for it in the start-up check.
  start=$SECONDS
  out=$(timeout 120 "$mpiexec" --oversubscribe -np 1 "$bin" "${common[@]}" --data-dir "$tmp/glue" \
          --output-dir "$tmp/run" : -np 1 "$bin" "${common[@]}" --data-dir "$tmp/nowhere" \
          --output-dir "$tmp/run" 2>&1); rc=$?
  check "failing rank: exit $rc after $((SECONDS - start)) s (expected non-zero, not 124), output: $out" \
    test "$rc" -ne 0 -a "$rc" -ne 124
  check "failing rank's message: $out" grep -qF "train_glue: rank 1: --data-dir: $tmp/nowhere/SST-2/train.tsv not found" <<<"$out"
  # Ranks that start from different weights (another --seed draws other LoRA A matrices) are refused
  # before the first step: rank 1 names the first parameter that differs, rank 0 says another
  # rank differs (whichever prints first ends the job).
  out=$(timeout 120 "$mpiexec" --oversubscribe -np 1 "$bin" "${common[@]}" --data-dir "$tmp/glue" \
          --output-dir "$tmp/seeds" : -np 1 "$bin" "${common[@]}" --seed 4 --data-dir "$tmp/glue" \
          --output-dir "$tmp/seeds" 2>&1); rc=$?
  check "ranks with different seeds: exit $rc (expected non-zero, not 124), output: $out" \
    test "$rc" -ne 0 -a "$rc" -ne 124
  check "ranks with different seeds: the message: $out" \
    grep -qE "train_glue: rank (1: parameters differ from rank 0's first at bert\.encoder\.layer\.0\.attention\.self\.query\.lora_A\.weight|0: parameters differ from rank 0's on another rank)" <<<"$out"
  ;;
*) echo "unknown mode $mode"; exit 2 ;;
esac
cli_summary "train_glue_dist $mode"
