// adamw_step's multi-tensor CUDA kernel against the CPU loop: tensors of 1 to 200000 elements
// (one to four 65536-element chunks, ragged last chunks), f32 and f64 in one call, a rate and
// weight decay per tensor, non-contiguous gradients, five steps; and train::AdamW on CUDA
// parameters against the same optimizer on the CPU. Tolerances: f32 1e-5, f64 1e-12 relative
// (per-tensor floor the same fraction of the tensor's largest value): the two devices may
// fuse different multiply-adds.
#include "tests/cuda/cuda_test_util.h"
#include "tinytune/train/adamw.h"

using namespace tt;
using namespace tt::test;

namespace {

double largest(const Tensor& t) {
  double m = 0;
  for (double x : t.to_vector<double>()) m = std::max(m, std::abs(x));
  return m;
}

void check_tensor(const Tensor& gpu, const Tensor& cpu) {
  const double rel = default_rel(cpu.dtype());
  check_close(gpu, cpu, rel, rel * largest(cpu));
}

}  // namespace

TEST_CASE("cuda adamw_step: many tensors in one call against the CPU, five steps") {
  TT_SKIP_WITHOUT_CUDA();
  const std::pair<Shape, DType> specs[] = {{{1}, DType::f32},          {{97}, DType::f32},
                                           {{40, 25}, DType::f32},     {{65536 + 3}, DType::f32},
                                           {{200000}, DType::f32},     {{333}, DType::f64},
                                           {{70000}, DType::f64}};
  std::vector<Tensor> params[2], m[2], v[2];
  std::vector<double> lr, wd;
  uint64_t seed = 1;
  for (const auto& [shape, dtype] : specs) {
    Tensor p = random_signed(shape, dtype, seed++);
    for (int d = 0; d < 2; ++d) {
      const Device device = d == 0 ? Device::cpu() : Device::cuda();
      params[d].push_back(p.to(device).clone());
      m[d].push_back(zeros(shape, dtype, device));
      v[d].push_back(zeros(shape, dtype, device));
    }
    lr.push_back(1e-3 * static_cast<double>(seed));
    wd.push_back(seed % 2 == 0 ? 0.0 : 0.01);
  }
  for (int64_t step = 1; step <= 5; ++step) {
    std::vector<Tensor> grads[2];
    for (size_t i = 0; i < params[0].size(); ++i) {
      const Shape& shape = params[0][i].shape();
      const DType dtype = params[0][i].dtype();
      // 2-D parameters get a transposed (non-contiguous) gradient on both devices.
      const bool transpose = shape.size() == 2;
      Tensor base = random_signed(transpose ? Shape{shape[1], shape[0]} : shape, dtype,
                                  100 * static_cast<uint64_t>(step) + i);
      auto view = [transpose](const Tensor& t) { return transpose ? t.transpose(0, 1) : t; };
      grads[0].push_back(view(base));
      grads[1].push_back(view(base.to(Device::cuda())));
    }
    for (int d = 0; d < 2; ++d)
      adamw_step(params[d], grads[d], m[d], v[d], lr, wd, 0.9, 0.999, 1e-8, step);
  }
  for (size_t i = 0; i < params[0].size(); ++i) {
    INFO("tensor ", i, " ", shape_str(params[0][i].shape()), " ", dtype_name(params[0][i].dtype()));
    check_tensor(params[1][i], params[0][i]);
    check_tensor(m[1][i], m[0][i]);
    check_tensor(v[1][i], v[0][i]);
  }
}

TEST_CASE("cuda adamw_step: train::AdamW on CUDA parameters follows the CPU optimizer") {
  TT_SKIP_WITHOUT_CUDA();
  std::vector<Tensor> params[2];
  for (int d = 0; d < 2; ++d) {
    const Device device = d == 0 ? Device::cpu() : Device::cuda();
    params[d] = {random_signed({30, 7}, DType::f32, 1).to(device).clone().set_requires_grad(true),
                 random_signed({7}, DType::f32, 2).to(device).clone().set_requires_grad(true),
                 random_signed({5}, DType::f32, 3).to(device).clone().set_requires_grad(true)};
  }
  std::unique_ptr<train::AdamW> opt[2];
  for (int d = 0; d < 2; ++d) {
    std::vector<train::ParamGroup> groups{{{params[d][0]}, 0.01, 1.0},
                                          {{params[d][1], params[d][2]}, 0.0, 3.0}};
    opt[d] = std::make_unique<train::AdamW>(groups, train::AdamWOptions{2e-3, 0.9, 0.999, 1e-8});
  }
  for (int step = 0; step < 4; ++step) {
    for (int d = 0; d < 2; ++d) {
      const Device device = d == 0 ? Device::cpu() : Device::cuda();
      opt[d]->zero_grad();
      // The last parameter gets no gradient on odd steps: skipped, moments and decay too.
      Tensor loss = sum(mul(params[d][0], random_input({30, 7}, DType::f32, 10 + step).to(device)));
      loss = add(loss, sum(mul(params[d][1], params[d][1])));
      if (step % 2 == 0) loss = add(loss, sum(mul(params[d][2], 3.0)));
      loss.backward();
      opt[d]->step();
    }
  }
  for (size_t i = 0; i < params[0].size(); ++i) {
    INFO("parameter ", i);
    check_tensor(params[1][i], params[0][i]);
  }
}
