#!/usr/bin/env bash
# Everything the CUDA backend needs checked on a machine with a GPU, in one call:
#
#   OUT=/some/dir scripts/gpu_check.sh            # all stages (default OUT: ./gpu-out)
#   scripts/gpu_check.sh memcheck racecheck       # only some: build test bench memcheck racecheck
#                                                 # (a later call on the same warm machine reuses
#                                                 # the build)
#   scripts/gpu_check.sh unpack test bench        # a machine that cannot build (see unpack)
#
# Stages, in order, each logged to $OUT/<stage>.log with progress lines on stdout and a
# status line in $OUT/summary.txt:
#   unpack     (only when asked for; instead of build) for a GPU machine without Debian's -dev
#              packages (this project's device machines): unpacks gpu-bundle/bundle.tar.xz,
#              which scripts/gpu_bundle.sh wrote on a machine that builds, into build-gpu/ and
#              gpu-libs/; links the path the bundle was built at to this checkout (ctest's files
#              and the tests' fixture path are absolute); puts the bundle's libraries that this
#              machine lacks, and the folders holding CUDA's cuBLAS, cuDNN and cuFFT (the
#              toolkit's or a Python package's), on LD_LIBRARY_PATH. Carry: gpu-bundle
#   build      configure (Release, CUDA on, benchmarks on) and build everything in $BUILD
#              (default ./build-gpu); fails if CMake did not turn the CUDA backend on
#   test       the whole suite through ctest (CPU and CUDA tests); on a GPU machine no CUDA test
#              may report "skipped: no CUDA device", so any skip fails the stage
#   bench      build/bin/bench_fft_cuda, bench_gemm_cuda and bench_memory_bound_cuda (their
#              tables; few repetitions, capped at 60, 150 and 60 s); before the sanitizers,
#              which take what is left
#   memcheck   compute-sanitizer --tool memcheck on the CUDA tests (doctest cases "cuda*")
#   racecheck  compute-sanitizer racecheck + synccheck on the small GEMM cases: shared-memory
#              hazards of the own GEMM kernels (double buffering, cp.async stages)
#   train      (only when asked for) train_glue --task sst2 --peft qgoft on the GPU, f32 then
#              --bf16, $TRAIN_STEPS steps (default 600) with an evaluation at the end; needs the
#              model in $TRAIN_MODEL (default models/all-MiniLM-L6-v2-f16: the device machine
#              has no network, and the f32 model.safetensors, 87 MB, is over the 64 MiB that a
#              call can carry, so scripts/make_f16_model.py writes a 44 MB F16 copy, which
#              tinytune loads as f32) and data/glue/SST-2. Carry both:
#                carry: models/all-MiniLM-L6-v2-f16, data/glue/SST-2
# The whole run is held to $GPU_CHECK_BUDGET seconds (default 570, under a 600 s call limit):
# each stage runs under `timeout` with what is left, so a slow stage cannot starve the
# summary, and every log written so far is in $OUT when time runs out.
# Note: memcheck sees CUDA allocations as cudaMalloc made them, and tinytune's caching
# allocator rounds sizes up (512 B / 2 MiB, core/cuda/allocator.h), so an overrun into the
# rounding slack of a block is not reported.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${OUT:-$ROOT/gpu-out}
BUILD=${BUILD:-$ROOT/build-gpu}
BUDGET=${GPU_CHECK_BUDGET:-570}
JOBS=${JOBS:-$(nproc)}
mkdir -p "$OUT"
START=$SECONDS
FAILED=0

