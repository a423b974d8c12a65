// Memory-bound CUDA ops against a device-to-device copy of the same bytes, and against cuDNN
// where cuDNN has the op; attention against the same computation made of tinytune ops.
//
//   build/bin/bench_memory_bound_cuda            # every entry
//   build/bin/bench_memory_bound_cuda --reps 20  # timed repetitions (default 10; median kept)
//
// Bytes are the fewest an op must move: every input read once and every output written once
// (softmax, gelu: x + y; layer_norm: x + y + weight + bias; bias_gelu: x + bias + y; AdamW:
// param, grad, m, v read and param, m, v written, 28 bytes per element). GB/s = bytes / time
// (1 GB = 1e9 B). "copy" is cudaMemcpyAsync device-to-device of bytes/2, which moves the same
// bytes (half read, half written); "vs copy" = op GB/s / copy GB/s. Times are medians of
// --reps runs timed with CUDA events after one warm-up, ops called through their public
// functions (output allocation from the caching allocator included) under NoGradGuard.
//
// cuDNN (when found by CMake): cudnnSoftmaxForward (CUDNN_SOFTMAX_ACCURATE, per row) next to
// our softmax. Not compared with cuDNN: layer_norm and fused attention, which cuDNN offers only
// through its graph API. Its C++ front end (cudnn-frontend, a header-only library that builds
// those graphs) is not installed here, and an SDPA graph written against the backend API by
// hand (a dozen descriptors whose attributes must match what the fused engine accepts) could
// not be checked on this GPU-less machine; attention is compared with its composite instead.
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "benchmarks/cuda_bench_main.h"
#include "benchmarks/cuda_timing.h"
#include "tinytune/core/autograd/grad_mode.h"
#include "tinytune/core/cuda/cuda_check.h"
#include "tinytune/core/cuda/runtime.h"
#include "tinytune/core/cuda/stream.h"
#include "tinytune/core/ops.h"

#ifdef TINYTUNE_HAVE_CUDNN
#include <cudnn.h>
#endif

namespace {

using tt::Tensor;
using tt::cuda::current_stream;

int g_reps = 10;

double time_ms(const std::function<void()>& run) { return tt::bench::median_gpu_ms(run, g_reps); }

// Pseudo-random values in [low, high) written on the device (a hash of the index).
__global__ void fill_kernel(float* p, int64_t n, uint32_t seed, float low, float high) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(blockDim.x) * gridDim.x) {
    uint32_t h = static_cast<uint32_t>(i) * 2654435761u ^ (seed * 0x9e3779b9u) ^
                 static_cast<uint32_t>(i >> 32);
    h ^= h >> 16; h *= 0x7feb352du; h ^= h >> 15; h *= 0x846ca68bu; h ^= h >> 16;
    p[i] = low + (high - low) * static_cast<float>(h >> 8) * (1.0f / 16777216.0f);
  }
}

Tensor random_cuda(const tt::Shape& shape, uint32_t seed, float low = -1.f, float high = 1.f) {
  Tensor t = tt::empty(shape, tt::DType::f32, tt::Device::cuda());
  if (t.numel() > 0) {
    fill_kernel<<<1024, 256, 0, current_stream()>>>(static_cast<float*>(t.raw_data()),
                                                     t.numel(), seed, low, high);
    TT_CUDA_CHECK_LAUNCH();
  }
  return t;
}

// The copy baseline for `bytes` moved: a D2D memcpy of bytes / 2.
double copy_ms(double bytes) {
  const size_t half = static_cast<size_t>(bytes / 2);
  void *from = nullptr, *to = nullptr;
  TT_CUDA_CHECK(cudaMalloc(&from, half));
  TT_CUDA_CHECK(cudaMalloc(&to, half));
  const double ms = time_ms([&] {
    TT_CUDA_CHECK(cudaMemcpyAsync(to, from, half, cudaMemcpyDeviceToDevice, current_stream()));
  });
  TT_CUDA_CHECK(cudaFree(from));
  TT_CUDA_CHECK(cudaFree(to));
  return ms;
}

void print_header() {
  std::printf("%-44s %-22s %10s %10s %10s\n", "op, shape (f32)", "implementation", "ms", "GB/s",
              "vs copy");
}

void print_row(const std::string& what, const char* impl, double ms, double bytes,
               double copy) {
  std::printf("%-44s %-22s %10.4f %10.1f %10.3f\n", what.c_str(), impl, ms,
              bytes / (ms * 1e-3) / 1e9, copy / ms);
  std::fflush(stdout);
}

// Prints the copy row and returns its time.
double copy_row(const std::string& what, double bytes) {
  const double ms = copy_ms(bytes);
  print_row(what, "cudaMemcpy D2D", ms, bytes, ms);
  return ms;
}

