#!/usr/bin/env bash
# Everything the CUDA backend needs checked on a machine with a GPU, most valuable first, in as
# many calls as the time allows:
#
#   OUT=/some/dir scripts/gpu_check.sh            # build, then test bench memcheck racecheck
#   scripts/gpu_check.sh unpack test bench        # a machine that cannot build (see unpack)
#   scripts/gpu_check.sh unpack rest              # a later call on the same warm machine: the
#                                                 # stages the last call had no time for
#   scripts/gpu_check.sh [unpack] preflight       # only the checks of the machine (no GPU here?)
#
# Setup (first, when asked for), then preflight, then the stages asked for, always in this
# order. Each logs to $OUT/<name>.log, prints progress lines and a status line in
# $OUT/summary.txt:
#   unpack     for a GPU machine without Debian's -dev packages (this project's device
#              machines): unpacks gpu-bundle/bundle.tar.xz, which scripts/gpu_bundle.sh wrote
#              on a machine that builds, into build-gpu/ and gpu-libs/ (once: a later call
#              finds the same bundle unpacked); links the path the bundle was built at to this
#              checkout (ctest's files and the tests' fixture path are absolute); puts the
#              bundle's libraries that this machine lacks, and the folders holding CUDA's
#              cuBLAS, cuDNN and cuFFT (the toolkit's or a Python package's), on
#              LD_LIBRARY_PATH. Carry: gpu-bundle
#   build      configure (Release, CUDA on, benchmarks on) and build everything in $BUILD
#              (default ./build-gpu); fails if CMake did not turn the CUDA backend on
#   preflight  (always) scripts/gpu_preflight.sh: a GPU is there, the driver is not older than
#              the CUDA the programs were built with, every library they need is found (each
#              missing one named with what provides it). A failure stops the run before the
#              stages, which would only report every CUDA test skipped; GPU_CHECK_FORCE=1 goes on
#   test       the whole suite through ctest (CPU and CUDA tests), $CTEST_JOBS at a time
#              (default nproc / 2) with OMP_NUM_THREADS = nproc / CTEST_JOBS each, so parallel
#              OpenMP tests do not oversubscribe the cores; on a GPU machine no CUDA test may
#              report "skipped: no CUDA device": any skip fails the stage, and when every CUDA
#              test skipped it says the device was not seen
#   bench      bench_gemm_cuda (own GEMM kernels vs cuBLAS), bench_memory_bound_cuda, then
#              bench_fft_cuda: their tables, few repetitions
#   memcheck   compute-sanitizer --tool memcheck on the CUDA tests (doctest cases "cuda*");
#              the impossible-allocation case runs apart (memcheck_oom), see there
#   racecheck  compute-sanitizer racecheck + synccheck on the small GEMM cases: shared-memory
#              hazards of the own GEMM kernels (double buffering, cp.async stages)
#   train      (only when asked for) train_glue --task sst2 --peft qgoft on the GPU, f32 then
#              --bf16, $TRAIN_STEPS steps (default 600) with an evaluation at the end; needs the
#              model in $TRAIN_MODEL (default models/all-MiniLM-L6-v2-f16: the device machine
#              has no network, and the f32 model.safetensors, 87 MB, is over the 64 MiB that a
#              call can carry, so scripts/make_f16_model.py writes a 44 MB F16 copy, which
#              tinytune loads as f32) and data/glue/SST-2. Carry both:
#                carry: models/all-MiniLM-L6-v2-f16, data/glue/SST-2
# A stage is a group of runs; each run (test, bench_gemm, bench_memory, bench_fft, memcheck,
# memcheck_oom, racecheck, synccheck, train_f32, train_bf16) can also be named alone.
#
# Time: the whole call is held to $GPU_CHECK_BUDGET seconds (default 570, under a 600 s call
# limit). Each run has a cap (RUN_CAPS below) and starts only while its whole cap fits in what
# is left (the first run of a call takes what is left), so a run is never cut short by the
# budget, and a long run that does not fit leaves room for the cheap ones after it. A run
# that did not fit is reported "not run", with the command that runs it, and is recorded in
# $GPU_CHECK_STATE (default ./gpu-state, ignored by git; it survives between calls on a warm
# machine, $OUT does not) so that `gpu_check.sh [unpack] rest` runs exactly those.
# Exit: 0 every run asked for passed; 1 a run or the preflight failed; 3 every run that ran
# passed but some did not fit in the budget (not a failure: rerun as the summary says).
# Note: memcheck sees CUDA allocations as cudaMalloc made them, and tinytune's caching
# allocator rounds sizes up (512 B / 2 MiB, core/cuda/allocator.h), so an overrun into the
# rounding slack of a block is not reported.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${OUT:-$ROOT/gpu-out}
BUILD=${BUILD:-$ROOT/build-gpu}
BUDGET=${GPU_CHECK_BUDGET:-570}
STATE=${GPU_CHECK_STATE:-$ROOT/gpu-state}
JOBS=${JOBS:-$(nproc)}
CTEST_JOBS=${CTEST_JOBS:-$(( JOBS > 1 ? JOBS / 2 : 1 ))}
TEST_OMP_THREADS=$(( JOBS / CTEST_JOBS > 0 ? JOBS / CTEST_JOBS : 1 ))
mkdir -p "$OUT" "$STATE"
START=$SECONDS
FAILED=0
NOT_RUN=()
RAN_ONE=0

