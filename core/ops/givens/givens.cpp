// Givens stages, per row of x [..., d], with R = P_L ⋯ P_2 P_1 (schedule in givens.h):
//   givens_rotate(x, G)          y = Rᵀ x = P_1ᵀ ⋯ P_Lᵀ x   (row form y = x R)
//   givens_rotate_adjoint(x, G)  y = R x  = P_L ⋯ P_1 x
//
// Forward. A stage mixes each of its pairs (i, j), with input a and output u, by a 2×2 matrix h
// (the other coordinates pass through):
//   [u_i; u_j] = h [a_i; a_j],   h = gᵀ for givens_rotate (stages L, L−1, …, 1),
//                                h = g  for the adjoint   (stages 1, 2, …, L).
// So under Pᵀ: u_i = g00·a_i + g10·a_j, u_j = g01·a_i + g11·a_j (docs/families.md §4.1–4.2).
//
// Backward. With gu = dL/du at a stage's output, stages visited in the reverse order:
//   dL/da = hᵀ gu        — the same stages in the other mode: dL/dx = R gy for givens_rotate,
//                          Rᵀ gy for the adjoint;
//   dL/dh = Σ_rows gu aᵀ, i.e. dL/dg = Σ_rows a guᵀ (givens_rotate), Σ_rows gu aᵀ (adjoint),
// per pair; the sum over rows runs per fixed chunk of rows and then over the chunks in order, one
// writer per entry and no atomics, so the bits do not depend on the thread count.
// dL/dg needs every stage's input a. Saving them costs L× the activations (or 2× keeping only
// the 2(d − 1) pair inputs per row); walking back by inverting the stages is exact only for
// invertible blocks (qGOFT's are free). So the backward reruns each row's forward from the saved
// x into a per-row scratch of 2(d − 1) pair inputs: one more O(d log d) pass, no extra memory.
// When the blocks need no gradient, dL/dx is the other mode's forward applied to gy.
//
// givens_rotation_blocks: b_k = [[c, −s], [s, c]] with c = cos θ_k, s = sin θ_k;
//   dL/dθ_k = −s·g00 − c·g01 + c·g10 − s·g11   (g = dL/db_k).
#include "tinytune/core/ops/givens/givens.h"

#include "tinytune/core/autograd/node.h"
#include "tinytune/core/cuda/runtime.h"
#include "tinytune/core/ops/givens/givens_kernels.h"

