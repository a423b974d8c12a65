// GEMM backend selection and the dispatching entry points (see gemm.h).
#include "tinytune/core/blas/gemm.h"

#include <algorithm>

#include <atomic>
#include <cstdlib>

#include "tinytune/core/error.h"

namespace tt::blas {

namespace {

GemmBackend backend_from_env() {
  const char* value = std::getenv("TINYTUNE_GEMM");
  if (value == nullptr || *value == '\0') return GemmBackend::own;
  try {
    return parse_gemm_backend(value);
  } catch (const Error&) {
    throw Error(detail::concat("environment variable TINYTUNE_GEMM=\"", value,
                               "\" is not a GEMM backend; accepted values: own, openblas"));
  }
}

// Read once, on first use (a function-local static, so the environment is consulted lazily and
// thread-safely). Atomic because set_gemm_backend may race with gemm calls from other threads.
std::atomic<GemmBackend>& backend_slot() {
  static std::atomic<GemmBackend> slot{backend_from_env()};
  return slot;
}

}  // namespace

void set_gemm_backend(GemmBackend backend) { backend_slot().store(backend); }

GemmBackend gemm_backend() { return backend_slot().load(); }

GemmBackend parse_gemm_backend(const std::string& name) {
  if (name == "own") return GemmBackend::own;
  if (name == "openblas") return GemmBackend::openblas;
  throw Error(detail::concat("unknown GEMM backend \"", name,
                             "\"; accepted values: own, openblas"));
}

const char* to_string(GemmBackend backend) {
  switch (backend) {
    case GemmBackend::own: return "own";
    case GemmBackend::openblas: return "openblas";
  }
  return "unknown";
}

void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
          const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
          int64_t ldc) {
  if (gemm_backend() == GemmBackend::openblas)
    gemm_openblas(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  else
    gemm_own(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha,
          const double* A, int64_t lda, const double* B, int64_t ldb, double beta, double* C,
          int64_t ldc) {
  if (gemm_backend() == GemmBackend::openblas)
    gemm_openblas(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  else
    gemm_own(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void check_gemm_args(const char* name, bool trans_a, bool trans_b, int64_t M, int64_t N,
                     int64_t K, int64_t lda, int64_t ldb, int64_t ldc) {
  TT_CHECK(M >= 0 && N >= 0 && K >= 0, name, ": negative size M=", M, " N=", N, " K=", K);
  TT_CHECK(lda >= std::max<int64_t>(1, trans_a ? M : K), name, ": lda=", lda, " too small");
  TT_CHECK(ldb >= std::max<int64_t>(1, trans_b ? K : N), name, ": ldb=", ldb, " too small");
  TT_CHECK(ldc >= std::max<int64_t>(1, N), name, ": ldc=", ldc, " too small");
}

}  // namespace tt::blas
