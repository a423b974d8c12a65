// tinytune's CUDA rfft / irfft (core/ops/fft) against cuFFT's batched R2C / C2R (and D2Z / Z2D
// for f64) on the same rows: the baseline the C3A adapter's FFT is held to.
//
//   build/bin/bench_fft_cuda            # every shape
//   build/bin/bench_fft_cuda --reps 20  # timed repetitions (default 10; median kept)
//
// Shapes: C3A on MiniLM (d = 384, a batch of 32 x 128 tokens, so 4096 x d/b rows of the block
// size b) and BERT-base (d = 768), plus lengths with each radix mix up to the CUDA kernel's
// 4096 limit. "vs cuFFT" = cuFFT ms / tinytune ms (above 1: tinytune faster). tinytune's times
// include allocating the output (from the caching allocator) and, for irfft, the 1/n scaling;
// cuFFT's are its exec call alone on preallocated buffers with the plan made beforehand, and
// its C2R leaves the result unscaled. "max rel diff" is max |ours - cuFFT| over the largest
// |cuFFT| value of the output, cuFFT's C2R scaled by 1/n first: an independent check of the
// kernels beside the tests' CPU comparison.
//
// cuFFT is loaded at run time (dlopen of libcufft.so.12, .so.13 or .so) so that building needs
// neither its header nor its library; where it is not found only tinytune's times are printed.
#include <cuda_runtime.h>
#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "benchmarks/cuda_bench_main.h"
#include "benchmarks/cuda_timing.h"
#include "tinytune/core/autograd/grad_mode.h"
#include "tinytune/core/cuda/cuda_check.h"
#include "tinytune/core/cuda/runtime.h"
#include "tinytune/core/cuda/stream.h"
#include "tinytune/core/ops.h"
#include "tinytune/core/ops/fft/fft.h"
#include "tinytune/core/random.h"

namespace {

using tt::Tensor;

int g_reps = 10;

// The few cuFFT entry points used, as cufft.h declares them (a handle is an int, a result an
// int that is 0 on success; complex buffers are interleaved (re, im) pairs).
constexpr int kR2C = 0x2a, kC2R = 0x2c, kD2Z = 0x6a, kZ2D = 0x6c;
struct CuFft {
  void* library = nullptr;
  int (*plan_many)(int*, int, int*, int*, int, int, int*, int, int, int, int) = nullptr;
  int (*set_stream)(int, cudaStream_t) = nullptr;
  int (*exec_r2c)(int, void*, void*) = nullptr;
  int (*exec_c2r)(int, void*, void*) = nullptr;
  int (*exec_d2z)(int, void*, void*) = nullptr;
  int (*exec_z2d)(int, void*, void*) = nullptr;
  int (*destroy)(int) = nullptr;
  std::string name;

  bool load() {
    for (const char* candidate :
         {"libcufft.so.12", "libcufft.so.13", "libcufft.so.11", "libcufft.so"}) {
      library = dlopen(candidate, RTLD_NOW | RTLD_LOCAL);
      if (library) {
        name = candidate;
        break;
      }
    }
    if (!library) return false;
    auto symbol = [&](auto& fn, const char* symbol_name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(library, symbol_name));
      return fn != nullptr;
    };
    return symbol(plan_many, "cufftPlanMany") && symbol(set_stream, "cufftSetStream") &&
           symbol(exec_r2c, "cufftExecR2C") && symbol(exec_c2r, "cufftExecC2R") &&
           symbol(exec_d2z, "cufftExecD2Z") && symbol(exec_z2d, "cufftExecZ2D") &&
           symbol(destroy, "cufftDestroy");
  }
};

void cufft_check(int result, const char* what) {
  if (result != 0) {
    throw std::runtime_error(std::string("cuFFT: ") + what + " returned " + std::to_string(result));
  }
}

// A batched 1-D plan of `rows` transforms of length n, rows packed one after another.
int make_plan(CuFft& cufft, int64_t rows, int64_t n, int type) {
  int handle = 0, length = static_cast<int>(n);
  cufft_check(cufft.plan_many(&handle, 1, &length, nullptr, 1, 0, nullptr, 1, 0, type,
                              static_cast<int>(rows)),
              "cufftPlanMany");
  cufft_check(cufft.set_stream(handle, tt::cuda::current_stream()), "cufftSetStream");
  return handle;
}

// max |a - b| / max |b| over the elements, on the host.
double max_rel_diff(const Tensor& ours, const Tensor& reference) {
  const Tensor a = ours.to(tt::Device::cpu()).to(tt::DType::f64).contiguous();
  const Tensor b = reference.to(tt::Device::cpu()).to(tt::DType::f64).contiguous();
  const double* pa = static_cast<const double*>(a.raw_data());
  const double* pb = static_cast<const double*>(b.raw_data());
  double diff = 0, scale = 0;
  for (int64_t i = 0; i < b.numel(); ++i) {
    diff = std::max(diff, std::abs(pa[i] - pb[i]));
    scale = std::max(scale, std::abs(pb[i]));
  }
  return scale > 0 ? diff / scale : diff;
}

void print_header() {
  std::printf("%-34s %-6s %-5s %10s %10s %9s %13s\n", "shape", "dtype", "op", "tinytune", "cuFFT",
              "vs cuFFT", "max rel diff");
}

