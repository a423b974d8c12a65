// Memory-bound CPU kernels against a plain memory copy of the same traffic.
//
// Each kernel reads its input once and writes its output once (layer_norm also reads its
// small weight and bias), so the copy of an equally sized buffer is its roofline. Sizes
// (~25 MB a tensor) are past the caches, at BERT shapes: softmax over attention rows
// [batch 32 × 12 heads × 128 queries, 128 keys], layer_norm over [16384 tokens, 384],
// gelu over the FFN activations [4096, 1536], dropout over the attention probabilities (the
// softmax's size; one Philox counter per two elements, then a product), and the bias
// gradient: sum_to of [16384 tokens, 384] down to [384] (reads its input only), gradient
// clipping over MiniLM's weight matrices (22.3M floats: a sum of squares, then a scaling), and
// AdamW's update over the same matrices (reads p, g, m, v; writes p, m, v: 3.5 copies' traffic).
//
// Two ways to call each: the kernel into a preallocated output (what the kernel costs), and
// the public op (adds allocation of the output and the first-touch page faults of that fresh
// memory — what a training step pays today).
//
// Run: OMP_NUM_THREADS=2 build/bin/bench_memory_bound_cpu
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cmath>
#include <cstring>

#include "tinytune/core/ops.h"
#include "tinytune/core/ops/adamw_step/adamw_step_kernels.h"
#include "tinytune/core/ops/dropout/dropout_kernels.h"
#include "tinytune/core/ops/layer_norm/layer_norm_kernels.h"
#include "tinytune/core/ops/reduce/reduce_kernels.h"
#include "tinytune/core/ops/softmax/softmax_kernels.h"
#include "tinytune/core/ops/unary/unary_kernels.h"
#include "tinytune/train/clip_grad.h"

using namespace tt;

