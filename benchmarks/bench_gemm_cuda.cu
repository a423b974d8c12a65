// CUDA GEMM throughput: tinytune's kernels against cuBLAS, measured in the same run.
//
//   build/bin/bench_gemm_cuda            # every section, every shape
//   build/bin/bench_gemm_cuda --reps 10  # timed repetitions per entry (default 5; median kept)
//   build/bin/bench_gemm_cuda --quick    # BERT shapes only, 3 repetitions
//
// Sections (GFLOP/s = 2·M·N·K / time, time = median of --reps runs timed with CUDA events
// after one warm-up run; "vs cuBLAS" divides by the cuBLAS entry of the same section and
// shape; "err" = max|C - C_cublas| / max|C_cublas| so a wrong kernel shows at once):
//   fp32   the SIMT ladder, row-major C = A·B (both non-transposed):
//            1 naive         one thread per C element, k loop from global memory
//            2 smem          32x32 tiles of A and B in shared memory
//            3 blocktile2d   128x128 block tile, 8x8 outputs per thread in registers
//            4 vectorised    + float4 global loads, A transposed in shared memory, float4
//                            shared reads (siboehm/SGEMM_CUDA kernel 6)
//            5 own           the mainline kernel (core/blas/gemm_cuda_f32.cu): + double
//                            buffering, conflict-free layout, any transpose/ld/ragged edge
//          against cuBLAS fp32 (CUBLAS_COMPUTE_32F); the transposed forms the backward uses
//          (Aᵀ·B, A·Bᵀ) for own vs cuBLAS only. Rungs 1-4 live here only and need M, N
//          multiples of 128 and K of 8 (every shape here is).
//   tf32   cuBLAS with TF32 allowed vs cuBLAS fp32 and vs our fp32 kernel (for reference: we
//          have no TF32 kernel).
//   bf16   bf16 inputs, fp32 accumulation, f32 output: own mma.sync kernel
//          (core/blas/gemm_cuda_bf16.cu) vs cuBLAS; then the matmul op end to end under
//          autocast (the f32 -> bf16 casts included) vs the f32 matmul op, both on cuBLAS.
// Shapes: the CPU GEMM table of benchmarks/RESULTS.md (MiniLM-sized), BERT-base's
// (tokens 4096 = 32 x 128; hidden 768; FFN 3072), 4096³ and 8192³.
// A plain main (not Google Benchmark): GPU time comes from CUDA events, and each figure is
// printed with its ratio to cuBLAS from the same run.
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "benchmarks/cuda_bench_main.h"
#include "benchmarks/cuda_timing.h"
#include "tinytune/core/autocast.h"
#include "tinytune/core/blas/gemm_cuda.h"
#include "tinytune/core/cuda/allocator.h"
#include "tinytune/core/cuda/cuda_check.h"
#include "tinytune/core/cuda/runtime.h"
#include "tinytune/core/cuda/stream.h"
#include "tinytune/core/ops.h"