# Caps in seconds, and the runs of each stage, in the order of their value.
declare -A RUN_CAPS=([test]=240 [bench_gemm]=150 [bench_memory]=60 [bench_fft]=60
                     [memcheck]=300 [memcheck_oom]=30 [racecheck]=100 [synccheck]=60
                     [train_f32]=150 [train_bf16]=150)
ALL_RUNS=(test bench_gemm bench_memory bench_fft memcheck memcheck_oom racecheck synccheck
          train_f32 train_bf16)
runs_of() {
  case $1 in
    bench) echo bench_gemm bench_memory bench_fft ;;
    memcheck) echo memcheck memcheck_oom ;;
    racecheck) echo racecheck synccheck ;;
    train) echo train_f32 train_bf16 ;;
    rest) cat "$STATE/pending" 2>/dev/null ;;
    *) echo "$1" ;;
  esac
}

usage_error() {
  echo "gpu_check.sh: $*" >&2
  echo "usage: gpu_check.sh [unpack|build] [preflight|rest|test|bench|memcheck|racecheck|train|RUN...]" >&2
  exit 2
}

SETUP=""
WANTED=" "
args=("$@")
[ ${#args[@]} -eq 0 ] && args=(build test bench memcheck racecheck)
for a in "${args[@]}"; do
  case $a in
    unpack|build)
      [ -n "$SETUP" ] && [ "$SETUP" != "$a" ] && usage_error "unpack and build exclude each other"
      SETUP=$a ;;
    preflight) ;;
    test|bench|memcheck|racecheck|train|rest|bench_gemm|bench_memory|bench_fft|memcheck_oom|synccheck|train_f32|train_bf16)
      for r in $(runs_of "$a"); do WANTED+="$r "; done ;;
    *) usage_error "unknown stage '$a'" ;;
  esac
done
wants_run() { [[ $WANTED == *" $1 "* ]]; }

log() { printf '[gpu_check %4ds] %s\n' $((SECONDS - START)) "$*" | tee -a "$OUT/summary.txt"; }
left() { echo $((BUDGET - (SECONDS - START))); }

# run NAME COMMAND...: runs COMMAND with stdout+stderr to $OUT/NAME.log under a timeout of its
# cap, if the cap fits in what is left (else records NAME as not run); records ok / FAILED
# (exit code) / TIMED OUT. Returns 0 only for ok.
run() {
  local name=$1
  shift
  local cap=${RUN_CAPS[$name]:-120} limit
  limit=$(left)
  if [ "$cap" -gt "$limit" ] && { [ $RAN_ONE -eq 1 ] || [ "$limit" -le 30 ]; }; then
    log "$name: not run (needs up to ${cap}s, ${limit}s left of the ${BUDGET}s budget)"
    NOT_RUN+=("$name")
    return 1
  fi
  [ "$cap" -lt "$limit" ] && limit=$cap
  RAN_ONE=1
  log "$name: start (limit ${limit}s): $*"
  local t0=$SECONDS rc
  timeout --signal=INT --kill-after=10 "$limit" "$@" >"$OUT/$name.log" 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then
    log "$name: ok ($((SECONDS - t0))s)"
  elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    log "$name: TIMED OUT after $((SECONDS - t0))s, its cap (log: $OUT/$name.log)"
    FAILED=1
  else
    log "$name: FAILED with exit code $rc ($((SECONDS - t0))s; last lines of $OUT/$name.log:)"
    tail -n 30 "$OUT/$name.log" | sed 's/^/    /' | tee -a "$OUT/summary.txt"
    FAILED=1
  fi
  return $rc
}

