#!/usr/bin/env bash
# The OpenMP CPU kernels under ThreadSanitizer, with Archer (LLVM libomp's OMPT tool that tells
# TSan about OpenMP's own synchronisation: barriers, tasks, reductions; without it TSan reports
# races inside the uninstrumented runtime). A documented command, not CI (issue 39):
#   ./scripts/tsan_openmp.sh            build in build-tsan (clang, -O1), run the tests below
#   THREADS=8 ./scripts/tsan_openmp.sh  OpenMP threads (default 4: more than the cores, so that
#                                       the threads interleave on a two-core machine)
# Only tinytune_core is built, and only the OpenMP-heavy tests are compiled against it: GEMM
# (own backend, blocked and threaded), softmax, the fused ops (layer norm, attention) and the
# Givens kernels. Exit status 66 is a TSan report.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${BUILD_DIR:-build-tsan}"
archer=$(ls /usr/lib/llvm-*/lib/libarcher.so 2>/dev/null | tail -1)
[ -n "$archer" ] || { echo "tsan_openmp: no libarcher.so (clang's OpenMP runtime, Debian package libomp-dev)" >&2; exit 2; }
tsan=(-fsanitize=thread -fno-omit-frame-pointer -g1)
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG" -DCMAKE_CXX_FLAGS="${tsan[*]}" \
  -DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread \
  -DTINYTUNE_CUDA=OFF -DTINYTUNE_BUILD_TESTS=OFF -DTINYTUNE_BUILD_TOOLS=OFF \
  -DTINYTUNE_BUILD_BENCHMARKS=OFF -DTINYTUNE_BUILD_EXAMPLES=OFF -DTINYTUNE_INSTALL=OFF >/dev/null
cmake --build "$build" -j "${JOBS:-$(nproc)}" --target tinytune_core
tests=(tests/main.cpp tests/core/test_gemm.cpp tests/ops/test_softmax.cpp tests/ops/test_fused_ops.cpp
       tests/ops/test_givens.cpp)
[ "$build/omp_race_tests" -nt scripts/tsan_openmp.sh ] ||
  clang++ -std=c++20 -O1 "${tsan[@]}" -fopenmp -I "$build/include" -I . \
    -DTINYTUNE_FIXTURE_DIR="\"$PWD/tests/fixtures\"" "${tests[@]}" -L "$build/lib" \
    -ltinytune_core -Wl,-rpath,"$PWD/$build/lib" -o "$build/omp_race_tests"
# The OpenBLAS backend's tests are left out: libopenblas has its own threads, not instrumented.
OMP_NUM_THREADS="${THREADS:-4}" OMP_TOOL_LIBRARIES="$archer" \
  TSAN_OPTIONS="ignore_noninstrumented_modules=1 exitcode=66 ${TSAN_OPTIONS:-}" \
  "$build/omp_race_tests" -tce="gemm_openblas*"