namespace {

using tt::bfloat16;
using tt::cuda::current_stream;

// ---- the ladder (row-major, C = A·B, M and N multiples of 128, K of 8) ----------------------

__global__ void naive_kernel(int M, int N, int K, const float* A, const float* B, float* C) {
  const int col = blockIdx.x * 16 + threadIdx.x, row = blockIdx.y * 16 + threadIdx.y;
  if (row >= M || col >= N) return;
  float acc = 0.f;
  for (int k = 0; k < K; ++k) acc = fmaf(A[int64_t(row) * K + k], B[int64_t(k) * N + col], acc);
  C[int64_t(row) * N + col] = acc;
}

// 32x32 output tile per block of 32x32 threads; A and B tiles staged in shared memory.
__global__ void smem_kernel(int M, int N, int K, const float* A, const float* B, float* C) {
  __shared__ float As[32][32], Bs[32][32];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int row = blockIdx.y * 32 + ty, col = blockIdx.x * 32 + tx;
  float acc = 0.f;
  for (int k0 = 0; k0 < K; k0 += 32) {
    As[ty][tx] = (row < M && k0 + tx < K) ? A[int64_t(row) * K + k0 + tx] : 0.f;
    Bs[ty][tx] = (k0 + ty < K && col < N) ? B[int64_t(k0 + ty) * N + col] : 0.f;
    __syncthreads();
#pragma unroll
    for (int k = 0; k < 32; ++k) acc = fmaf(As[ty][k], Bs[k][tx], acc);
    __syncthreads();
  }
  if (row < M && col < N) C[int64_t(row) * N + col] = acc;
}

constexpr int kBM = 128, kBN = 128, kBK = 8, kTM = 8, kTN = 8;
constexpr int kLadderThreads = kBM * kBN / (kTM * kTN);  // 256

// siboehm kernel 5: each thread an 8x8 block of C in registers; scalar loads.
__global__ void __launch_bounds__(kLadderThreads)
    blocktile2d_kernel(int M, int N, int K, const float* A, const float* B, float* C) {
  (void)M;
  __shared__ float As[kBM * kBK], Bs[kBK * kBN];
  const int thread_col = threadIdx.x % (kBN / kTN), thread_row = threadIdx.x / (kBN / kTN);
  A += int64_t(blockIdx.y) * kBM * K;
  B += blockIdx.x * kBN;
  C += int64_t(blockIdx.y) * kBM * N + blockIdx.x * kBN;
  const int a_row = threadIdx.x / kBK, a_col = threadIdx.x % kBK;  // 32 rows per pass
  const int b_row = threadIdx.x / kBN, b_col = threadIdx.x % kBN;  // 2 rows per pass
  float acc[kTM * kTN] = {};
  float rm[kTM], rn[kTN];
  for (int k0 = 0; k0 < K; k0 += kBK) {
    for (int off = 0; off < kBM; off += kLadderThreads / kBK)
      As[(a_row + off) * kBK + a_col] = A[int64_t(a_row + off) * K + a_col];
    for (int off = 0; off < kBK; off += kLadderThreads / kBN)
      Bs[(b_row + off) * kBN + b_col] = B[int64_t(b_row + off) * N + b_col];
    __syncthreads();
    A += kBK;
    B += int64_t(kBK) * N;
#pragma unroll
    for (int k = 0; k < kBK; ++k) {
#pragma unroll
      for (int i = 0; i < kTM; ++i) rm[i] = As[(thread_row * kTM + i) * kBK + k];
#pragma unroll
      for (int j = 0; j < kTN; ++j) rn[j] = Bs[k * kBN + thread_col * kTN + j];
#pragma unroll
      for (int i = 0; i < kTM; ++i)
#pragma unroll
        for (int j = 0; j < kTN; ++j) acc[i * kTN + j] = fmaf(rm[i], rn[j], acc[i * kTN + j]);
    }
    __syncthreads();
  }
  for (int i = 0; i < kTM; ++i)
    for (int j = 0; j < kTN; ++j)
      C[int64_t(thread_row * kTM + i) * N + thread_col * kTN + j] = acc[i * kTN + j];
}

// siboehm kernel 6: float4 global loads, A stored transposed in shared memory, float4 reads.
__global__ void __launch_bounds__(kLadderThreads)
    vectorised_kernel(int M, int N, int K, const float* A, const float* B, float* C) {
  (void)M;
  __shared__ __align__(16) float As[kBK * kBM];  // [k][m]
  __shared__ __align__(16) float Bs[kBK * kBN];  // [k][n]
  const int thread_col = threadIdx.x % (kBN / kTN), thread_row = threadIdx.x / (kBN / kTN);
  A += int64_t(blockIdx.y) * kBM * K;
  B += blockIdx.x * kBN;
  C += int64_t(blockIdx.y) * kBM * N + blockIdx.x * kBN;
  // A tile 128 x 8 = 256 float4 (2 per row); B tile 8 x 128 = 256 float4 (32 per row).
  const int a_row = threadIdx.x / (kBK / 4), a_col4 = threadIdx.x % (kBK / 4);
  const int b_row = threadIdx.x / (kBN / 4), b_col4 = threadIdx.x % (kBN / 4);
  float acc[kTM * kTN] = {};
  float rm[kTM], rn[kTN];
  for (int k0 = 0; k0 < K; k0 += kBK) {
    const float4 a = *reinterpret_cast<const float4*>(&A[int64_t(a_row) * K + a_col4 * 4]);
    As[(a_col4 * 4 + 0) * kBM + a_row] = a.x;
    As[(a_col4 * 4 + 1) * kBM + a_row] = a.y;
    As[(a_col4 * 4 + 2) * kBM + a_row] = a.z;
    As[(a_col4 * 4 + 3) * kBM + a_row] = a.w;
    *reinterpret_cast<float4*>(&Bs[b_row * kBN + b_col4 * 4]) =
        *reinterpret_cast<const float4*>(&B[int64_t(b_row) * N + b_col4 * 4]);
    __syncthreads();
    A += kBK;
    B += int64_t(kBK) * N;
#pragma unroll
    for (int k = 0; k < kBK; ++k) {
#pragma unroll
      for (int i = 0; i < kTM; i += 4) {
        const float4 v = *reinterpret_cast<const float4*>(&As[k * kBM + thread_row * kTM + i]);
        rm[i] = v.x; rm[i + 1] = v.y; rm[i + 2] = v.z; rm[i + 3] = v.w;
      }
#pragma unroll
      for (int j = 0; j < kTN; j += 4) {
        const float4 v = *reinterpret_cast<const float4*>(&Bs[k * kBN + thread_col * kTN + j]);
        rn[j] = v.x; rn[j + 1] = v.y; rn[j + 2] = v.z; rn[j + 3] = v.w;
      }
#pragma unroll
      for (int i = 0; i < kTM; ++i)
#pragma unroll
        for (int j = 0; j < kTN; ++j) acc[i * kTN + j] = fmaf(rm[i], rn[j], acc[i * kTN + j]);
    }
    __syncthreads();
  }
  for (int i = 0; i < kTM; ++i)
    for (int j = 0; j < kTN; j += 4)
      *reinterpret_cast<float4*>(&C[int64_t(thread_row * kTM + i) * N + thread_col * kTN + j]) =
          make_float4(acc[i * kTN + j], acc[i * kTN + j + 1], acc[i * kTN + j + 2],
                      acc[i * kTN + j + 3]);
}

// ---- device buffers, filling, timing --------------------------------------------------------

struct DeviceBuffer {
  void* ptr = nullptr;
  size_t bytes = 0;
  explicit DeviceBuffer(size_t n) : ptr(tt::cuda::device_malloc(n)), bytes(n) {}
  ~DeviceBuffer() { tt::cuda::device_free(ptr); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  template <typename T> T* as() const { return static_cast<T*>(ptr); }
};

// Deterministic pseudo-random values in [-1, 1): a hash of the index (fast to fill GBs).
__global__ void fill_kernel(float* p, int64_t n, uint32_t seed) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(blockDim.x) * gridDim.x) {
    uint32_t h = static_cast<uint32_t>(i) * 2654435761u ^ (seed * 0x9e3779b9u) ^
                 static_cast<uint32_t>(i >> 32);
    h ^= h >> 16; h *= 0x7feb352du; h ^= h >> 15; h *= 0x846ca68bu; h ^= h >> 16;
    p[i] = static_cast<float>(h >> 8) * (2.0f / 16777216.0f) - 1.0f;
  }
}
__global__ void to_bf16_kernel(const float* src, bfloat16* dst, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(blockDim.x) * gridDim.x)
    dst[i] = bfloat16(src[i]);
}