# Setup failures end the call: nothing after them can run.
setup_failed() {
  log "$*"
  log "SETUP FAILED; no stage ran"
  exit 1
}

: >"$OUT/summary.txt"
log "repository $ROOT, output $OUT, setup: ${SETUP:-none}, runs:${WANTED% }"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "host: $(hostname)"
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1
  (command -v nvcc >/dev/null && nvcc --version) || /usr/local/cuda/bin/nvcc --version 2>&1
  cmake --version 2>&1 | head -1
  echo "git: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null) $(git -C "$ROOT" status --short 2>/dev/null | wc -l) changed files"
} >"$OUT/environment.txt" 2>&1

NVCC=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
SANITIZER=$(command -v compute-sanitizer || echo "$(dirname "$NVCC")/compute-sanitizer")
GENERATOR=()
command -v ninja >/dev/null && GENERATOR=(-G Ninja)
BUILT_WITH=""  # the CUDA version the programs were built with, for the preflight

if [ "$SETUP" = unpack ]; then
  bundle=$ROOT/gpu-bundle/bundle.tar.xz
  [ -f "$bundle" ] ||
    setup_failed "unpack: FAILED: $bundle not found (scripts/gpu_bundle.sh writes it; carry gpu-bundle)"
  built_at=$(tar -xJOf "$bundle" build-gpu/source_root.txt) ||
    setup_failed "unpack: FAILED: tar could not read $bundle"
  BUILD=$ROOT/build-gpu
  bundle_sum=$(sha256sum "$bundle" | cut -d' ' -f1)
  if [ "$built_at" = "$ROOT" ] && [ -x "$BUILD/bin/tinytune_tests" ]; then
    # The checkout the bundle was built in: its build-gpu/ (objects and all) stays as it is.
    log "unpack: $ROOT is where the bundle was built; its build-gpu/ is used as it is"
  elif [ "$(cat "$BUILD/bundle.sha256" 2>/dev/null)" = "$bundle_sum" ]; then
    log "unpack: build-gpu/ already holds this bundle (an earlier call on this machine)"
  else
    rm -rf "$BUILD" "$ROOT/gpu-libs"
    tar -C "$ROOT" -xJf "$bundle" || setup_failed "unpack: FAILED: tar could not read $bundle"
    echo "$bundle_sum" >"$BUILD/bundle.sha256"
    # The machine's own copy of a library wins; the bundle's fills the gaps.
    for lib in "$ROOT"/gpu-libs/*; do
      [ -e "$lib" ] || continue
      if ldconfig -p | grep -q "^[[:space:]]$(basename "$lib") "; then rm "$lib"; fi
    done
  fi
  mkdir -p "$ROOT/gpu-libs"
  if [ "$built_at" != "$ROOT" ] && ! [ "$built_at" -ef "$ROOT" ]; then
    [ -e "$built_at" ] &&
      setup_failed "unpack: FAILED: the bundle was built at $built_at, which exists here and is not $ROOT"
    mkdir -p "$(dirname "$built_at")" && ln -s "$ROOT" "$built_at"
    log "unpack: linked $built_at -> $ROOT (the bundle's absolute paths)"
  fi
  search=(/usr /opt /usr/local)
  [ -d "${HOME:-/nonexistent}/.local" ] && search+=("$HOME/.local")
  cuda_dirs=$(find "${search[@]}" -xdev \( -name 'libcublasLt.so.1[0-9]' -o \
              -name 'libcudnn.so.[0-9]' -o -name 'libcufft.so.1[0-9]' \) -printf '%h\n' 2>/dev/null |
              sort -u | paste -sd:)
  export LD_LIBRARY_PATH=$ROOT/gpu-libs${cuda_dirs:+:$cuda_dirs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  log "unpack: bundle libraries used: $(find "$ROOT/gpu-libs" -mindepth 1 -printf '%f ')"
  log "unpack: CUDA library folders: ${cuda_dirs:-none found}"
  BUILT_WITH=$(cat "$BUILD/cuda_version.txt" 2>/dev/null)
  [ -n "$BUILT_WITH" ] || log "unpack: the bundle does not say which CUDA built it (older gpu_bundle.sh)"
fi

if [ "$SETUP" = build ]; then
  RUN_CAPS[configure]=120
  RUN_CAPS[build]=420
  RAN_ONE=0
  run configure cmake -S "$ROOT" -B "$BUILD" "${GENERATOR[@]}" \
      -DCMAKE_BUILD_TYPE=Release -DTINYTUNE_CUDA=ON -DTINYTUNE_BUILD_TESTS=ON \
      -DTINYTUNE_BUILD_BENCHMARKS=ON -DCMAKE_CUDA_COMPILER="$NVCC" ||
    setup_failed "configure: FAILED (see $OUT/configure.log)"
  grep -E "tinytune: (CUDA|cuDNN)" "$OUT/configure.log" | sed 's/^-- /    /' | tee -a "$OUT/summary.txt"
  grep -q "CUDA backend ON" "$OUT/configure.log" ||
    setup_failed "configure: FAILED: CMake did not turn the CUDA backend on (see $OUT/configure.log)"
  RAN_ONE=0
  run build cmake --build "$BUILD" -j "$JOBS" || setup_failed "build: FAILED"
  RAN_ONE=1  # the build took its share: a stage after it must fit its cap
fi
[ -z "$BUILT_WITH" ] && [ -x "$NVCC" ] &&
  BUILT_WITH=$("$NVCC" --version 2>/dev/null | grep -o "release [0-9.]*" | grep -o "[0-9.]*$")

# --- preflight: can this machine run the programs at all? -------------------------------------
programs=()
for p in tinytune_tests train_glue bench_gemm_cuda bench_memory_bound_cuda bench_fft_cuda; do
  programs+=("$BUILD/bin/$p")
done
"$ROOT/scripts/gpu_preflight.sh" ${BUILT_WITH:+--built-with "$BUILT_WITH"} "${programs[@]}" \
  >"$OUT/preflight.log" 2>&1
preflight_rc=$?
sed 's/^/    /' "$OUT/preflight.log" | tee -a "$OUT/summary.txt"
if [ $preflight_rc -ne 0 ]; then
  if [ "${GPU_CHECK_FORCE:-0}" = 1 ]; then
    log "preflight: FAILED (above); GPU_CHECK_FORCE=1: going on"
    FAILED=1
  else
    log "preflight: FAILED (above): no stage can run here; fix that, or GPU_CHECK_FORCE=1 to try anyway"
    exit 1
  fi
else
  log "preflight: ok"
fi

# --- the runs ---------------------------------------------------------------------------------
run_test() {
  # install.package builds consumer projects against Debian's -dev packages, which the GPU
  # machines lack; CI runs it.
  run test env OMP_NUM_THREADS="$TEST_OMP_THREADS" \
    ctest --test-dir "$BUILD" -j "$CTEST_JOBS" --output-on-failure --timeout 300 -E '^install[.]package$'
  [ -f "$OUT/test.log" ] || return 0  # not run
  grep -E "tests passed|tests failed|Total Test time" "$OUT/test.log" | sed 's/^/    /' | tee -a "$OUT/summary.txt"
  # A CUDA test that skipped did not see the device; all of them skipping is a setup problem.
  local cuda_total skipped
  cuda_total=$(ctest --test-dir "$BUILD" -N -R '^cuda' 2>/dev/null | grep -c "Test *#")
  skipped=$(grep -c "(Skipped)" "$OUT/test.log")
  if [ "$skipped" -gt 0 ] && [ "$skipped" -ge "$cuda_total" ]; then
    log "test: FAILED: every CUDA test ($skipped of $cuda_total) reported \"skipped: no CUDA device\" although the preflight found a GPU: tinytune's CUDA runtime could not open it (driver older than the CUDA the programs were built with${BUILT_WITH:+, $BUILT_WITH}? see the preflight lines)"
    FAILED=1
  elif [ "$skipped" -gt 0 ]; then
    log "test: FAILED: $skipped test(s) reported skipped on a machine with a GPU:"
    grep "(Skipped)" "$OUT/test.log" | head -20 | sed 's/^/    /' | tee -a "$OUT/summary.txt"
    FAILED=1
  fi
}

run_bench() {
  local name=$1 program=$2
  run "$name" "$BUILD/bin/$program" || return
  if grep -q "no CUDA device" "$OUT/$name.log"; then
    log "$name: FAILED: the benchmark saw no CUDA device"
    FAILED=1
  fi
}

have_sanitizer() {
  [ -x "$SANITIZER" ] && return 0
  log "$1: FAILED: compute-sanitizer not found (looked for $SANITIZER)"
  FAILED=1
  return 1
}

# The impossible-allocation case makes cudaMalloc fail on purpose (1 PiB); compute-sanitizer
# reports a failing CUDA API call as an error, which --error-exitcode turns into a failed run.
# So memcheck runs every other CUDA case, and memcheck_oom runs that one with API-error
# reports off (memory errors are still reported).
OOM_CASE="cuda allocator: an impossible allocation*"
run_memcheck() {
  have_sanitizer memcheck || return
  run memcheck "$SANITIZER" --tool memcheck --error-exitcode 1 --leak-check no \
    "$BUILD/bin/tinytune_tests" -tc="cuda*" -tce="$OOM_CASE"
  grep -E "ERROR SUMMARY|test cases" "$OUT/memcheck.log" 2>/dev/null | tail -3 | sed 's/^/    /' | tee -a "$OUT/summary.txt"
}
run_memcheck_oom() {
  have_sanitizer memcheck_oom || return
  run memcheck_oom "$SANITIZER" --tool memcheck --error-exitcode 1 --leak-check no \
    --report-api-errors no "$BUILD/bin/tinytune_tests" -tc="$OOM_CASE"
}

run_train() {
  local precision=$1 model=${TRAIN_MODEL:-$ROOT/models/all-MiniLM-L6-v2-f16}
  local steps=${TRAIN_STEPS:-600}
  if [ ! -f "$model/model.safetensors" ] || [ ! -f "$ROOT/data/glue/SST-2/dev.tsv" ]; then
    log "train_$precision: FAILED: needs $model (scripts/make_f16_model.py) and data/glue/SST-2 carried"
    FAILED=1
    return
  fi
  local flags=(--task sst2 --peft qgoft --device cuda --model "$model" --data-dir "$ROOT/data/glue"
               --max-steps "$steps" --eval-every "$steps" --output-dir "$OUT/train_$precision"
               --overwrite-output-dir)
  [ "$precision" = bf16 ] && flags+=(--bf16)
  run "train_$precision" "$BUILD/bin/train_glue" "${flags[@]}"
  grep -E '"(accuracy|examples_per_second|peak_device_memory_mib|device)"' \
    "$OUT/train_$precision/results.json" 2>/dev/null | sed 's/^ */    /' | tee -a "$OUT/summary.txt"
}

