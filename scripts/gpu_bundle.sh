#!/usr/bin/env bash
# Packs a CUDA build made here for a GPU machine that cannot build tinytune itself (the device
# machines lent to this project have nvcc and CMake but not Debian's -dev packages: HDF5,
# SentencePiece, utf8proc, NLopt, OpenBLAS, doctest, nlohmann-json, CLI11).
#
#   scripts/gpu_bundle.sh            # configure + build build-gpu/, write gpu-bundle/bundle.tar.xz
#
# build-gpu/ is a Release build with the CUDA backend, tests and benchmarks on and
# TINYTUNE_NATIVE off (the GPU machine's processor need not have this one's instruction set).
# The bundle holds the programs that scripts/gpu_check.sh runs, ctest's files for them, and the
# shared libraries they load that are neither glibc's, the compiler's nor CUDA's (CUDA's come
# from the GPU machine; cuBLAS alone is 570 MB), and the CUDA version nvcc built them with
# (build-gpu/cuda_version.txt: the GPU machine needs a driver for that CUDA, and CUDA's own
# libraries of that major version, e.g. cuBLAS 13 and cuDNN 9 for CUDA 13; gpu_check.sh's
# preflight names any that is missing). Carry gpu-bundle/ and start the device command with
# `scripts/gpu_check.sh unpack ...` (see that script). gpu-bundle/ is ignored by git.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build-gpu
BUNDLE=$ROOT/gpu-bundle
PROGRAMS=(tinytune_tests train_glue eval_adapter lorahub bench_gemm_cuda bench_memory_bound_cuda
          bench_fft_cuda)

cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTINYTUNE_NATIVE=OFF \
  -DTINYTUNE_CUDA=ON -DTINYTUNE_BUILD_TESTS=ON -DTINYTUNE_BUILD_BENCHMARKS=ON \
  -DBUILD_SHARED_LIBS=OFF -DTINYTUNE_BUILD_EXAMPLES=OFF >/dev/null  # static: no libtinytune_*.so to carry
cmake --build "$BUILD" -j "$(nproc)" --target "${PROGRAMS[@]}"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/build-gpu/bin" "$stage/gpu-libs"
for p in "${PROGRAMS[@]}"; do cp "$BUILD/bin/$p" "$stage/build-gpu/bin/"; done
# ctest's files name absolute paths under $ROOT: gpu_check.sh's unpack stage makes $ROOT
# resolve to the repository there.
cp "$BUILD"/CTestTestfile.cmake "$BUILD"/tinytune_tests_*.cmake "$stage/build-gpu/"
echo "$ROOT" >"$stage/build-gpu/source_root.txt"
# The CUDA version of the nvcc that built it: gpu_check.sh's preflight compares it with what
# the GPU machine's driver supports (an older driver fails every CUDA call).
nvcc=$(sed -n 's/^CMAKE_CUDA_COMPILER:[A-Z]*=//p' "$BUILD/CMakeCache.txt")
cuda_version=$("${nvcc:-nvcc}" --version | grep -o "release [0-9.]*" | grep -o "[0-9.]*$") || {
  echo "gpu_bundle: cannot read the CUDA version of ${nvcc:-nvcc} (is the CUDA backend on?)" >&2
  exit 1
}
echo "$cuda_version" >"$stage/build-gpu/cuda_version.txt"
# Shared libraries: everything ldd resolves, less glibc, libstdc++/libgcc_s and CUDA's (but
# the small CUDA runtime, which the GPU machine may keep only inside Python packages).
for p in "${PROGRAMS[@]}"; do ldd "$BUILD/bin/$p"; done | awk '$2 == "=>" && $3 ~ /^\// {print $3}' |
  sort -u | while read -r lib; do
    name=$(basename "$lib")
    case $name in
      libc.so.*|libm.so.*|libdl.so.*|libpthread.so.*|librt.so.*|ld-linux*|libstdc++.so.*|libgcc_s.so.*) ;;
      libcudart.so.*) cp -L "$lib" "$stage/gpu-libs/$name" ;;
      libcu*|libnv*) ;;
      *) cp -L "$lib" "$stage/gpu-libs/$name" ;;
    esac
  done
mkdir -p "$BUNDLE"
tar -C "$stage" -cJf "$BUNDLE/bundle.tar.xz.tmp" build-gpu gpu-libs
mv "$BUNDLE/bundle.tar.xz.tmp" "$BUNDLE/bundle.tar.xz"
echo "gpu_bundle: $BUNDLE/bundle.tar.xz ($(du -h "$BUNDLE/bundle.tar.xz" | cut -f1)); carry gpu-bundle"