void fill(float* p, int64_t n, uint32_t seed) {
  fill_kernel<<<1024, 256, 0, current_stream()>>>(p, n, seed);
  TT_CUDA_CHECK_LAUNCH();
}

int g_reps = 5;

double time_ms(const std::function<void()>& run, int reps = -1) {
  return tt::bench::median_gpu_ms(run, reps < 0 ? g_reps : reps);
}

// max|x - ref| / max|ref| over n floats on the device.
double relative_error(const float* x, const float* ref, int64_t n) {
  std::vector<float> hx(n), hr(n);
  TT_CUDA_CHECK(cudaMemcpy(hx.data(), x, n * 4, cudaMemcpyDeviceToHost));
  TT_CUDA_CHECK(cudaMemcpy(hr.data(), ref, n * 4, cudaMemcpyDeviceToHost));
  double diff = 0, scale = 0;
  for (int64_t i = 0; i < n; ++i) {
    diff = std::max(diff, std::abs(double(hx[i]) - double(hr[i])));
    scale = std::max(scale, std::abs(double(hr[i])));
  }
  return scale > 0 ? diff / scale : diff;
}

struct GemmShape {
  const char* tag;  // "" for C = A·B; "AtB" / "ABt" for the transposed forms
  bool ta, tb;
  int64_t M, N, K;
};