std::string shape_str2(int64_t a, int64_t b) {
  char buf[64];  // snprintf: GCC 12 warns (-Wrestrict, falsely) on chained string operator+
  std::snprintf(buf, sizeof buf, "[%lld, %lld]", static_cast<long long>(a),
                static_cast<long long>(b));
  return buf;
}

#ifdef TINYTUNE_HAVE_CUDNN
#define TT_CUDNN_CHECK(expr)                                                              \
  do {                                                                                    \
    const cudnnStatus_t tt_cudnn_status_ = (expr);                                        \
    if (tt_cudnn_status_ != CUDNN_STATUS_SUCCESS)                                         \
      throw tt::Error(tt::detail::concat(__FILE__, ":", __LINE__, ": cuDNN call `", #expr, \
                                         "` failed: ", cudnnGetErrorString(tt_cudnn_status_))); \
  } while (0)

struct Cudnn {
  cudnnHandle_t handle = nullptr;
  Cudnn() {
    TT_CUDNN_CHECK(cudnnCreate(&handle));
    TT_CUDNN_CHECK(cudnnSetStream(handle, current_stream()));
  }
  ~Cudnn() { cudnnDestroy(handle); }
};

// cuDNN softmax over the last dim of a [rows, cols] tensor: NCHW (rows, cols, 1, 1), per
// instance (over C). Returns ms, and the max |difference| from ours in `max_diff`.
double cudnn_softmax_ms(Cudnn& dnn, const Tensor& x, const Tensor& ours, double& max_diff) {
  const int rows = static_cast<int>(x.size(0)), cols = static_cast<int>(x.size(1));
  cudnnTensorDescriptor_t desc;
  TT_CUDNN_CHECK(cudnnCreateTensorDescriptor(&desc));
  TT_CUDNN_CHECK(
      cudnnSetTensor4dDescriptor(desc, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, rows, cols, 1, 1));
  Tensor y = tt::empty(x.shape(), tt::DType::f32, tt::Device::cuda());
  const float one = 1.f, zero = 0.f;
  const double ms = time_ms([&] {
    TT_CUDNN_CHECK(cudnnSoftmaxForward(dnn.handle, CUDNN_SOFTMAX_ACCURATE,
                                       CUDNN_SOFTMAX_MODE_INSTANCE, &one, desc, x.raw_data(),
                                       &zero, desc, y.raw_data()));
  });
  TT_CUDNN_CHECK(cudnnDestroyTensorDescriptor(desc));
  const Tensor d = tt::sub(y, ours);
  max_diff = std::sqrt(tt::max(tt::mul(d, d).reshape({-1}), 0).item());
  return ms;
}
#endif

void bench_softmax() {
  std::printf("\n## softmax over the last dim\n");
  print_header();
#ifdef TINYTUNE_HAVE_CUDNN
  Cudnn dnn;
#endif
  const int64_t shapes[][2] = {{49152, 128}, {4096, 30522}};  // attention probs; vocab logits
  for (const auto& s : shapes) {
    const std::string what = "softmax " + shape_str2(s[0], s[1]);
    const double bytes = 2.0 * s[0] * s[1] * 4;
    const double copy = copy_row(what, bytes);
    const Tensor x = random_cuda({s[0], s[1]}, 1, -4.f, 4.f);
    Tensor ours;
    print_row(what, "tinytune", time_ms([&] { ours = tt::softmax(x, -1); }), bytes, copy);
#ifdef TINYTUNE_HAVE_CUDNN
    double diff = 0;
    print_row(what, "cuDNN", cudnn_softmax_ms(dnn, x, ours, diff), bytes, copy);
    std::printf("%-44s max |tinytune - cuDNN| = %.2e\n", "", diff);
#else
    std::printf("%-44s cuDNN: not built (CMake did not find cudnn.h / libcudnn)\n", "");
#endif
  }
}

void bench_layer_norm() {
  std::printf("\n## layer_norm over the last dim (cuDNN: graph API only, not compared)\n");
  print_header();
  const int64_t shapes[][2] = {{16384, 384}, {4096, 768}};
  for (const auto& s : shapes) {
    const std::string what = "layer_norm " + shape_str2(s[0], s[1]);
    const double bytes = 2.0 * s[0] * s[1] * 4 + 2.0 * s[1] * 4;
    const double copy = copy_row(what, bytes);
    const Tensor x = random_cuda({s[0], s[1]}, 2);
    const Tensor w = random_cuda({s[1]}, 3, 0.5f, 1.5f), b = random_cuda({s[1]}, 4);
    print_row(what, "tinytune", time_ms([&] { tt::layer_norm(x, w, b, 1e-12); }), bytes, copy);
  }
}

