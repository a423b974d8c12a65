// Helpers of the CUDA tests: skip when there is no device, compare a CUDA result with the
// CPU's, and run an op on both devices.
//
// A CUDA test starts with TT_SKIP_WITHOUT_CUDA(): without a device (or in a build without
// CUDA) it prints "skipped: no CUDA device" and returns, and ctest reports the case as
// skipped (SKIP_REGULAR_EXPRESSION in CMakeLists.txt), not passed.
#pragma once
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "tinytune/core/cuda/runtime.h"
#include "tinytune/core/ops.h"
#include "tests/test_util.h"

#define TT_SKIP_WITHOUT_CUDA()                 \
  do {                                         \
    if (!::tt::cuda::is_available()) {         \
      MESSAGE("skipped: no CUDA device");      \
      return;                                  \
    }                                          \
  } while (0)

namespace tt::test {

// The worst element of `actual` against `expected` under |a - e| <= abs_tol + rel_tol * |e|,
// or nothing when every element passes. Equal values pass whatever the tolerance: a NaN/NaN
// pair, and two infinities of one sign (their difference, inf - inf, is NaN, which no bound
// admits). An infinity against anything else fails even where rel_tol * |e| is infinite.
// Pure (no doctest), so tests/cuda/test_cuda_test_util.cpp checks it without a GPU.
struct CloseMismatch {
  size_t index = 0;
  double actual = 0.0, expected = 0.0;
  double excess = 0.0;  // |a - e| - bound; infinite for a mismatched infinity
};
inline std::optional<CloseMismatch> close_mismatch(const std::vector<double>& actual,
                                                   const std::vector<double>& expected,
                                                   double rel_tol, double abs_tol) {
  std::optional<CloseMismatch> worst;
  for (size_t i = 0; i < actual.size() && i < expected.size(); ++i) {
    const double a = actual[i], e = expected[i];
    if (a == e || (std::isnan(a) && std::isnan(e))) continue;
    double excess = std::numeric_limits<double>::infinity();  // NaN or inf on one side only
    if (std::isfinite(a) && std::isfinite(e)) {
      excess = std::abs(a - e) - (abs_tol + rel_tol * std::abs(e));
      if (excess <= 0.0) continue;
    }
    if (!worst || excess > worst->excess) worst = CloseMismatch{i, a, e, excess};
  }
  return worst;
}

// Every element within abs_tol + rel_tol * |expected| (close_mismatch's rule); on failure,
// reports the worst element. cuda_result may live on any device (it is copied to the host);
// shapes must match.
inline void check_close(const Tensor& cuda_result, const Tensor& cpu_result, double rel_tol,
                        double abs_tol) {
  REQUIRE(cuda_result.defined());
  REQUIRE(cpu_result.defined());
  REQUIRE(cuda_result.shape() == cpu_result.shape());
  CHECK(cuda_result.dtype() == cpu_result.dtype());
  const std::optional<CloseMismatch> worst = close_mismatch(
      cuda_result.to_vector<double>(), cpu_result.to_vector<double>(), rel_tol, abs_tol);
  INFO("shape ", shape_str(cpu_result.shape()), ", worst element ", worst ? worst->index : 0,
       ": cuda ", worst ? worst->actual : 0.0, " vs cpu ", worst ? worst->expected : 0.0,
       " (rel_tol ", rel_tol, ", abs_tol ", abs_tol, ")");
  CHECK(!worst.has_value());
}

// Bitwise equality through doubles (every dtype converts to double exactly).
inline void check_equal(const Tensor& cuda_result, const Tensor& cpu_result) {
  check_close(cuda_result, cpu_result, 0.0, 0.0);
}

// Uniform in [low, high) on the CPU; with 0 < low the values are never zero.
inline Tensor random_input(const Shape& shape, DType dtype, uint64_t seed, double low = 0.5,
                           double high = 1.5) {
  Generator gen(seed);
  return uniform(shape, low, high, dtype, gen);
}

// Values in ±[low, high): away from zero and from the kinks of relu and max.
inline Tensor random_signed(const Shape& shape, DType dtype, uint64_t seed, double low = 0.2,
                            double high = 1.0) {
  Generator gen(seed);
  Tensor magnitude = uniform(shape, low, high, dtype, gen);
  Tensor sign = sub(mul(bernoulli(shape, 0.5, dtype, gen), 2.0), 1.0);
  return mul(magnitude, sign).detach();
}

// max |v| over the finite elements of t (0 when there are none): check_op_on_cuda's tolerance
// scale. An infinity (a -inf log-probability, say) would make the tolerance infinite and let
// every element pass.
inline double finite_max_abs(const Tensor& t) {
  double m = 0;
  for (double v : t.to_vector<double>())
    if (std::isfinite(v)) m = std::max(m, std::abs(v));
  return m;
}

// One argument of an op under test: a CPU base tensor and the view the op receives (the
// identity, a transpose, a narrow...), applied on each device to that device's copy.
struct OpInput {
  Tensor base;
  std::function<Tensor(const Tensor&)> view = [](const Tensor& t) { return t; };
  bool differentiable = true;  // a leaf that requires grad (floating bases only)
};

// Runs `op` on the CPU inputs and on CUDA copies of them (the same views); checks the output,
// then backpropagates sum(out * w) (w random, the same on both devices) and checks every
// input's gradient. Tolerances: |cuda - cpu| <= abs + rel * |cpu| with
// abs = abs_scale * max|cpu| of the tensor compared (a per-tensor scale, as docs/conventions.md says).
inline void check_op_on_cuda(const std::function<Tensor(const std::vector<Tensor>&)>& op,
                             const std::vector<OpInput>& inputs, double rel, double abs_scale) {
  std::vector<Tensor> leaves[2], outs(2);
  const Device devices[2] = {Device::cpu(), Device::cuda()};
  Tensor weight;
  for (int d = 0; d < 2; ++d) {
    std::vector<Tensor> args;
    for (const OpInput& in : inputs) {
      Tensor leaf = d == 0 ? in.base.detach().clone() : in.base.detach().to(devices[d]);
      if (in.differentiable) leaf.set_requires_grad(true);
      leaves[d].push_back(leaf);
      args.push_back(in.view ? in.view(leaf) : leaf);  // `{}` for the view: the identity
    }
    outs[d] = op(args);
    REQUIRE(outs[d].device() == devices[d]);
    if (!is_floating(outs[d].dtype()) || !outs[d].requires_grad()) continue;
    if (d == 0) weight = random_input(outs[0].shape(), outs[0].dtype(), 99);
    sum(mul(outs[d], weight.to(devices[d]))).backward();
  }
  {
    INFO("output");
    check_close(outs[1], outs[0], rel, abs_scale * finite_max_abs(outs[0]));
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].differentiable || !outs[0].requires_grad()) continue;
    INFO("gradient of input ", i);
    Tensor g_cpu = leaves[0][i].grad(), g_cuda = leaves[1][i].grad();
    REQUIRE(g_cpu.defined());
    REQUIRE(g_cuda.defined());
    CHECK(g_cuda.device() == Device::cuda());
    check_close(g_cuda, g_cpu, rel, abs_scale * finite_max_abs(g_cpu));
  }
}

// The tolerances of docs/conventions.md's CUDA-vs-CPU tests: f32 1e-5 relative, f64 1e-12.
inline double default_rel(DType dtype) { return dtype == DType::f64 ? 1e-12 : 1e-5; }

}  // namespace tt::test