std::string shape_name(const GemmShape& s) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s%s%lld x %lld x %lld", s.tag, *s.tag ? " " : "",
                static_cast<long long>(s.M), static_cast<long long>(s.N),
                static_cast<long long>(s.K));
  return buf;
}

void print_header(const char* section) {
  std::printf("\n## %s\n%-28s %-26s %10s %12s %10s %10s\n", section, "shape (M x N x K)", "kernel",
              "ms", "GFLOP/s", "vs cuBLAS", "err");
}

void print_row(const GemmShape& s, const char* kernel, double ms, double baseline_ms, double err) {
  const double flops = 2.0 * double(s.M) * double(s.N) * double(s.K);
  std::printf("%-28s %-26s %10.3f %12.1f %10.3f %10.2e\n", shape_name(s).c_str(), kernel, ms,
              flops / (ms * 1e-3) / 1e9, baseline_ms / ms, err);
  std::fflush(stdout);
}

// Operands of one shape on the device, f32 and bf16.
struct Operands {
  int64_t M, N, K;
  DeviceBuffer a, b, c, ref, a16, b16;
  Operands(int64_t M_, int64_t N_, int64_t K_)
      : M(M_), N(N_), K(K_), a(M * K * 4), b(K * N * 4), c(M * N * 4), ref(M * N * 4),
        a16(M * K * 2), b16(K * N * 2) {
    fill(a.as<float>(), M * K, 1);
    fill(b.as<float>(), K * N, 2);
    to_bf16_kernel<<<1024, 256, 0, current_stream()>>>(a.as<float>(), a16.as<bfloat16>(), M * K);
    to_bf16_kernel<<<1024, 256, 0, current_stream()>>>(b.as<float>(), b16.as<bfloat16>(), K * N);
    TT_CUDA_CHECK_LAUNCH();
  }
  int64_t lda(bool ta) const { return ta ? M : K; }
  int64_t ldb(bool tb) const { return tb ? K : N; }
};