void bench_gelu() {
  std::printf("\n## GELU (erf form)\n");
  print_header();
  const int64_t shapes[][2] = {{4096, 1536}, {4096, 3072}};  // MiniLM, BERT-base FFN
  for (const auto& s : shapes) {
    const Tensor x = random_cuda({s[0], s[1]}, 5, -3.f, 3.f);
    const Tensor bias = random_cuda({s[1]}, 6);
    const std::string what = "gelu " + shape_str2(s[0], s[1]);
    const double bytes = 2.0 * s[0] * s[1] * 4;
    const double copy = copy_row(what, bytes);
    print_row(what, "tinytune gelu", time_ms([&] { tt::gelu(x); }), bytes, copy);
    const std::string fused = "bias_gelu " + shape_str2(s[0], s[1]);
    const double fused_bytes = bytes + s[1] * 4.0;
    const double fused_copy = copy_row(fused, fused_bytes);
    print_row(fused, "tinytune bias_gelu", time_ms([&] { tt::bias_gelu(x, bias); }), fused_bytes,
              fused_copy);
  }
}

void bench_adamw() {
  std::printf("\n## AdamW step over BERT-base's parameters (multi-tensor)\n");
  print_header();
  // BERT-base: embeddings, 12 layers (q, k, v, o, FFN in/out, two LayerNorms), pooler.
  std::vector<tt::Shape> shapes = {{30522, 768}, {512, 768}, {2, 768}, {768}, {768}};
  for (int layer = 0; layer < 12; ++layer) {
    for (int i = 0; i < 4; ++i) {
      shapes.push_back({768, 768});
      shapes.push_back({768});
    }
    shapes.push_back({3072, 768});
    shapes.push_back({3072});
    shapes.push_back({768, 3072});
    shapes.push_back({768});
    for (int i = 0; i < 4; ++i) shapes.push_back({768});
  }
  shapes.push_back({768, 768});
  shapes.push_back({768});
  std::vector<Tensor> params, grads, m, v;
  std::vector<double> lr, wd;
  int64_t total = 0;
  uint32_t seed = 10;
  for (const tt::Shape& s : shapes) {
    params.push_back(random_cuda(s, ++seed));
    grads.push_back(random_cuda(s, ++seed));
    m.push_back(random_cuda(s, ++seed, -0.1f, 0.1f));
    v.push_back(random_cuda(s, ++seed, 0.f, 0.01f));
    lr.push_back(2e-5);
    wd.push_back(s.size() == 1 ? 0.0 : 0.01);
    total += tt::shape_numel(s);
  }
  char what[96];
  std::snprintf(what, sizeof what, "adamw_step %zu tensors, %lld params", shapes.size(),
                static_cast<long long>(total));
  const double bytes = 28.0 * double(total);
  const double copy = copy_row(what, bytes);
  int64_t step = 1;
  print_row(what, "tinytune", time_ms([&] {
              tt::adamw_step(params, grads, m, v, lr, wd, 0.9, 0.999, 1e-8, step++);
            }),
            bytes, copy);
}

void bench_attention() {
  std::printf("\n## attention, BERT-base [32, 12, 128, 64] (compute-bound; vs its composite)\n"
              "%-44s %-22s %10s %10s\n", "op", "implementation", "ms", "vs comp.");
  const int64_t B = 32, H = 12, S = 128, D = 64;
  const Tensor q = random_cuda({B, H, S, D}, 40), k = random_cuda({B, H, S, D}, 41),
               v = random_cuda({B, H, S, D}, 42);
  const Tensor mask = tt::zeros({B, 1, 1, S}, tt::DType::f32, tt::Device::cuda());
  const double scale = 1.0 / std::sqrt(double(D));
  const double composite = time_ms([&] {
    tt::Tensor scores = tt::add(tt::mul(tt::matmul(q, k.transpose(-1, -2)), scale), mask);
    tt::matmul(tt::softmax(scores, -1), v);
  });
  std::printf("%-44s %-22s %10.4f %10.3f\n", "sdpa forward", "composite (cuBLAS)", composite, 1.0);
  const double fused = time_ms([&] { tt::scaled_dot_product_attention(q, k, v, mask, scale); });
  std::printf("%-44s %-22s %10.4f %10.3f\n", "sdpa forward", "tinytune fused", fused,
              composite / fused);
  std::printf("%-44s cuDNN SDPA: not compared (graph API; see the top of this file)\n", "");
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  return tt::bench::cuda_benchmark_main("bench_memory_bound_cuda", argc, argv, g_reps, [] {
    tt::NoGradGuard no_grad;
    bench_softmax();
    bench_layer_norm();
    bench_gelu();
    bench_adamw();
    bench_attention();
  });
}
