# Sourced by the scripts that run many train_glue/lorahub jobs (benchmarks/glue/*.sh,
# scripts/lorahub_modules.sh), so that they can be stopped and started again: whether an output
# directory holds a finished run, and the flag that continues an interrupted train_glue run.
# train_glue writes results.json (and a PEFT run's adapter/) also when SIGINT/SIGTERM stops
# it, with "stopped_by_signal" set, so the file alone does not mean finished.

# run_finished DIR: DIR/results.json exists and no signal stopped the run.
run_finished() {
  [ -f "$1/results.json" ] && ! grep -q '"stopped_by_signal": [1-9]' "$1/results.json"
}

# resume_flags DIR: prints "--resume DIR/checkpoint.h5" when an unfinished train_glue run left
# its checkpoint there; "--overwrite-output-dir" when a train_glue run stopped before writing
# one (metrics.jsonl alone: train_glue refuses such a directory otherwise); else nothing.
resume_flags() {
  if [ -f "$1/checkpoint.h5" ] && ! run_finished "$1"; then echo "--resume $1/checkpoint.h5"
  elif [ -f "$1/metrics.jsonl" ] && ! run_finished "$1"; then echo "--overwrite-output-dir"; fi
}