STAGES=("$@")
[ ${#STAGES[@]} -eq 0 ] && STAGES=(build test bench memcheck racecheck)
wants() { local s; for s in "${STAGES[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

log() { printf '[gpu_check %4ds] %s\n' $((SECONDS - START)) "$*" | tee -a "$OUT/summary.txt"; }
left() { echo $((BUDGET - (SECONDS - START))); }

# run_stage NAME CAP_SECONDS COMMAND...: runs COMMAND with stdout+stderr to $OUT/NAME.log under
# a timeout of min(CAP, time left); records ok / FAILED (exit code) / TIMED OUT.
run_stage() {
  local name=$1 cap=$2
  shift 2
  local limit
  limit=$(left)
  [ "$cap" -lt "$limit" ] && limit=$cap
  if [ "$limit" -le 5 ]; then
    log "$name: SKIPPED (no time left in the ${BUDGET}s budget)"
    FAILED=1
    return 1
  fi
  log "$name: start (limit ${limit}s): $*"
  local t0=$SECONDS rc
  timeout --signal=INT --kill-after=10 "$limit" "$@" >"$OUT/$name.log" 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then
    log "$name: ok ($((SECONDS - t0))s)"
  elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    log "$name: TIMED OUT after $((SECONDS - t0))s (log: $OUT/$name.log)"
    FAILED=1
  else
    log "$name: FAILED with exit code $rc ($((SECONDS - t0))s; last lines of $OUT/$name.log:)"
    tail -n 30 "$OUT/$name.log" | sed 's/^/    /' | tee -a "$OUT/summary.txt"
    FAILED=1
  fi
  return $rc
}

: >"$OUT/summary.txt"
log "repository $ROOT, build dir $BUILD, output $OUT, stages: ${STAGES[*]}"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "host: $(hostname)"
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1
  (command -v nvcc >/dev/null && nvcc --version) || /usr/local/cuda/bin/nvcc --version 2>&1
  cmake --version 2>&1 | head -1
  echo "git: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null) $(git -C "$ROOT" status --short 2>/dev/null | wc -l) changed files"
} >"$OUT/environment.txt" 2>&1
log "GPU: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>&1 | head -1)"

NVCC=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
SANITIZER=$(command -v compute-sanitizer || echo "$(dirname "$NVCC")/compute-sanitizer")
GENERATOR=()
command -v ninja >/dev/null && GENERATOR=(-G Ninja)

if wants unpack; then
  bundle=$ROOT/gpu-bundle/bundle.tar.xz
  if [ ! -f "$bundle" ]; then
    log "unpack: FAILED: $bundle not found (scripts/gpu_bundle.sh writes it; carry gpu-bundle)"
    exit 1
  fi
  built_at=$(tar -xJOf "$bundle" build-gpu/source_root.txt) ||
    { log "unpack: FAILED: tar could not read $bundle"; exit 1; }
  BUILD=$ROOT/build-gpu
  if [ "$built_at" = "$ROOT" ] && [ -x "$BUILD/bin/tinytune_tests" ]; then
    # The checkout the bundle was built in: its build-gpu/ (objects and all) stays as it is.
    log "unpack: $ROOT is where the bundle was built; its build-gpu/ is used as it is"
  else
    rm -rf "$BUILD" "$ROOT/gpu-libs"
    tar -C "$ROOT" -xJf "$bundle" || { log "unpack: FAILED: tar could not read $bundle"; exit 1; }
  fi
  mkdir -p "$ROOT/gpu-libs"
  if [ "$built_at" != "$ROOT" ] && ! [ "$built_at" -ef "$ROOT" ]; then
    if [ -e "$built_at" ]; then
      log "unpack: FAILED: the bundle was built at $built_at, which exists here and is not $ROOT"
      exit 1
    fi
    mkdir -p "$(dirname "$built_at")" && ln -s "$ROOT" "$built_at"
    log "unpack: linked $built_at -> $ROOT (the bundle's absolute paths)"
  fi
  # The machine's own copy of a library wins; the bundle's fills the gaps.
  for lib in "$ROOT"/gpu-libs/*; do
    [ -e "$lib" ] || continue
    if ldconfig -p | grep -q "^[[:space:]]$(basename "$lib") "; then rm "$lib"; fi
  done
  cuda_dirs=$(find /usr /opt /usr/local -xdev \( -name 'libcublasLt.so.1[0-9]' -o \
              -name 'libcudnn.so.[0-9]' -o -name 'libcufft.so.1[0-9]' \) -printf '%h\n' 2>/dev/null |
              sort -u | paste -sd:)
  export LD_LIBRARY_PATH=$ROOT/gpu-libs${cuda_dirs:+:$cuda_dirs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  log "unpack: bundle libraries used: $(ls "$ROOT/gpu-libs" | paste -sd' ')"
  log "unpack: CUDA library folders: ${cuda_dirs:-none found}"
  missing=$(ldd "$BUILD/bin/tinytune_tests" "$BUILD/bin/bench_memory_bound_cuda" | grep "not found" | sort -u)
  if [ -n "$missing" ]; then
    log "unpack: FAILED: libraries not found: $missing"
    exit 1
  fi
fi

if wants build; then
  if run_stage configure 120 cmake -S "$ROOT" -B "$BUILD" "${GENERATOR[@]}" \
      -DCMAKE_BUILD_TYPE=Release -DTINYTUNE_CUDA=ON -DTINYTUNE_BUILD_TESTS=ON \
      -DTINYTUNE_BUILD_BENCHMARKS=ON -DCMAKE_CUDA_COMPILER="$NVCC"; then
    if ! grep -q "CUDA backend ON" "$OUT/configure.log"; then
      log "configure: FAILED: CMake did not turn the CUDA backend on (see $OUT/configure.log)"
      FAILED=1
    fi
    grep -E "tinytune: (CUDA|cuDNN)" "$OUT/configure.log" | sed 's/^-- /    /' | tee -a "$OUT/summary.txt"
    run_stage build 420 cmake --build "$BUILD" -j "$JOBS"
  fi
fi

if wants test; then
  if run_stage test 240 ctest --test-dir "$BUILD" -j "$JOBS" --output-on-failure --timeout 300; then :; fi
  grep -E "tests passed|tests failed|Total Test time" "$OUT/test.log" | sed 's/^/    /' | tee -a "$OUT/summary.txt"
  # On a GPU machine a skipped CUDA test means the device was not seen.
  skipped=$(grep -c "Skipped" "$OUT/test.log" || true)
  if [ "${skipped:-0}" -gt 0 ]; then
    log "test: $skipped test(s) reported skipped on a machine that should have a device:"
    grep "Skipped" "$OUT/test.log" | head -20 | sed 's/^/    /' | tee -a "$OUT/summary.txt"
    FAILED=1
  fi
fi

if wants bench; then
  run_stage bench_fft_cuda 60 "$BUILD/bin/bench_fft_cuda"
  run_stage bench_gemm_cuda 150 "$BUILD/bin/bench_gemm_cuda"
  run_stage bench_memory_bound_cuda 60 "$BUILD/bin/bench_memory_bound_cuda"
  for b in bench_fft_cuda bench_gemm_cuda bench_memory_bound_cuda; do
    if grep -q "no CUDA device" "$OUT/$b.log" 2>/dev/null; then
      log "$b: FAILED: the benchmark saw no CUDA device"
      FAILED=1
    fi
  done
fi

if wants memcheck; then
  if [ -x "$SANITIZER" ]; then
    run_stage memcheck 200 "$SANITIZER" --tool memcheck --error-exitcode 1 --leak-check no \
      "$BUILD/bin/tinytune_tests" -tc="cuda*"
    grep -E "ERROR SUMMARY|test cases" "$OUT/memcheck.log" | tail -3 | sed 's/^/    /' | tee -a "$OUT/summary.txt"
  else
    log "memcheck: SKIPPED: compute-sanitizer not found (looked for $SANITIZER)"
    FAILED=1
  fi
fi

if wants racecheck; then
  if [ -x "$SANITIZER" ]; then
    run_stage racecheck 100 "$SANITIZER" --tool racecheck --racecheck-report hazard \
      --error-exitcode 1 "$BUILD/bin/tinytune_tests" -tc="cuda gemm: alpha*"
    run_stage synccheck 60 "$SANITIZER" --tool synccheck --error-exitcode 1 \
      "$BUILD/bin/tinytune_tests" -tc="cuda gemm: alpha*"
  else
    log "racecheck: SKIPPED: compute-sanitizer not found"
  fi
fi

if wants train; then
  model=${TRAIN_MODEL:-$ROOT/models/all-MiniLM-L6-v2-f16}
  steps=${TRAIN_STEPS:-600}
  if [ ! -f "$model/model.safetensors" ] || [ ! -f "$ROOT/data/glue/SST-2/dev.tsv" ]; then
    log "train: SKIPPED: needs $model (scripts/make_f16_model.py) and data/glue/SST-2 carried"
    FAILED=1
  else
    for precision in f32 bf16; do
      flags=(--task sst2 --peft qgoft --device cuda --model "$model" --data-dir "$ROOT/data/glue"
             --max-steps "$steps" --eval-every "$steps" --output-dir "$OUT/train_$precision")
      [ "$precision" = bf16 ] && flags+=(--bf16)
      run_stage "train_$precision" 150 "$BUILD/bin/train_glue" "${flags[@]}"
      grep -E '"(accuracy|examples_per_second|peak_device_memory_mib|device)"' \
        "$OUT/train_$precision/results.json" 2>/dev/null | sed 's/^ */    /' | tee -a "$OUT/summary.txt"
    done
  fi
fi

if [ $FAILED -eq 0 ]; then
  log "ALL STAGES OK (${STAGES[*]}); outputs in $OUT"
else
  log "SOME STAGES FAILED or were skipped; see $OUT/summary.txt and the stage logs"
fi
exit $FAILED
