#!/usr/bin/env bash
# Every libFuzzer target of tests/fuzz/ for SECONDS each (default 30), one after another, built
# in build-fuzz by tests/fuzz/run.sh (clang, ASan + UBSan, libraries and fuzz targets only).
# CI runs it after scripts/sanitize.sh:
#   ./scripts/fuzz.sh          30 s each
#   ./scripts/fuzz.sh 600      a campaign (tests/fuzz/README.md)
# Any finding fails the run, except in fuzz_checkpoint: it reads checkpoints without their
# digest, and libhdf5 1.10 crashes on some corrupted files, so it is restarted after each crash
# and tests/fuzz/triage.sh fails the run only for crashes at a site in our code.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
# Inputs that fail are kept for reproducing: build-fuzz/bin/TARGET FILE.
findings="${FINDINGS_DIR:-$PWD/build-fuzz/findings}"; mkdir -p "$findings"
for source in tests/fuzz/fuzz_*.cpp; do
  target=$(basename "$source" .cpp)
  start=$SECONDS
  if [ "$target" = fuzz_checkpoint ]; then
    # Restarted after each crash until its time is used, keeping the corpus and every run's
    # output; triage.sh places each crash by its report.
    dir="$findings/$target"; mkdir -p "$dir"; rm -f "$dir"/run*.log
    end=$((SECONDS + seconds)); run=0
    while [ $((end - SECONDS)) -gt 0 ]; do
      run=$((run + 1))
      CORPUS_DIR="$dir/corpus" tests/fuzz/run.sh "$target" $((end - SECONDS)) \
        -artifact_prefix="$dir/" >"$dir/run$run.log" 2>&1 || true
    done
    tests/fuzz/triage.sh "$target" "$dir"/run*.log
  else
    tests/fuzz/run.sh "$target" "$seconds" -artifact_prefix="$findings/"
  fi
  echo "fuzz.sh: $target done in $((SECONDS - start)) s"
done
