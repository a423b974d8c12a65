#!/usr/bin/env bash
# Shows that the checks can fail: plants known bugs in backward rules (a flipped sign, a lost
# gradient contribution, a wrong one-hot) one at a time in a scratch copy of the tree, and
# requires the test suite to go red for each. Prints which tests caught each bug.
#   ./tests/mutations.sh          (a few minutes: one incremental rebuild per mutation)
set -uo pipefail
cd "$(dirname "$0")/.."
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
git ls-files -z | xargs -0 -I{} cp --parents {} "$scratch"
cmake -S "$scratch" -B "$scratch/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DTINYTUNE_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$scratch/build" -j "$(nproc)" >/dev/null || { echo "baseline build failed"; exit 1; }
"$scratch/build/bin/tinytune_tests" >/dev/null || { echo "baseline suite is not green"; exit 1; }

# file | text to replace | replacement | what the bug is
mutations=(
  "core/ops/unary/unary_cpu.cpp|g * (T(1) - v * v)|g * (T(1) + v * v)|tanh backward: sign flipped"
  "core/ops/layer_norm/layer_norm_cpu.cpp|gh - mean_gh - xhat * mean_gh_xhat|gh - mean_gh + xhat * mean_gh_xhat|layer_norm backward: sign flipped"
  "core/ops/softmax/softmax_cpu.cpp|(g[k * stride] - dot)|(g[k * stride] + dot)|softmax backward: sign flipped"
  "core/ops/binary/binary.cpp|sum_to(neg(div(mul(g, a), mul(b, b))), b.shape())|sum_to(div(mul(g, a), mul(b, b)), b.shape())|div backward: sign of db flipped"
  "core/autograd/engine.cpp|slot->second = add(slot->second, g);|slot->second = g;|engine: second contribution overwrites the first"
  "core/ops/embedding/embedding_cpu.cpp|row[c] += gi[c];|row[c] = gi[c];|embedding backward: repeated rows overwrite"
  "core/ops/cross_entropy/cross_entropy_cpu.cpp|(k == pt[r] ? 1.0 : 0.0)|(k == pt[r] ? 0.0 : 1.0)|cross_entropy backward: one-hot inverted"
  "core/ops/matmul/matmul.cpp|sum_to(matmul(a.transpose(-1, -2), g), b.shape())|sum_to(matmul(a.transpose(-1, -2), g), b.shape()).transpose(-1, -2).reshape(b.shape())|matmul backward: dB transposed"
)
missed=0
for m in "${mutations[@]}"; do
  IFS='|' read -r file from to what <<<"$m"
  cp "$file" "$scratch/$file"
  python3 - "$scratch/$file" "$from" "$to" <<'PY'
import sys
path, old, new = sys.argv[1:]
text = open(path).read()
assert old in text, f"mutation anchor not found in {path}: {old}"
open(path, "w").write(text.replace(old, new, 1))
PY
  if ! cmake --build "$scratch/build" -j "$(nproc)" >/dev/null 2>&1; then
    echo "MUTANT DID NOT BUILD: $what"; missed=$((missed + 1))
  else
    # Test cases with an ERROR line (doctest also prints a TEST CASE header for MESSAGE/WARN).
    failed=$("$scratch/build/bin/tinytune_tests" 2>&1 | awk '
      /^TEST CASE:/ { sub(/^TEST CASE: */, ""); name = $0 }
      / ERROR: / && name != "" { print name; name = "" }' | sort -u | paste -sd ';' -)
    if [ -n "$failed" ]; then echo "caught  : $what -> $failed"; else echo "MISSED  : $what"; missed=$((missed + 1)); fi
  fi
  cp "$file" "$scratch/$file"
done
cmake --build "$scratch/build" -j "$(nproc)" >/dev/null 2>&1
echo "$missed mutation(s) not caught"
[ "$missed" -eq 0 ]
