#!/usr/bin/env bash
# Runs one libFuzzer target of tests/fuzz/ for SECONDS, starting from its committed seeds
# (tests/fixtures/fuzz_corpus/TARGET/, left unchanged: new inputs go to a scratch copy). Builds the
# target first in BUILD_DIR (default build-fuzz: clang++, TINYTUNE_FUZZ=ON, libraries only).
# tests/fuzz/TARGET.dict, where there is one, is passed as -dict. A finding stops the run with
# exit 1 and leaves crash-*/leak-*/timeout-* in the current dir.
#   tests/fuzz/run.sh fuzz_safetensors 30
#   tests/fuzz/run.sh fuzz_glue 0 -runs=1000000       (extra flags go to libFuzzer)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
target="${1:?usage: run.sh TARGET SECONDS [libFuzzer flags]}"; seconds="${2:?SECONDS}"; shift 2
build="${BUILD_DIR:-$root/build-fuzz}"
[ -f "$root/tests/fuzz/$target.cpp" ] || { echo "run.sh: no tests/fuzz/$target.cpp" >&2; exit 2; }
# Configured once (runs of several targets at a time would race on a reconfigure).
[ -f "$build/build.ninja" ] || cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG" -DTINYTUNE_FUZZ=ON -DTINYTUNE_CUDA=OFF \
  -DTINYTUNE_BUILD_TESTS=OFF -DTINYTUNE_BUILD_TOOLS=OFF -DTINYTUNE_BUILD_BENCHMARKS=OFF \
  -DTINYTUNE_BUILD_EXAMPLES=OFF -DTINYTUNE_INSTALL=OFF >/dev/null
cmake --build "$build" -j "${JOBS:-$(nproc)}" --target "$target"
# CORPUS_DIR keeps the corpus across runs (scripts/fuzz.sh restarts fuzz_checkpoint after crashes).
if [ -n "${CORPUS_DIR:-}" ]; then
  corpus="$CORPUS_DIR"; mkdir -p "$corpus"
else
  corpus=$(mktemp -d); trap 'rm -rf "$corpus"' EXIT
fi
[ -n "$(ls -A "$corpus")" ] || cp "$root/tests/fixtures/fuzz_corpus/$target/"* "$corpus/"
# A target's own leak suppressions (tests/fuzz/TARGET.lsan.supp) replace the shared ones.
suppressions="$root/tests/fuzz/$target.lsan.supp"
[ -f "$suppressions" ] || suppressions="$root/tests/sanitize/lsan.supp"
export LSAN_OPTIONS="suppressions=$suppressions${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
time_flag=(); [ "$seconds" -gt 0 ] && time_flag=(-max_total_time="$seconds")
dict_flag=(); [ -f "$root/tests/fuzz/$target.dict" ] && dict_flag=(-dict="$root/tests/fuzz/$target.dict")
"$build/bin/$target" "${time_flag[@]}" "${dict_flag[@]}" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 "$@" "$corpus"
