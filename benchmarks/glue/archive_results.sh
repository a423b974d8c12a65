#!/usr/bin/env bash
# Copies each finished run's results.json from runs/table and runs/lora_init into
# benchmarks/glue/results/ (same layout), to be committed: runs/ is not, and a fresh machine
# starts without it, so the tables of RESULTS.md are rebuilt from these files:
#
#   benchmarks/glue/archive_results.sh
#   python3 benchmarks/glue/summarize_table.py benchmarks/glue/results/table --seeds 1,2,3
#   python3 benchmarks/glue/lora_init_report.py benchmarks/glue/results/lora_init
#
# An archived file is overwritten only by a finished run of the same path; runs still in
# progress, or stopped by a signal, are left out.
set -euo pipefail
cd "$(dirname "$0")/../.."
source benchmarks/glue/run_state.sh
archive=benchmarks/glue/results
copied=0
for study in table lora_init; do
  [ -d "runs/$study" ] || continue
  while IFS= read -r result; do
    run=$(dirname "$result")
    run_finished "$run" || continue
    grep -q '"main"' "$result" || continue  # no dev evaluation yet
    target="$archive/${run#runs/}/results.json"
    if ! cmp -s "$result" "$target"; then
      mkdir -p "$(dirname "$target")"
      cp "$result" "$target.tmp" && mv "$target.tmp" "$target"
      copied=$((copied + 1))
    fi
  done < <(find "runs/$study" -name results.json | sort)
done
echo "archive_results.sh: $copied new or changed results in $archive"