void section_fp32(const std::vector<GemmShape>& shapes) {
  print_header("fp32: SIMT ladder vs cuBLAS fp32 (TF32 off)");
  tt::blas::set_cuda_allow_tf32(false);
  for (const GemmShape& s : shapes) {
    Operands op(s.M, s.N, s.K);
    const int64_t lda = op.lda(s.ta), ldb = op.ldb(s.tb);
    auto cublas = [&](float* out) {
      tt::blas::gemm_cuda_cublas(s.ta, s.tb, s.M, s.N, s.K, 1.f, op.a.as<float>(), lda,
                                 op.b.as<float>(), ldb, 0.f, out, s.N);
    };
    const double base = time_ms([&] { cublas(op.ref.as<float>()); });
    print_row(s, "cuBLAS fp32", base, base, 0.0);
    const int M = int(s.M), N = int(s.N), K = int(s.K);
    float* c = op.c.as<float>();
    const float *a = op.a.as<float>(), *b = op.b.as<float>();
    const int64_t n = s.M * s.N;
    if (!s.ta && !s.tb) {
      // The slow rungs run fewer times on the largest shapes.
      const int slow_reps = s.M * s.N * s.K > (int64_t(1) << 34) ? 1 : g_reps;
      const double t1 = time_ms([&] {
        naive_kernel<<<dim3(N / 16, M / 16), dim3(16, 16), 0, current_stream()>>>(M, N, K, a, b, c);
      }, slow_reps);
      print_row(s, "1 naive", t1, base, relative_error(c, op.ref.as<float>(), n));
      const double t2 = time_ms([&] {
        smem_kernel<<<dim3(N / 32, M / 32), dim3(32, 32), 0, current_stream()>>>(M, N, K, a, b, c);
      }, slow_reps);
      print_row(s, "2 smem", t2, base, relative_error(c, op.ref.as<float>(), n));
      const double t3 = time_ms([&] {
        blocktile2d_kernel<<<dim3(N / kBN, M / kBM), kLadderThreads, 0, current_stream()>>>(
            M, N, K, a, b, c);
      });
      print_row(s, "3 blocktile2d", t3, base, relative_error(c, op.ref.as<float>(), n));
      const double t4 = time_ms([&] {
        vectorised_kernel<<<dim3(N / kBN, M / kBM), kLadderThreads, 0, current_stream()>>>(
            M, N, K, a, b, c);
      });
      print_row(s, "4 vectorised", t4, base, relative_error(c, op.ref.as<float>(), n));
      TT_CUDA_CHECK_LAUNCH();
    }
    const double t5 = time_ms([&] {
      tt::blas::gemm_cuda_own(s.ta, s.tb, s.M, s.N, s.K, 1.f, a, lda, b, ldb, 0.f, c, s.N);
    });
    print_row(s, "5 own (mainline)", t5, base, relative_error(c, op.ref.as<float>(), n));
  }
}

void section_tf32(const std::vector<GemmShape>& shapes) {
  print_header("tf32: cuBLAS TF32 vs cuBLAS fp32, and our fp32 kernel for reference");
  for (const GemmShape& s : shapes) {
    Operands op(s.M, s.N, s.K);
    const int64_t lda = op.lda(s.ta), ldb = op.ldb(s.tb);
    const float *a = op.a.as<float>(), *b = op.b.as<float>();
    float* c = op.c.as<float>();
    const int64_t n = s.M * s.N;
    tt::blas::set_cuda_allow_tf32(false);
    const double fp32 = time_ms([&] {
      tt::blas::gemm_cuda_cublas(s.ta, s.tb, s.M, s.N, s.K, 1.f, a, lda, b, ldb, 0.f,
                                 op.ref.as<float>(), s.N);
    });
    tt::blas::set_cuda_allow_tf32(true);
    const double tf32 = time_ms([&] {
      tt::blas::gemm_cuda_cublas(s.ta, s.tb, s.M, s.N, s.K, 1.f, a, lda, b, ldb, 0.f, c, s.N);
    });
    tt::blas::set_cuda_allow_tf32(false);
    // "vs cuBLAS" is against cuBLAS TF32 here: the speed TF32 buys, and what ours gives up.
    print_row(s, "cuBLAS tf32", tf32, tf32, relative_error(c, op.ref.as<float>(), n));
    print_row(s, "cuBLAS fp32", fp32, tf32, 0.0);
    const double own = time_ms([&] {
      tt::blas::gemm_cuda_own(s.ta, s.tb, s.M, s.N, s.K, 1.f, a, lda, b, ldb, 0.f, c, s.N);
    });
    print_row(s, "own fp32", own, tf32, relative_error(c, op.ref.as<float>(), n));
  }
}

