#!/usr/bin/env bash
# Checks, before scripts/gpu_check.sh spends device time, that this machine can run the CUDA
# programs at all, and says what is wrong in words rather than through a wall of skipped tests:
#
#   scripts/gpu_preflight.sh [--built-with CUDA_VERSION] [PROGRAM...]
#
#   GPU      nvidia-smi is found and lists a GPU ("NO GPU" otherwise), and the driver's CUDA
#            library libcuda.so.1 is on the loader's path
#   driver   the CUDA version the driver supports (nvidia-smi's "CUDA Version") is not older
#            than CUDA_VERSION, the toolkit the programs were built with (gpu_bundle.sh records
#            nvcc's version in the bundle): an older major version fails every CUDA call, so
#            every CUDA test would report skipped
#   PROGRAM  every shared library each program needs resolves (ldd's "not found" lines); a
#            missing one is named with what provides it (cuBLAS, cuDNN... of which CUDA)
# Prints one "preflight: ..." line a finding; exit 0 when all pass, 1 when any fails.
# NVIDIA_SMI (default: nvidia-smi on PATH) names the program asked about the GPU (tests fake it).
set -uo pipefail

built_with=""
if [ "${1:-}" = "--built-with" ]; then
  built_with=${2:?"--built-with needs a CUDA version such as 13.0"}
  shift 2
fi
NVIDIA_SMI=${NVIDIA_SMI:-nvidia-smi}
status=0
say() { echo "preflight: $*"; }
fail() { say "$*"; status=1; }

# What provides a shared library that ldd could not find.
provider() {
  case $1 in
    libcuda.so.*) echo "the NVIDIA driver (not part of the bundle; a GPU machine has it)" ;;
    libcublasLt.so.*|libcublas.so.*)
      echo "cuBLAS of CUDA ${1##*.so.} (the CUDA ${1##*.so.} toolkit's lib64, apt libcublas-${1##*.so.}-*, or NVIDIA's cuBLAS Python wheel for CUDA ${1##*.so.})" ;;
    libcudnn*.so.*)
      echo "cuDNN ${1##*.so.} (apt libcudnn${1##*.so.}-cuda-*, or NVIDIA's cuDNN ${1##*.so.} Python wheel; it must match the CUDA major version the bundle was built with${built_with:+, $built_with})" ;;
    libcufft.so.*) echo "cuFFT of CUDA's toolkit (lib64) or NVIDIA's cuFFT Python wheel" ;;
    libcudart.so.*) echo "the CUDA runtime (the bundle's gpu-libs carries it: rerun scripts/gpu_bundle.sh)" ;;
    *) echo "the bundle's gpu-libs (rerun scripts/gpu_bundle.sh on the build machine) or the Debian package that has it" ;;
  esac
}

# Whether the loader finds library $1: in its cache, or in a folder of LD_LIBRARY_PATH.
library_found() {
  ldconfig -p 2>/dev/null | grep -q "[[:space:]]$1 " && return 0
  local dir
  IFS=: read -ra dirs <<<"${LD_LIBRARY_PATH:-}"
  for dir in "${dirs[@]}"; do [ -n "$dir" ] && [ -e "$dir/$1" ] && return 0; done
  return 1
}

# --- GPU and driver ---------------------------------------------------------------------------
driver_cuda=""
if ! command -v "$NVIDIA_SMI" >/dev/null 2>&1; then
  fail "NO GPU: $NVIDIA_SMI not found (no NVIDIA driver on this machine); CUDA tests would all report skipped"
else
  if ! gpus=$("$NVIDIA_SMI" -L 2>&1) || ! grep -q "^GPU [0-9]" <<<"$gpus"; then
    fail "NO GPU: $NVIDIA_SMI lists no GPU ($(head -1 <<<"$gpus"))"
  else
    say "GPU: $(grep "^GPU [0-9]" <<<"$gpus" | head -1)"
    driver_cuda=$("$NVIDIA_SMI" 2>/dev/null | grep -o "CUDA Version: *[0-9.]*" | head -1 | grep -o "[0-9.]*$")
    say "driver: $("$NVIDIA_SMI" --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -1), supports CUDA ${driver_cuda:-(unknown: nvidia-smi printed no CUDA Version)}"
  fi
  if ! library_found libcuda.so.1; then
    fail "libcuda.so.1 not found: it comes from $(provider libcuda.so.1)"
  fi
fi

if [ -n "$built_with" ] && [ -n "$driver_cuda" ]; then
  built_major=${built_with%%.*} driver_major=${driver_cuda%%.*}
  built_minor=${built_with#*.} driver_minor=${driver_cuda#*.}
  built_minor=${built_minor%%.*} driver_minor=${driver_minor%%.*}
  if [ "$driver_major" -lt "$built_major" ]; then
    fail "DRIVER TOO OLD: the driver supports CUDA up to $driver_cuda, the programs were built with CUDA $built_with: every CUDA call fails (cudaErrorInsufficientDriver) and every CUDA test would report skipped. Install a driver for CUDA $built_major (CUDA 13 needs R580 or newer), or build with CUDA $driver_major's nvcc"
  elif [ "$driver_major" -eq "$built_major" ] && [ "${driver_minor:-0}" -lt "${built_minor:-0}" ]; then
    say "note: the driver supports CUDA $driver_cuda, older than the build's CUDA $built_with; CUDA's minor-version compatibility runs the sm_90 code, but PTX would not JIT"
  else
    say "driver CUDA $driver_cuda >= built with CUDA $built_with: ok"
  fi
fi

# --- Libraries of the programs ----------------------------------------------------------------
for program in "$@"; do
  if [ ! -x "$program" ]; then
    fail "program $program not found or not executable (build, or unpack the bundle, first)"
    continue
  fi
  if ! deps=$(ldd "$program" 2>&1); then
    fail "ldd could not read $program: $(head -1 <<<"$deps")"
    continue
  fi
  missing=$(awk '$2 == "=>" && $3 == "not" {print $1}' <<<"$deps" | sort -u)
  if [ -z "$missing" ]; then
    say "$(basename "$program"): every shared library found"
  fi
  for lib in $missing; do
    fail "$(basename "$program") needs $lib, not found: it comes from $(provider "$lib")"
  done
done
exit $status