namespace {

constexpr int64_t kSoftmaxRows = 32 * 12 * 128, kSoftmaxCols = 128;
constexpr int64_t kTokens = 16384, kHidden = 384;
constexpr int64_t kFfnRows = 4096, kFfnCols = 1536;

Tensor random_f32(const Shape& shape) {
  Generator gen(1);
  return uniform(shape, -3.0, 3.0, DType::f32, gen);
}

// Bytes read plus bytes written per iteration; reported as bytes_per_second.
void set_traffic(benchmark::State& state, int64_t bytes_per_iteration) {
  state.SetBytesProcessed(state.iterations() * bytes_per_iteration);
}

// The baseline: copy n floats with the same threads (reads n, writes n).
void copy(benchmark::State& state, int64_t n) {
  Tensor src = random_f32({n}), dst = empty({n});
  const float* s = src.data<float>();
  float* d = dst.data<float>();
  for (auto _ : state) {
#pragma omp parallel
    {
      const int64_t threads = omp_get_num_threads(), t = omp_get_thread_num();
      const int64_t begin = n * t / threads, end = n * (t + 1) / threads;
      std::memcpy(d + begin, s + begin, (end - begin) * sizeof(float));
    }
    benchmark::DoNotOptimize(d);
  }
  set_traffic(state, 2 * n * 4);
}

void BM_copy_softmax_size(benchmark::State& s) { copy(s, kSoftmaxRows * kSoftmaxCols); }
void BM_copy_layer_norm_size(benchmark::State& s) { copy(s, kTokens * kHidden); }
void BM_copy_gelu_size(benchmark::State& s) { copy(s, kFfnRows * kFfnCols); }

void BM_softmax_kernel(benchmark::State& state) {
  Tensor x = random_f32({kSoftmaxRows, kSoftmaxCols}), y = empty(x.shape());
  for (auto _ : state) cpu::softmax_forward(x, y, kSoftmaxRows, kSoftmaxCols, 1, false);
  set_traffic(state, 2 * x.numel() * 4);
}
void BM_softmax_op(benchmark::State& state) {
  Tensor x = random_f32({kSoftmaxRows, kSoftmaxCols});
  for (auto _ : state) benchmark::DoNotOptimize(softmax(x, -1));
  set_traffic(state, 2 * x.numel() * 4);
}

void BM_layer_norm_kernel(benchmark::State& state) {
  Tensor x = random_f32({kTokens, kHidden}), y = empty(x.shape());
  Tensor w = random_f32({kHidden}), b = random_f32({kHidden});
  Tensor mean = empty({kTokens}), rstd = empty({kTokens});
  for (auto _ : state) cpu::layer_norm_forward(x, w, b, 1e-12, y, mean, rstd);
  set_traffic(state, 2 * x.numel() * 4);
}
void BM_layer_norm_op(benchmark::State& state) {
  Tensor x = random_f32({kTokens, kHidden});
  Tensor w = random_f32({kHidden}), b = random_f32({kHidden});
  for (auto _ : state) benchmark::DoNotOptimize(layer_norm(x, w, b, 1e-12));
  set_traffic(state, 2 * x.numel() * 4);
}

void BM_gelu_kernel(benchmark::State& state) {
  Tensor x = random_f32({kFfnRows, kFfnCols}), y = empty(x.shape());
  for (auto _ : state) cpu::unary_forward(UnaryOp::gelu, 0.0, x, y);
  set_traffic(state, 2 * x.numel() * 4);
}
void BM_gelu_op(benchmark::State& state) {
  Tensor x = random_f32({kFfnRows, kFfnCols});
  for (auto _ : state) benchmark::DoNotOptimize(gelu(x));
  set_traffic(state, 2 * x.numel() * 4);
}

void BM_dropout_kernel(benchmark::State& state) {
  Tensor x = random_f32({kSoftmaxRows, kSoftmaxCols}), y = empty(x.shape());
  uint64_t start = 0;
  for (auto _ : state) cpu::dropout_apply(x, y, 0.1, 42, start += x.numel() / 2);
  set_traffic(state, 2 * x.numel() * 4);
}
// What the CPU dropout was before its one-pass kernel (and still its definition): a bernoulli
// mask, scaled, times x — three passes and two fresh tensors.
void BM_dropout_composite(benchmark::State& state) {
  Tensor x = random_f32({kSoftmaxRows, kSoftmaxCols});
  Generator gen(42);
  for (auto _ : state)
    benchmark::DoNotOptimize(mul(x, mul(bernoulli(x.shape(), 0.9, DType::f32, gen), 1.0 / 0.9)));
  set_traffic(state, 2 * x.numel() * 4);
}

// A Linear's bias gradient, as AddBackward takes it: sum_to over every dim but the last, now
// summed in place (cpu::sum_columns) ...
void BM_bias_grad_op(benchmark::State& state) {
  Tensor g = random_f32({kTokens, kHidden});
  for (auto _ : state) benchmark::DoNotOptimize(sum_to(g, {kHidden}));
  set_traffic(state, g.numel() * 4);
}
// ... and as it was before: the summed dim moved last (a transposing copy), then row sums.
void BM_bias_grad_transposed(benchmark::State& state) {
  Tensor g = random_f32({kTokens, kHidden}), out = empty({kHidden});
  for (auto _ : state) cpu::sum_rows(g.transpose(0, 1).contiguous(), out, kHidden, kTokens);
  set_traffic(state, g.numel() * 4);
}

// Gradient clipping of full fine-tuning: MiniLM's word embeddings and its six layers' weight
// matrices (1.7% of its 22.7M parameters left out), with gradients above max_norm, so that both
// passes run. The gradients are refilled outside the timing (clipping scales them in place).
// Traffic: read once for the norm, then read and written by the scaling.
std::vector<Shape> minilm_weight_shapes() {
  std::vector<Shape> shapes = {{30522, 384}};
  for (int layer = 0; layer < 6; ++layer)
    for (Shape s : {Shape{384, 384}, Shape{384, 384}, Shape{384, 384}, Shape{384, 384},
                    Shape{1536, 384}, Shape{384, 1536}})
      shapes.push_back(s);
  return shapes;
}
int64_t minilm_weight_numel() {
  int64_t n = 0;
  for (const Shape& s : minilm_weight_shapes()) n += shape_numel(s);
  return n;
}
template <typename Clip>
void clip(benchmark::State& state, Clip clip_fn) {
  std::vector<Tensor> params, grads;
  for (const Shape& s : minilm_weight_shapes()) {
    params.push_back(random_f32(s).set_requires_grad(true));
    grads.push_back(random_f32(s));
  }
  for (auto _ : state) {
    state.PauseTiming();
    for (size_t i = 0; i < params.size(); ++i) params[i].impl().grad = grads[i].clone().impl_ptr();
    state.ResumeTiming();
    benchmark::DoNotOptimize(clip_fn(params));
  }
  set_traffic(state, 3 * minilm_weight_numel() * 4);
}
void BM_copy_clip_size(benchmark::State& s) { copy(s, minilm_weight_numel()); }
void BM_clip_grad_norm(benchmark::State& state) {
  clip(state, [](const std::vector<Tensor>& ps) { return train::clip_grad_norm(ps, 1.0); });
}
// ... and as it was before: numel() in both loops' conditions, called per element.
void BM_clip_grad_norm_before(benchmark::State& state) {
  clip(state, [](const std::vector<Tensor>& ps) {
    double sum_sq = 0.0;
    for (const Tensor& p : ps) {
      const Tensor g = p.grad();
      const float* pg = g.data<float>();
      for (int64_t i = 0; i < g.numel(); ++i) sum_sq += static_cast<double>(pg[i]) * pg[i];
    }
    const double coef = 1.0 / (std::sqrt(sum_sq) + 1e-6);
    for (const Tensor& p : ps) {
      Tensor g = p.grad();
      float* pg = g.data<float>();
      for (int64_t i = 0; i < g.numel(); ++i) pg[i] = static_cast<float>(pg[i] * coef);
    }
    return sum_sq;
  });
}

// AdamW's update of full fine-tuning over the same matrices (train_glue's constants at step 10).
// It runs in place, so p, m and v drift over the iterations; v stays positive.
void BM_adamw_step_kernel(benchmark::State& state) {
  std::vector<Tensor> p, g, m, v;
  for (const Shape& s : minilm_weight_shapes()) {
    p.push_back(random_f32(s));
    g.push_back(random_f32(s));
    m.push_back(random_f32(s));
    Generator gen(2);
    v.push_back(uniform(s, 0.0, 1.0, DType::f32, gen));
  }
  const std::vector<double> lr(p.size(), 2e-5), decay(p.size(), 0.01);
  const AdamWConstants constants{0.9, 0.999, 1e-8, 1 - std::pow(0.9, 10),
                                 std::sqrt(1 - std::pow(0.999, 10))};
  for (auto _ : state) cpu::adamw_step(p, g, m, v, lr, decay, constants);
  set_traffic(state, 7 * minilm_weight_numel() * 4);
}

}  // namespace

BENCHMARK(BM_copy_softmax_size)->UseRealTime();
BENCHMARK(BM_softmax_kernel)->UseRealTime();
BENCHMARK(BM_softmax_op)->UseRealTime();
BENCHMARK(BM_copy_layer_norm_size)->UseRealTime();
BENCHMARK(BM_layer_norm_kernel)->UseRealTime();
BENCHMARK(BM_layer_norm_op)->UseRealTime();
BENCHMARK(BM_copy_gelu_size)->UseRealTime();
BENCHMARK(BM_gelu_kernel)->UseRealTime();
BENCHMARK(BM_gelu_op)->UseRealTime();
BENCHMARK(BM_dropout_kernel)->UseRealTime();
BENCHMARK(BM_dropout_composite)->UseRealTime();
BENCHMARK(BM_bias_grad_op)->UseRealTime();
BENCHMARK(BM_bias_grad_transposed)->UseRealTime();
BENCHMARK(BM_copy_clip_size)->UseRealTime();
BENCHMARK(BM_clip_grad_norm)->UseRealTime();
BENCHMARK(BM_clip_grad_norm_before)->UseRealTime();
BENCHMARK(BM_adamw_step_kernel)->UseRealTime();
BENCHMARK_MAIN();
