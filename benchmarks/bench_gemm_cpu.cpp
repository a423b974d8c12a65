// f32 GEMM throughput: tinytune's own kernel vs OpenBLAS, same thread count (OMP_NUM_THREADS).
//
//   OMP_NUM_THREADS=2 build-gemm/bin/bench_gemm_cpu --benchmark_min_time=0.5
//
// Shapes are the transformer-layer GEMMs of a fine-tuning step (tokens x hidden x hidden/FFN),
// plus the two transposed forms the autograd backward uses (A^T*B for weight gradients, A*B^T for
// input gradients). The GFLOPS counter is 2*M*N*K per iteration over wall time.
#include <benchmark/benchmark.h>
#include <cblas.h>
#include <omp.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "tinytune/core/blas/gemm.h"

namespace {

enum class Backend { own, openblas };

void bench_gemm(benchmark::State& state, Backend backend, bool trans_a, bool trans_b, int64_t M,
                int64_t N, int64_t K) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> A(size_t(M * K)), B(size_t(K * N)), C(size_t(M * N), 0.0f);
  for (auto& x : A) x = dist(rng);
  for (auto& x : B) x = dist(rng);
  const int64_t lda = trans_a ? M : K, ldb = trans_b ? K : N;

  for (auto _ : state) {
    if (backend == Backend::own)
      tt::blas::gemm_own(trans_a, trans_b, M, N, K, 1.0f, A.data(), lda, B.data(), ldb, 0.0f,
                         C.data(), N);
    else
      tt::blas::gemm_openblas(trans_a, trans_b, M, N, K, 1.0f, A.data(), lda, B.data(), ldb,
                              0.0f, C.data(), N);
    benchmark::DoNotOptimize(C.data());
    benchmark::ClobberMemory();
  }
  state.counters["GFLOPS"] = benchmark::Counter(
      2.0 * double(M) * double(N) * double(K) * double(state.iterations()) / 1e9,
      benchmark::Counter::kIsRate);
}

void register_all() {
  struct Shape {
    const char* tag;  // "" for op(A)=A, op(B)=B
    bool trans_a, trans_b;
    int64_t M, N, K;
  };
  const Shape shapes[] = {
      {"", false, false, 4096, 384, 384},   {"", false, false, 4096, 1536, 384},
      {"", false, false, 4096, 384, 1536},  {"", false, false, 2048, 768, 768},
      {"", false, false, 2048, 3072, 768},  {"AtB/", true, false, 2048, 768, 768},
      {"ABt/", false, true, 2048, 768, 768},
  };
  for (const Shape& s : shapes)
    for (Backend backend : {Backend::own, Backend::openblas}) {
      const std::string name = std::string(backend == Backend::own ? "gemm_own/" : "gemm_openblas/") +
                               s.tag + std::to_string(s.M) + "x" + std::to_string(s.N) + "x" +
                               std::to_string(s.K);
      benchmark::RegisterBenchmark(name.c_str(), bench_gemm, backend, s.trans_a, s.trans_b, s.M,
                                   s.N, s.K)
          ->UseRealTime()  // the work runs on OpenMP / OpenBLAS threads, not just this one
          ->Unit(benchmark::kMillisecond);
    }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  // Make OpenBLAS apply its thread setting before the context is printed.
  float one = 1.0f, out = 0.0f;
  tt::blas::gemm_openblas(false, false, 1, 1, 1, 1.0f, &one, 1, &one, 1, 0.0f, &out, 1);
  benchmark::AddCustomContext("omp_max_threads", std::to_string(omp_get_max_threads()));
  benchmark::AddCustomContext("openblas_threads", std::to_string(openblas_get_num_threads()));
  benchmark::AddCustomContext("openblas_core", openblas_get_corename());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
