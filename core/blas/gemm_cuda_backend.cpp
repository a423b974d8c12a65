// CUDA GEMM backend selection and the TF32 switch (core/blas/gemm_cuda.h). Plain C++, compiled
// in every build, so the settings can be read and changed without CUDA.
#include <atomic>
#include <cstdlib>
#include <string>

#include "tinytune/core/blas/gemm_cuda.h"
#include "tinytune/core/error.h"

namespace tt::blas {

namespace {

CudaGemmBackend backend_from_env() {
  const char* value = std::getenv("TINYTUNE_CUDA_GEMM");
  if (value == nullptr || *value == '\0') return CudaGemmBackend::cublas;
  try {
    return parse_cuda_gemm_backend(value);
  } catch (const Error&) {
    throw Error(detail::concat("environment variable TINYTUNE_CUDA_GEMM=\"", value,
                               "\" is not a CUDA GEMM backend; accepted values: cublas, own"));
  }
}

bool tf32_from_env() {
  const char* value = std::getenv("TINYTUNE_CUDA_TF32");
  if (value == nullptr || *value == '\0') return false;
  const std::string v = value;
  if (v == "0") return false;
  if (v == "1") return true;
  throw Error(detail::concat("environment variable TINYTUNE_CUDA_TF32=\"", v,
                             "\" is not a switch; accepted values: 0, 1"));
}

// Read once, on first use; atomic because a setter may race with GEMM calls on other threads.
std::atomic<CudaGemmBackend>& backend_slot() {
  static std::atomic<CudaGemmBackend> slot{backend_from_env()};
  return slot;
}
std::atomic<bool>& tf32_slot() {
  static std::atomic<bool> slot{tf32_from_env()};
  return slot;
}

}  // namespace

void set_cuda_gemm_backend(CudaGemmBackend backend) { backend_slot().store(backend); }
CudaGemmBackend cuda_gemm_backend() { return backend_slot().load(); }

CudaGemmBackend parse_cuda_gemm_backend(const std::string& name) {
  if (name == "cublas") return CudaGemmBackend::cublas;
  if (name == "own") return CudaGemmBackend::own;
  throw Error(detail::concat("unknown CUDA GEMM backend \"", name,
                             "\"; accepted values: cublas, own"));
}

const char* to_string(CudaGemmBackend backend) {
  switch (backend) {
    case CudaGemmBackend::cublas: return "cublas";
    case CudaGemmBackend::own: return "own";
  }
  return "unknown";
}

void set_cuda_allow_tf32(bool allow) { tf32_slot().store(allow); }
bool cuda_allow_tf32() { return tf32_slot().load(); }

}  // namespace tt::blas