for r in "${ALL_RUNS[@]}"; do
  wants_run "$r" || continue
  case $r in
    test) run_test ;;
    bench_gemm) run_bench bench_gemm bench_gemm_cuda ;;
    bench_memory) run_bench bench_memory bench_memory_bound_cuda ;;
    bench_fft) run_bench bench_fft bench_fft_cuda ;;
    memcheck) run_memcheck ;;
    memcheck_oom) run_memcheck_oom ;;
    racecheck)
      have_sanitizer racecheck &&
        run racecheck "$SANITIZER" --tool racecheck --racecheck-report hazard \
          --error-exitcode 1 "$BUILD/bin/tinytune_tests" -tc="cuda gemm: alpha*" ;;
    synccheck)
      have_sanitizer synccheck &&
        run synccheck "$SANITIZER" --tool synccheck --error-exitcode 1 \
          "$BUILD/bin/tinytune_tests" -tc="cuda gemm: alpha*" ;;
    train_f32) run_train f32 ;;
    train_bf16) run_train bf16 ;;
  esac
done

printf '%s\n' "${NOT_RUN[@]}" | grep . >"$STATE/pending"
rerun="scripts/gpu_check.sh"
[ "$SETUP" = unpack ] && rerun+=" unpack"
if [ $FAILED -ne 0 ]; then
  log "SOME RUNS FAILED; see $OUT/summary.txt and the run logs"
  [ ${#NOT_RUN[@]} -gt 0 ] && log "not run for lack of time: ${NOT_RUN[*]}"
  exit 1
fi
if [ ${#NOT_RUN[@]} -gt 0 ]; then
  log "EVERY RUN THAT RAN PASSED; not run for lack of time: ${NOT_RUN[*]}: rerun with \`$rerun ${NOT_RUN[*]}\` (or \`$rerun rest\` on this machine)"
  exit 3
fi
if [ "$WANTED" = " " ]; then
  log "nothing to run after the preflight (stages asked for: ${args[*]}); outputs in $OUT"
else
  log "ALL RUNS OK; outputs in $OUT"
fi
exit 0
