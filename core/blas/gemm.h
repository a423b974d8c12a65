// GEMM: the one matrix-multiply entry point every op uses.
//
// Row-major, BLAS-style:  C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C
// where op(X) = X or X^T. lda/ldb/ldc are row strides in elements (row-major leading dims):
//   A is stored as [M,K] with row stride lda when !trans_a, as [K,M] when trans_a; same for B.
// Backends are selectable at run time so our kernel and the baseline run in one process.
#pragma once
#include <cstdint>
#include <string>

namespace tt::blas {

enum class GemmBackend {
  own,       // tinytune's blocked, vectorised CPU kernel (default)
  openblas,  // OpenBLAS cblas_?gemm: the CPU baseline
};

// Process-wide selection. The initial value comes from the environment variable
// TINYTUNE_GEMM ("own" or "openblas"); unset means own.
void set_gemm_backend(GemmBackend backend);
GemmBackend gemm_backend();
GemmBackend parse_gemm_backend(const std::string& name);  // throws tt::Error on unknown names
const char* to_string(GemmBackend backend);

void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
          const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
          int64_t ldc);
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha,
          const double* A, int64_t lda, const double* B, int64_t ldb, double beta, double* C,
          int64_t ldc);

// Throws tt::Error naming `name` for negative sizes or leading dims too small for the layout.
void check_gemm_args(const char* name, bool trans_a, bool trans_b, int64_t M, int64_t N,
                     int64_t K, int64_t lda, int64_t ldb, int64_t ldc);

// The backends themselves, for benchmarks and tests that compare them directly.
void gemm_own(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
              const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
              int64_t ldc);
void gemm_own(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha,
              const double* A, int64_t lda, const double* B, int64_t ldb, double beta,
              double* C, int64_t ldc);
void gemm_openblas(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                   const float* A, int64_t lda, const float* B, int64_t ldb, float beta,
                   float* C, int64_t ldc);
void gemm_openblas(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha,
                   const double* A, int64_t lda, const double* B, int64_t ldb, double beta,
                   double* C, int64_t ldc);

}  // namespace tt::blas