void section_bf16(const std::vector<GemmShape>& shapes) {
  print_header("bf16 (fp32 accumulation, f32 out): own mma.sync kernel vs cuBLAS");
  for (const GemmShape& s : shapes) {
    Operands op(s.M, s.N, s.K);
    const int64_t lda = op.lda(s.ta), ldb = op.ldb(s.tb);
    const bfloat16 *a = op.a16.as<bfloat16>(), *b = op.b16.as<bfloat16>();
    float* c = op.c.as<float>();
    const double base = time_ms([&] {
      tt::blas::gemm_cuda_cublas(s.ta, s.tb, s.M, s.N, s.K, 1.f, a, lda, b, ldb, 0.f,
                                 op.ref.as<float>(), s.N);
    });
    print_row(s, "cuBLAS bf16", base, base, 0.0);
    const double own = time_ms([&] {
      tt::blas::gemm_cuda_own(s.ta, s.tb, s.M, s.N, s.K, 1.f, a, lda, b, ldb, 0.f, c, s.N);
    });
    print_row(s, "own bf16", own, base, relative_error(c, op.ref.as<float>(), s.M * s.N));
  }
}

// The matmul op (f32 tensors in and out) under autocast vs plain f32, cuBLAS both: what the
// switch buys end to end, casts included.
void section_autocast(const std::vector<GemmShape>& shapes) {
  std::printf("\n## matmul op, cuBLAS: f32 vs bf16 autocast (input casts included)\n"
              "%-28s %12s %12s %10s\n", "shape (M x N x K)", "f32 ms", "autocast ms", "speed-up");
  tt::blas::set_cuda_gemm_backend(tt::blas::CudaGemmBackend::cublas);
  tt::NoGradGuard no_grad;
  for (const GemmShape& s : shapes) {
    if (s.ta || s.tb) continue;
    tt::Generator gen(1);
    const tt::Tensor a = tt::uniform({s.M, s.K}, -1, 1, tt::DType::f32, gen).to(tt::Device::cuda());
    const tt::Tensor b = tt::uniform({s.K, s.N}, -1, 1, tt::DType::f32, gen).to(tt::Device::cuda());
    const double f32 = time_ms([&] { tt::matmul(a, b); });
    const double bf16 = time_ms([&] {
      tt::AutocastBf16 on;
      tt::matmul(a, b);
    });
    std::printf("%-28s %12.3f %12.3f %10.2f\n", shape_name(s).c_str(), f32, bf16, f32 / bf16);
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  auto quick_flag = [&](const char* arg) {
    if (std::strcmp(arg, "--quick")) return false;
    quick = true;
    g_reps = 3;
    return true;
  };
  auto versions = [] {
    int driver = 0, runtime = 0;
    cudaDriverGetVersion(&driver);
    cudaRuntimeGetVersion(&runtime);
    return ", CUDA driver " + std::to_string(driver) + ", runtime " + std::to_string(runtime);
  };
  return tt::bench::cuda_benchmark_main("bench_gemm_cuda", argc, argv, g_reps, [&] {
    const std::vector<GemmShape> bert = {
        {"", false, false, 4096, 768, 768},
        {"", false, false, 4096, 3072, 768},
        {"", false, false, 4096, 768, 3072},
    };
    std::vector<GemmShape> all = {
        {"", false, false, 4096, 384, 384},    {"", false, false, 4096, 1536, 384},
        {"", false, false, 4096, 384, 1536},   {"", false, false, 2048, 768, 768},
        {"", false, false, 2048, 3072, 768},   {"AtB", true, false, 2048, 768, 768},
        {"ABt", false, true, 2048, 768, 768},
    };
    all.insert(all.end(), bert.begin(), bert.end());
    all.push_back({"AtB", true, false, 768, 768, 4096});  // BERT weight gradient
    all.push_back({"ABt", false, true, 4096, 768, 768});  // BERT Linear forward
    all.push_back({"", false, false, 4096, 4096, 4096});
    all.push_back({"", false, false, 8192, 8192, 8192});
    const std::vector<GemmShape>& shapes = quick ? bert : all;
    section_fp32(shapes);
    std::vector<GemmShape> tf32_shapes = bert;
    if (!quick) tf32_shapes.push_back({"", false, false, 4096, 4096, 4096});
    section_tf32(tf32_shapes);
    section_bf16(shapes);
    section_autocast(shapes);
  }, quick_flag, "[--quick] [--reps N]", versions);
}
