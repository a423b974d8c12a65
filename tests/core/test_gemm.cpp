// GEMM backends against a naive triple loop in double, on random inputs.
#include <doctest/doctest.h>
#include <omp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "tinytune/core/blas/gemm.h"
#include "tinytune/core/error.h"

namespace {

using tt::blas::GemmBackend;

template <typename T>
using GemmFn = std::function<void(bool, bool, int64_t, int64_t, int64_t, T, const T*, int64_t,
                                  const T*, int64_t, T, T*, int64_t)>;

template <typename T>
GemmFn<T> backend_fn(GemmBackend backend) {
  if (backend == GemmBackend::own)
    return [](bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
              const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
      tt::blas::gemm_own(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    };
  return [](bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
            const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
    tt::blas::gemm_openblas(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  };
}

// Random values bounded away from zero (a zero would hide a dropped term).
template <typename T>
std::vector<T> random_values(size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<double> mag(0.1, 1.0);
  std::bernoulli_distribution negative(0.5);
  std::vector<T> v(n);
  for (auto& x : v) x = T(negative(rng) ? -mag(rng) : mag(rng));
  return v;
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Case {
  bool trans_a, trans_b;
  int64_t M, N, K;
  double alpha, beta;
  int64_t pad;  // extra elements per row beyond the minimum leading dimension
};

// Runs one case and returns the worst error relative to the per-element scale
// |alpha| * sum_k |a_ik||b_kj| + |beta||c_ij|. Padding of A and B holds NaN (must never be read);
// padding of C holds a sentinel (must never be written).
template <typename T>
double max_relative_error(const GemmFn<T>& fn, const Case& c, std::mt19937& rng) {
  const int64_t a_rows = c.trans_a ? c.K : c.M, a_cols = c.trans_a ? c.M : c.K;
  const int64_t b_rows = c.trans_b ? c.N : c.K, b_cols = c.trans_b ? c.K : c.N;
  const int64_t lda = a_cols + c.pad, ldb = b_cols + c.pad, ldc = c.N + c.pad;

  std::vector<T> A(size_t(a_rows * lda), T(kNaN)), B(size_t(b_rows * ldb), T(kNaN));
  const std::vector<T> a_vals = random_values<T>(size_t(a_rows * a_cols), rng);
  const std::vector<T> b_vals = random_values<T>(size_t(b_rows * b_cols), rng);
  for (int64_t r = 0; r < a_rows; ++r)
    for (int64_t k = 0; k < a_cols; ++k) A[r * lda + k] = a_vals[r * a_cols + k];
  for (int64_t r = 0; r < b_rows; ++r)
    for (int64_t k = 0; k < b_cols; ++k) B[r * ldb + k] = b_vals[r * b_cols + k];

  const T sentinel = T(12345);
  std::vector<T> C(size_t(c.M * ldc), sentinel);
  const std::vector<T> c_vals = random_values<T>(size_t(c.M * c.N), rng);
  for (int64_t i = 0; i < c.M; ++i)
    for (int64_t j = 0; j < c.N; ++j)
      C[i * ldc + j] = c.beta == 0 ? T(kNaN) : c_vals[i * c.N + j];  // beta == 0: C is garbage
  const std::vector<T> C0 = C;

  auto a = [&](int64_t i, int64_t k) { return double(c.trans_a ? A[k * lda + i] : A[i * lda + k]); };
  auto b = [&](int64_t k, int64_t j) { return double(c.trans_b ? B[j * ldb + k] : B[k * ldb + j]); };

  fn(c.trans_a, c.trans_b, c.M, c.N, c.K, T(c.alpha), A.data(), lda, B.data(), ldb, T(c.beta),
     C.data(), ldc);

  double worst = 0;
  for (int64_t i = 0; i < c.M; ++i) {
    for (int64_t j = 0; j < c.N; ++j) {
      double sum = 0, scale = 0;
      for (int64_t k = 0; k < c.K; ++k) {
        sum += a(i, k) * b(k, j);
        scale += std::abs(a(i, k) * b(k, j));
      }
      const double c_old = c.beta == 0 ? 0.0 : double(C0[i * ldc + j]);
      const double expected = c.alpha * sum + c.beta * c_old;
      scale = std::abs(c.alpha) * scale + std::abs(c.beta * c_old) + 1e-300;
      const double err = std::abs(double(C[i * ldc + j]) - expected) / scale;
      if (!(err <= worst)) worst = std::isnan(err) ? std::numeric_limits<double>::infinity() : err;
    }
    for (int64_t j = c.N; j < ldc; ++j)
      if (C[i * ldc + j] != sentinel) worst = std::numeric_limits<double>::infinity();
  }
  return worst;
}

const std::vector<std::array<int64_t, 3>> kShapes = {
    {1, 1, 1}, {7, 13, 5}, {65, 33, 129}, {300, 200, 257},
    {37, 3100, 400},  // crosses the N (NC) and K (KC) cache blocks
};

template <typename T>
void check_backend(GemmBackend backend, double tol) {
  const GemmFn<T> fn = backend_fn<T>(backend);
  std::mt19937 rng(1234);
  for (const auto& [M, N, K] : kShapes)
    for (int t = 0; t < 4; ++t)
      for (double beta : {0.0, 0.5}) {
        const Case c{bool(t & 1), bool(t & 2), M, N, K, /*alpha=*/-1.5, beta, /*pad=*/3};
        // c's copies: clang 14 cannot capture structured bindings (CAPTURE's lambda).
        CAPTURE(c.M);
        CAPTURE(c.N);
        CAPTURE(c.K);
        CAPTURE(c.trans_a);
        CAPTURE(c.trans_b);
        CAPTURE(beta);
        CHECK(max_relative_error<T>(fn, c, rng) <= tol);
      }
}

}  // namespace

TEST_CASE("gemm_own f64 matches the naive triple loop") { check_backend<double>(GemmBackend::own, 1e-12); }
TEST_CASE("gemm_own f32 matches the naive triple loop") { check_backend<float>(GemmBackend::own, 1e-5); }
TEST_CASE("gemm_openblas f64 matches the naive triple loop") {
  check_backend<double>(GemmBackend::openblas, 1e-12);
}
TEST_CASE("gemm_openblas f32 matches the naive triple loop") {
  check_backend<float>(GemmBackend::openblas, 1e-5);
}

TEST_CASE("gemm degenerate sizes: K == 0 scales C, M or N == 0 touches nothing") {
  for (GemmBackend backend : {GemmBackend::own, GemmBackend::openblas}) {
    CAPTURE(tt::blas::to_string(backend));
    const GemmFn<double> fn = backend_fn<double>(backend);
    const double A[1] = {kNaN}, B[1] = {kNaN};
    std::vector<double> C = {1, 2, 3, 4, 5, 6};  // 2 x 3
    fn(false, false, 2, 3, 0, 1.0, A, 1, B, 3, 0.5, C.data(), 3);
    CHECK(C == std::vector<double>{0.5, 1, 1.5, 2, 2.5, 3});
    std::vector<double> garbage(6, kNaN);
    fn(false, false, 2, 3, 0, 1.0, A, 1, B, 3, 0.0, garbage.data(), 3);
    CHECK(garbage == std::vector<double>(6, 0.0));
    fn(false, false, 0, 3, 4, 1.0, A, 4, B, 3, 0.0, C.data(), 3);
    fn(false, false, 2, 0, 4, 1.0, A, 4, B, 1, 0.0, C.data(), 1);
    CHECK(C == std::vector<double>{0.5, 1, 1.5, 2, 2.5, 3});
  }
}

TEST_CASE("gemm_own is deterministic across thread counts") {
  std::mt19937 rng(7);
  const int64_t M = 301, N = 203, K = 517;
  const auto A = random_values<float>(size_t(M * K), rng), B = random_values<float>(size_t(K * N), rng);
  std::vector<float> C1(size_t(M * N)), C2(size_t(M * N));
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  tt::blas::gemm_own(false, false, M, N, K, 1.0f, A.data(), K, B.data(), N, 0.0f, C1.data(), N);
  omp_set_num_threads(std::max(2, threads));
  tt::blas::gemm_own(false, false, M, N, K, 1.0f, A.data(), K, B.data(), N, 0.0f, C2.data(), N);
  omp_set_num_threads(threads);
  CHECK(C1 == C2);
}

TEST_CASE("gemm backend selection") {
  CHECK(tt::blas::parse_gemm_backend("own") == GemmBackend::own);
  CHECK(tt::blas::parse_gemm_backend("openblas") == GemmBackend::openblas);
  CHECK_THROWS_AS(tt::blas::parse_gemm_backend("cublas"), tt::Error);
  CHECK(std::string(tt::blas::to_string(GemmBackend::openblas)) == "openblas");

  const GemmBackend before = tt::blas::gemm_backend();
  for (GemmBackend backend : {GemmBackend::openblas, GemmBackend::own}) {
    tt::blas::set_gemm_backend(backend);
    CHECK(tt::blas::gemm_backend() == backend);
    const float A[2] = {1, 2}, B[2] = {3, 4};  // [1,2] x [2,1]
    float C = kNaN;
    tt::blas::gemm(false, false, 1, 1, 2, 1.0f, A, 2, B, 1, 0.0f, &C, 1);
    CHECK(C == 11.0f);
  }
  tt::blas::set_gemm_backend(before);
}

TEST_CASE("gemm rejects bad leading dimensions") {
  const double A[4] = {}, B[4] = {};
  double C[4] = {};
  CHECK_THROWS_AS(tt::blas::gemm_own(false, false, 2, 2, 2, 1.0, A, 1, B, 2, 0.0, C, 2), tt::Error);
  CHECK_THROWS_AS(tt::blas::gemm_openblas(false, false, 2, 2, 2, 1.0, A, 2, B, 2, 0.0, C, 1),
                  tt::Error);
}