namespace tt {

std::vector<GivensStage> givens_schedule(int64_t d) {
  TT_CHECK(d >= 1, "givens_schedule: the dim must be >= 1, got ", d);
  std::vector<GivensStage> stages;
  int64_t live = d, stride = 1, first = 0;
  while (live > 1) {
    const int64_t pairs = live / 2;
    stages.push_back({stride, pairs, first});
    first += pairs;
    live = (live + 1) / 2;
    stride *= 2;
  }
  return stages;
}

namespace {

const char* op_name(bool adjoint) { return adjoint ? "givens_rotate_adjoint" : "givens_rotate"; }

// out = the stages applied to each row of x (contiguous), in the given mode.
Tensor run_forward(const Tensor& x, const Tensor& blocks, bool adjoint) {
  Tensor out = empty(x.shape(), x.dtype(), x.device());
  switch (x.device().type) {
    case DeviceType::cpu: cpu::givens_forward(x, blocks, adjoint, out); break;
    case DeviceType::cuda:
#ifdef TINYTUNE_WITH_CUDA
      cuda::givens_forward(x, blocks, adjoint, out);
      break;
#else
      cuda::built_without_cuda(op_name(adjoint));
#endif
  }
  return out;
}

struct GivensRotateBackward : Node {
  Tensor x, blocks;
  bool adjoint;
  GivensRotateBackward(Tensor x_, Tensor b, bool adj)
      : x(std::move(x_)), blocks(std::move(b)), adjoint(adj) {}
  const char* name() const override { return "GivensRotateBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor grad_out = g.contiguous();
    if (!input_needs_grad(1)) return {run_forward(grad_out, blocks, !adjoint), Tensor()};
    Tensor grad_x = empty(x.shape(), x.dtype(), x.device());
    Tensor grad_blocks = empty(blocks.shape(), blocks.dtype(), blocks.device());
    switch (x.device().type) {
      case DeviceType::cpu:
        cpu::givens_backward(x, blocks, adjoint, grad_out, grad_x, grad_blocks);
        break;
      case DeviceType::cuda:
#ifdef TINYTUNE_WITH_CUDA
        cuda::givens_backward(x, blocks, adjoint, grad_out, grad_x, grad_blocks);
        break;
#else
        cuda::built_without_cuda(op_name(adjoint));
#endif
    }
    return {input_needs_grad(0) ? grad_x : Tensor(), grad_blocks};
  }
  void release() override { x = blocks = Tensor(); }
};

Tensor givens_stages(const Tensor& input, const Tensor& blocks, bool adjoint) {
  const char* name = op_name(adjoint);
  TT_CHECK(input.defined() && blocks.defined(), name, ": x and blocks must both be given");
  TT_CHECK(is_floating(input.dtype()), name, ": expected a floating dtype (f32 or f64), got ",
           dtype_name(input.dtype()), " x of shape ", shape_str(input.shape()));
  TT_CHECK(input.dim() >= 1 && input.shape().back() >= 1, name, ": x of shape ",
           shape_str(input.shape()), " has no last dim to rotate");
  const int64_t d = input.shape().back();
  TT_CHECK(blocks.shape() == Shape({d - 1, 2, 2}), name, ": blocks of shape ",
           shape_str(blocks.shape()), " do not fit x of shape ", shape_str(input.shape()),
           " (expected [", d - 1, ", 2, 2]: one 2x2 block per pair, d - 1 pairs)");
  TT_CHECK(blocks.dtype() == input.dtype(), name, ": blocks dtype ", dtype_name(blocks.dtype()),
           " differs from x dtype ", dtype_name(input.dtype()));
  TT_CHECK(blocks.device() == input.device(), name, ": blocks on ", blocks.device().str(),
           " but x on ", input.device().str());
  Tensor x = input.detach().contiguous();
  Tensor g = blocks.detach().contiguous();
  Tensor y = run_forward(x, g, adjoint);
  if (needs_grad(input, blocks))
    connect(y, std::make_shared<GivensRotateBackward>(x, g, adjoint), {input, blocks});
  return y;
}

struct GivensRotationBlocksBackward : Node {
  Tensor angles;
  explicit GivensRotationBlocksBackward(Tensor a) : angles(std::move(a)) {}
  const char* name() const override { return "GivensRotationBlocksBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor grad_blocks = g.contiguous();
    Tensor grad_angles = empty(angles.shape(), angles.dtype(), angles.device());
    switch (angles.device().type) {
      case DeviceType::cpu:
        cpu::givens_rotation_blocks_backward(angles, grad_blocks, grad_angles);
        break;
      case DeviceType::cuda:
#ifdef TINYTUNE_WITH_CUDA
        cuda::givens_rotation_blocks_backward(angles, grad_blocks, grad_angles);
        break;
#else
        cuda::built_without_cuda("givens_rotation_blocks");
#endif
    }
    return {grad_angles};
  }
  void release() override { angles = Tensor(); }
};

}  // namespace

Tensor givens_rotate(const Tensor& x, const Tensor& blocks) {
  return givens_stages(x, blocks, /*adjoint=*/false);
}

Tensor givens_rotate_adjoint(const Tensor& x, const Tensor& blocks) {
  return givens_stages(x, blocks, /*adjoint=*/true);
}

Tensor givens_rotation_blocks(const Tensor& input) {
  TT_CHECK(input.defined() && input.dim() == 1, "givens_rotation_blocks: expected angles of shape [n], got ",
           input.defined() ? shape_str(input.shape()) : std::string("an undefined tensor"));
  TT_CHECK(is_floating(input.dtype()), "givens_rotation_blocks: expected a floating dtype (f32 or f64), got ",
           dtype_name(input.dtype()));
  Tensor angles = input.detach().contiguous();
  Tensor blocks = empty({angles.shape()[0], 2, 2}, angles.dtype(), angles.device());
  switch (angles.device().type) {
    case DeviceType::cpu: cpu::givens_rotation_blocks_forward(angles, blocks); break;
    case DeviceType::cuda:
#ifdef TINYTUNE_WITH_CUDA
      cuda::givens_rotation_blocks_forward(angles, blocks);
      break;
#else
      cuda::built_without_cuda("givens_rotation_blocks");
#endif
  }
  if (needs_grad(input))
    connect(blocks, std::make_shared<GivensRotationBlocksBackward>(angles), {input});
  return blocks;
}

}  // namespace tt
