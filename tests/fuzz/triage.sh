#!/usr/bin/env bash
# Sorts the findings of fuzz_checkpoint (or any target) by whose code they are in
# (tests/fuzz/README.md):
#   tests/fuzz/triage.sh TARGET FILE...
# A FILE named *.log is a libFuzzer run's output and is read as it is (scripts/fuzz.sh keeps one
# per run: a crash that needs the state earlier inputs left in libhdf5 does not reproduce alone);
# any other FILE is an input, run once more through build-fuzz/bin/TARGET. A report's crash site
# is the innermost stack frame outside the sanitizer runtime, libc, the C++ runtime and libFuzzer
# (for a leak: of every leaked block's allocation stack). A site in this source tree is
# tinytune's defect; one in libhdf5 is libhdf5's (the checkpoint digest keeps such files from
# libhdf5 in real use). Prints one line per report; exits 1 when any is tinytune's or has no
# stack to place it by.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
target="${1:?usage: triage.sh TARGET FILE...}"; shift
binary="${BUILD_DIR:-$root/build-fuzz}/bin/$target"
# A target's own leak suppressions (tests/fuzz/TARGET.lsan.supp) replace the shared ones.
suppressions="$root/tests/fuzz/$target.lsan.supp"
[ -f "$suppressions" ] || suppressions="$root/tests/sanitize/lsan.supp"
export LSAN_OPTIONS="suppressions=$suppressions${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
# Frames of the runtime around the fault: the allocator and interceptors, libc, libstdc++,
# libFuzzer's (a timeout's stack starts in its alarm handler). By module or source path, and by
# name for the runtime linked into the target itself.
export runtime='fuzzer::|libasan|libubsan|compiler-rt|libc\.so|libc-|libstdc\+\+|libgcc|/usr/include/c\+\+|'\
' in (__interceptor_|__asan|__sanitizer|__ubsan|__lsan)|'\
' in (free|malloc|calloc|realloc|posix_memalign|aligned_alloc|operator new|operator delete)[ (<]'

# The crash sites of one report: a stack's first frame that is not the runtime's, one per stack.
sites() {
  awk '
    /^ *#0 / { in_stack = 1; placed = 0 }
    in_stack && /^ *#[0-9]+ / && !placed && $0 !~ ENVIRON["runtime"] { print; placed = 1 }
    /^$/ { in_stack = 0 }'
}

ours=0
for file in "$@"; do
  if [[ "$file" == *.log ]]; then
    report=$(cat "$file")
    grep -q -e '==ERROR: ' -e 'deadly signal' -e 'ALARM: working on the last Unit' -e 'out-of-memory' \
      <<<"$report" || { echo "$(basename "$file"): no finding"; continue; }
  else
    report=$("$binary" -timeout=10 -rss_limit_mb=4096 "$file" 2>&1)
  fi
  verdict=libhdf5
  placed=$(sites <<<"$report")
  if [ -z "$placed" ]; then
    verdict="unplaced (no stack; reproduce by hand)"; ours=1
  elif grep -v libhdf5 <<<"$placed" | grep -q .; then
    verdict="TINYTUNE: $(grep -v libhdf5 <<<"$placed" | head -1 | sed 's/^ *//')"; ours=1
  fi
  echo "$(basename "$file"): $verdict"
done
exit "$ours"
