// The OpenBLAS baseline backend: a thin wrapper over cblas_?gemm (row-major). Built with
// TINYTUNE_OPENBLAS=OFF, the same entry points throw, so no consumer needs OpenBLAS.
#include "tinytune/core/blas/gemm.h"
#include "tinytune/core/error.h"

#ifdef TINYTUNE_WITH_OPENBLAS
#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <climits>
#include <mutex>

namespace tt::blas {

namespace {

// Give OpenBLAS the same thread count as our OpenMP kernel, so comparisons are like for like.
// Done once: openblas_set_num_threads is not meant to be called on every GEMM.
void init_openblas_threads() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(omp_get_max_threads()); });
}

void check_args(const char* name, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
                int64_t lda, int64_t ldb, int64_t ldc) {
  check_gemm_args(name, trans_a, trans_b, M, N, K, lda, ldb, ldc);
  // OpenBLAS here is built with 32-bit blasint.
  TT_CHECK(std::max({M, N, K, lda, ldb, ldc}) <= INT_MAX, name,
           ": sizes exceed OpenBLAS's 32-bit integer interface");
}

CBLAS_TRANSPOSE op(bool trans) { return trans ? CblasTrans : CblasNoTrans; }

}  // namespace

void gemm_openblas(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                   const float* A, int64_t lda, const float* B, int64_t ldb, float beta,
                   float* C, int64_t ldc) {
  check_args("gemm_openblas(f32)", trans_a, trans_b, M, N, K, lda, ldb, ldc);
  if (M == 0 || N == 0) return;
  init_openblas_threads();
  cblas_sgemm(CblasRowMajor, op(trans_a), op(trans_b), int(M), int(N), int(K), alpha, A,
              int(lda), B, int(ldb), beta, C, int(ldc));
}

void gemm_openblas(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha,
                   const double* A, int64_t lda, const double* B, int64_t ldb, double beta,
                   double* C, int64_t ldc) {
  check_args("gemm_openblas(f64)", trans_a, trans_b, M, N, K, lda, ldb, ldc);
  if (M == 0 || N == 0) return;
  init_openblas_threads();
  cblas_dgemm(CblasRowMajor, op(trans_a), op(trans_b), int(M), int(N), int(K), alpha, A,
              int(lda), B, int(ldb), beta, C, int(ldc));
}

}  // namespace tt::blas

#else  // built without OpenBLAS

namespace tt::blas {

namespace {
[[noreturn]] void no_openblas() {
  throw Error("the OpenBLAS GEMM baseline is not built in (tinytune was configured with "
              "TINYTUNE_OPENBLAS=OFF); use TINYTUNE_GEMM=own");
}
}  // namespace

void gemm_openblas(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t,
                   const float*, int64_t, float, float*, int64_t) {
  no_openblas();
}

void gemm_openblas(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t,
                   const double*, int64_t, double, double*, int64_t) {
  no_openblas();
}

}  // namespace tt::blas

#endif