void bench_shape(CuFft* cufft, const char* label, int64_t rows, int64_t n, tt::DType dtype) {
  const bool f64 = dtype == tt::DType::f64;
  const int64_t bins = n / 2 + 1;
  char what[96];
  std::snprintf(what, sizeof what, "%s [%lld, %lld]", label, static_cast<long long>(rows),
                static_cast<long long>(n));
  const char* dtype_name = f64 ? "f64" : "f32";
  tt::Generator gen(1234 + static_cast<uint64_t>(n));
  const Tensor x = tt::uniform({rows, n}, -1.0, 1.0, dtype, gen, tt::Device::cuda());
  const Tensor spectrum = tt::rfft(x);  // a Hermitian-consistent input for irfft

  const double rfft_ms = tt::bench::median_gpu_ms([&] { tt::rfft(x); }, g_reps);
  const double irfft_ms = tt::bench::median_gpu_ms([&] { tt::irfft(spectrum, n); }, g_reps);
  if (!cufft) {
    std::printf("%-34s %-6s %-5s %10.4f %10s %9s %13s\n", what, dtype_name, "rfft", rfft_ms, "-",
                "-", "-");
    std::printf("%-34s %-6s %-5s %10.4f %10s %9s %13s\n", what, dtype_name, "irfft", irfft_ms,
                "-", "-", "-");
    return;
  }
  // cuFFT forward reads x itself: an out-of-place R2C leaves its input alone.
  Tensor cufft_spectrum = tt::empty({rows, bins, 2}, dtype, tt::Device::cuda());
  const int forward = make_plan(*cufft, rows, n, f64 ? kD2Z : kR2C);
  auto run_forward = [&] {
    cufft_check((f64 ? cufft->exec_d2z : cufft->exec_r2c)(forward, x.raw_data(),
                                                          cufft_spectrum.raw_data()),
                "exec forward");
  };
  run_forward();
  const double forward_diff = max_rel_diff(tt::rfft(x), cufft_spectrum);
  const double cufft_rfft_ms = tt::bench::median_gpu_ms(run_forward, g_reps);
  cufft_check(cufft->destroy(forward), "cufftDestroy");

  // cuFFT inverse: C2R overwrites its input, so the accuracy check runs on a fresh copy and the
  // timing on a scratch copy refreshed before each run (the refresh timed separately and taken
  // off).
  Tensor scratch = tt::empty({rows, bins, 2}, dtype, tt::Device::cuda());
  Tensor signal = tt::empty({rows, n}, dtype, tt::Device::cuda());
  const size_t spectrum_bytes = static_cast<size_t>(rows * bins * 2) * (f64 ? 8 : 4);
  auto refresh = [&] {
    TT_CUDA_CHECK(cudaMemcpyAsync(scratch.raw_data(), spectrum.contiguous().raw_data(),
                                  spectrum_bytes, cudaMemcpyDeviceToDevice,
                                  tt::cuda::current_stream()));
  };
  const int inverse = make_plan(*cufft, rows, n, f64 ? kZ2D : kC2R);
  auto run_inverse = [&] {
    cufft_check((f64 ? cufft->exec_z2d : cufft->exec_c2r)(inverse, scratch.raw_data(),
                                                          signal.raw_data()),
                "exec inverse");
  };
  refresh();
  run_inverse();
  const double inverse_diff =
      max_rel_diff(tt::irfft(spectrum, n), tt::mul(signal, 1.0 / static_cast<double>(n)));
  const double refresh_ms = tt::bench::median_gpu_ms(refresh, g_reps);
  const double cufft_irfft_ms = std::max(
      0.0, tt::bench::median_gpu_ms([&] { refresh(); run_inverse(); }, g_reps) - refresh_ms);
  cufft_check(cufft->destroy(inverse), "cufftDestroy");

  std::printf("%-34s %-6s %-5s %10.4f %10.4f %9.3f %13.2e\n", what, dtype_name, "rfft", rfft_ms,
              cufft_rfft_ms, cufft_rfft_ms / rfft_ms, forward_diff);
  std::printf("%-34s %-6s %-5s %10.4f %10.4f %9.3f %13.2e\n", what, dtype_name, "irfft",
              irfft_ms, cufft_irfft_ms, cufft_irfft_ms / irfft_ms, inverse_diff);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  CuFft cufft;
  const bool have_cufft = cufft.load();  // dlopen: no device needed
  return tt::bench::cuda_benchmark_main(
      "bench_fft_cuda", argc, argv, g_reps,
      [&] {
        tt::NoGradGuard no_grad;
        CuFft* baseline = have_cufft ? &cufft : nullptr;
        std::printf("\n## C3A block sizes: 4096 tokens x d/b blocks of length b\n");
        print_header();
        for (int64_t d : {int64_t{384}, int64_t{768}}) {
          for (int64_t b : {int64_t{32}, int64_t{64}, int64_t{128}, d}) {
            if (d % b) continue;
            char label[48];
            std::snprintf(label, sizeof label, "c3a d=%lld b=%lld", static_cast<long long>(d),
                          static_cast<long long>(b));
            bench_shape(baseline, label, 4096 * (d / b), b, tt::DType::f32);
          }
        }
        std::printf("\n## radix mixes (f32 and f64), 2^20 values a shape\n");
        print_header();
        for (int64_t n : std::vector<int64_t>{8, 96, 125, 256, 1000, 1024, 2048, 3375, 4096}) {
          for (tt::DType dtype : {tt::DType::f32, tt::DType::f64}) {
            bench_shape(baseline, "rows", std::max<int64_t>(1, (1 << 20) / n), n, dtype);
          }
        }
      },
      nullptr, "[--reps N]",
      [&] {
        return std::string("; baseline: ") +
               (have_cufft ? cufft.name : std::string("cuFFT not found (dlopen), tinytune only"));
      });
}
