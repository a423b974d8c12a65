#!/usr/bin/env bash
# scripts/gpu_preflight.sh and gpu_check.sh as they behave without a GPU run (no device needed:
# nvidia-smi, libcuda and the programs are faked): each finding of the preflight is named in
# words (no GPU, a driver older than the build's CUDA, a missing cuBLAS with what provides
# it); gpu_check.sh stops after a failed preflight; runs that do not fit the time budget are
# "not run" (exit 3) with the command that runs them, and `rest` picks them up; a CUDA test
# that skips fails the test run, and every one skipping says the device was not seen.
# Usage (ctest runs it): gpu_check_cli.sh SOURCE_ROOT
set -uo pipefail
root="$1"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/cli_checks.sh"

# A fake nvidia-smi: `-L` lists $FAKE_GPUS lines, the plain call prints the driver's CUDA.
mkdir -p "$tmp/bin" "$tmp/lib"
cat >"$tmp/bin/nvidia-smi" <<'EOF'
#!/usr/bin/env bash
case "${1:-}" in
  -L) [ -n "$FAKE_GPUS" ] && echo "$FAKE_GPUS" || echo "No devices were found"; [ -n "$FAKE_GPUS" ] ;;
  --query-gpu=*) echo "575.57" ;;
  *) echo "| NVIDIA-SMI 575.57   Driver Version: 575.57   CUDA Version: $FAKE_CUDA |" ;;
esac
EOF
chmod +x "$tmp/bin/nvidia-smi"
touch "$tmp/lib/libcuda.so.1"  # found through LD_LIBRARY_PATH by the preflight's search
export NVIDIA_SMI="$tmp/bin/nvidia-smi" LD_LIBRARY_PATH="$tmp/lib"
export FAKE_GPUS="GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-0)" FAKE_CUDA=13.0

bin="$root/scripts/gpu_preflight.sh"
expect "a GPU and a driver new enough" 0 "driver CUDA 13.0 >= built with CUDA 13.0: ok" -- --built-with 13.0
FAKE_CUDA=12.4 expect "driver older than the build's CUDA" 1 \
  "DRIVER TOO OLD: the driver supports CUDA up to 12.4, the programs were built with CUDA 13.0" -- --built-with 13.0
FAKE_GPUS="" expect "nvidia-smi lists no GPU" 1 "NO GPU: $tmp/bin/nvidia-smi lists no GPU (No devices were found)" --
NVIDIA_SMI="$tmp/nowhere/nvidia-smi" expect "no nvidia-smi" 1 "NO GPU: $tmp/nowhere/nvidia-smi not found" --
LD_LIBRARY_PATH="" expect "no libcuda" 1 "libcuda.so.1 not found: it comes from the NVIDIA driver" -- 2>/dev/null

# A program linked against a cuBLAS that is not there (a major version no machine has).
if command -v cc >/dev/null; then
  echo "int cublasLtCreate(void) { return 0; }" >"$tmp/lt.c"
  echo "int cublasLtCreate(void); int main(void) { return cublasLtCreate(); }" >"$tmp/main.c"
  cc -shared -fPIC -Wl,-soname,libcublasLt.so.99 -o "$tmp/libcublasLt.so.99" "$tmp/lt.c" &&
    cc -o "$tmp/needs_cublas" "$tmp/main.c" "$tmp/libcublasLt.so.99" && rm "$tmp/libcublasLt.so.99"
  expect "a missing cuBLAS, named with what provides it" 1 \
    "needs_cublas needs libcublasLt.so.99, not found: it comes from cuBLAS of CUDA 99" -- "$tmp/needs_cublas"
else
  echo "gpu_check_cli: no C compiler: the missing-library case is not checked"
fi
expect "a program that is not there" 1 "program $tmp/nowhere/prog not found" -- "$tmp/nowhere/prog"

# gpu_check.sh on a fake build (programs that do nothing) and with a tiny budget.
fake_build="$tmp/build"
mkdir -p "$fake_build/bin"
for p in tinytune_tests train_glue bench_gemm_cuda bench_memory_bound_cuda bench_fft_cuda; do
  cp "$(type -P true)" "$fake_build/bin/$p"
done
export BUILD="$fake_build" GPU_CHECK_STATE="$tmp/state" OUT="$tmp/out"
bin="$root/scripts/gpu_check.sh"
FAKE_GPUS="" expect "no GPU: the preflight stops the run" 1 \
  "preflight: FAILED (above): no stage can run here" -- test
expect "unknown stage" 2 "unknown stage 'benchmark'" -- benchmark
GPU_CHECK_BUDGET=20 expect "runs that do not fit are not run, with the command to run them" 3 \
  "not run for lack of time: test bench_fft: rerun with \`scripts/gpu_check.sh test bench_fft\`" -- test bench_fft
check "the runs not run are recorded" grep -qx "bench_fft" "$tmp/state/pending"
GPU_CHECK_BUDGET=20 expect "rest: the runs of the last call" 3 "runs: test bench_fft" -- rest
# A fake ctest suite in the fake build: CUDA cases that skip as a device-less run does.
fake_suite() {  # fake_suite CUDA_CASES_THAT_SKIP CUDA_CASES_THAT_PASS
  local i
  echo 'add_test([=[cpu case]=] "true")' >"$fake_build/CTestTestfile.cmake"
  for ((i = 0; i < $1; ++i)); do
    echo "add_test([=[cuda skipping $i]=] \"echo\" \"skipped: no CUDA device\")
set_tests_properties([=[cuda skipping $i]=] PROPERTIES SKIP_REGULAR_EXPRESSION \"skipped: no CUDA device\")"
  done >>"$fake_build/CTestTestfile.cmake"
  for ((i = 0; i < $2; ++i)); do
    echo "add_test([=[cuda passing $i]=] \"true\")" >>"$fake_build/CTestTestfile.cmake"
  done
}
if command -v ctest >/dev/null; then
  fake_suite 3 0
  expect "every CUDA test skipped on a machine with a GPU" 1 \
    "test: FAILED: every CUDA test (3 of 3) reported \"skipped: no CUDA device\" although the preflight found a GPU" -- test
  fake_suite 1 2
  expect "one CUDA test skipped" 1 "test: FAILED: 1 test(s) reported skipped on a machine with a GPU" -- test
  fake_suite 0 2
  expect "no CUDA test skipped" 0 "ALL RUNS OK" -- test
fi
cli_summary gpu_check_cli
