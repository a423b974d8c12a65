#!/usr/bin/env bash
# What tune_cpu_malloc (core/cpu_malloc.h) buys: short train_glue runs with glibc's default malloc
# and with the tuned one, alternated, same binary. GLIBC_TUNABLES=glibc.malloc.perturb=0 keeps
# glibc's defaults (perturb=0 is the default) and, naming a malloc tunable, makes train_glue skip
# its tuning: that is the baseline.
#
#   benchmarks/glue/malloc_ab.sh --task rte --methods qgoft,goft,full --steps 24 --repeats 2
#
# Prints one line per run (method, malloc, examples/s of training from results.json; whole-process
# wall, user and system seconds and minor page faults from /usr/bin/time) and the mean ex/s ratio
# of tuned to default per method. Runs land in runs/malloc_ab/ (overwritten). TRAIN_GLUE=path
# picks the binary (default build/bin/train_glue).
set -euo pipefail
cd "$(dirname "$0")/../.."
task=rte methods=qgoft,goft,full steps=24 repeats=2 threads=1
while [ $# -gt 0 ]; do
  case "$1" in
    --task) task="$2"; shift 2 ;;
    --methods) methods="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    --repeats) repeats="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    *) echo "malloc_ab.sh: unknown argument '$1' (see the header of $0)" >&2; exit 2 ;;
  esac
done
for value in "$steps" "$repeats" "$threads"; do
  [[ "$value" =~ ^[1-9][0-9]*$ ]] || { echo "malloc_ab.sh: --steps, --repeats and --threads take positive integers, got '$value'" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "malloc_ab.sh: needs /usr/bin/time (Debian package 'time')" >&2; exit 2; }
unset GLIBC_TUNABLES  # the tuned runs must not inherit a malloc tunable from this shell
source benchmarks/glue/table_recipe.sh
binary=${TRAIN_GLUE:-build/bin/train_glue}
root=runs/malloc_ab
rm -rf "$root"
mkdir -p "$root"
table=$root/runs.tsv
printf 'method\tmalloc\trepeat\tex_per_s\twall_s\tuser_s\tsys_s\tminor_faults\n' > "$table"
for method in ${methods//,/ }; do
  flags=(--peft "$method")
  case "$method" in
    lora-a) flags=(--peft lora --lora-init a) ;;
    lora-b) flags=(--peft lora --lora-init b) ;;
  esac
  for repeat in $(seq 1 "$repeats"); do
    for malloc in default tuned; do
      out=$root/$method-$malloc-$repeat
      env_tunables=()
      [ "$malloc" = default ] && env_tunables=(GLIBC_TUNABLES=glibc.malloc.perturb=0)
      env "${env_tunables[@]}" /usr/bin/time -f '%e\t%U\t%S\t%R' -o "$out.time" \
        "$binary" --task "$task" "${flags[@]}" --seed 1 --output-dir "$out" --overwrite-output-dir "${glue_table_recipe[@]}" \
        --threads "$threads" --max-steps "$steps" > "$out.log" 2>&1 ||
        { echo "malloc_ab.sh: $method ($malloc) failed; see $out.log" >&2; exit 1; }
      rate=$(python3 -c "import json,sys; print(f\"{json.load(open(sys.argv[1]))['examples_per_second']:.2f}\")" "$out/results.json")
      printf '%s\t%s\t%s\t%s\t%s\n' "$method" "$malloc" "$repeat" "$rate" "$(cat "$out.time")" | tee -a "$table"
    done
  done
done
python3 - "$table" <<'EOF'
import csv, sys
from collections import defaultdict
rate = defaultdict(list)
for row in csv.DictReader(open(sys.argv[1]), delimiter="\t"):
    rate[row["method"], row["malloc"]].append(float(row["ex_per_s"]))
for method in dict.fromkeys(m for m, _ in rate):
    d, t = (sum(rate[method, k]) / len(rate[method, k]) for k in ("default", "tuned"))
    print(f"{method}: default {d:.2f} ex/s, tuned {t:.2f} ex/s, tuned/default {t / d:.3f}")
EOF
