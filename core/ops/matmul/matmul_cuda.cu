// CUDA matmul: strided-batched GEMM calls (core/blas/gemm_cuda.h) over the broadcast batch.
//
// Operands are passed as they lie in memory when a row or a column stride is 1 (a transposed
// view is a transposed GEMM operand), as the CPU matmul does; other layouts are copied to
// contiguous first. Batch dims: the output's batch is split into an inner group of dims over
// which every operand advances by one fixed stride (0 for a broadcast operand), done by one
// strided-batched call, and the remaining outer dims, looped over on the host. For the usual
// cases ([B, M, K] x [B, K, N], attention's [B, H, S, D] x [B, H, D, S], a broadcast weight)
// the inner group is the whole batch: one call.
//
// MatmulPrecision::bf16 (autocast): each operand is rounded to bf16 by one kernel that reads
// it through its strides in its memory order (coalesced; a transposed view stays a transposed
// operand) and writes a compact copy whose rows are padded to a multiple of 8 elements, so the
// tensor-core kernels get 16-byte aligned rows; broadcast batch dims are not expanded (the
// copy has the operand's own batch shape). The GEMM then accumulates in fp32 into f32 out.
#include <algorithm>
#include <vector>

#include "tinytune/core/blas/gemm_cuda.h"
#include "tinytune/core/cuda/launch.h"
#include "tinytune/core/ops/matmul/matmul_kernels.h"

namespace tt::cuda {

namespace {

// How GEMM reads one operand: element (b, r, c) of the logical [batch..., rows, cols] operand
// is data[batch offset + (trans ? c * ld + r : r * ld + c)].
struct GemmOperand {
  Tensor keep;          // owns the memory GEMM reads (the operand, or a copy of it)
  const void* data;     // element 0
  bool trans = false;   // stored as the transpose of the logical [rows, cols]
  int64_t ld = 0;       // row stride of the stored matrix
  Shape batch_shape;    // the operand's own batch dims
  Shape batch_strides;  // in elements
};

// The stored layout of t's last two dims, if GEMM can read it as is.
bool gemm_layout(const Tensor& t, bool& trans, int64_t& ld) {
  const int64_t rows = t.size(-2), cols = t.size(-1);
  const int64_t rs = t.strides()[t.dim() - 2], cs = t.strides()[t.dim() - 1];
  if ((cs == 1 || cols == 1) && (rows == 1 || rs >= std::max<int64_t>(cols, 1))) {
    trans = false;
    ld = rows == 1 ? std::max<int64_t>(cols, 1) : rs;
    return true;
  }
  if ((rs == 1 || rows == 1) && (cols == 1 || cs >= std::max<int64_t>(rows, 1))) {
    trans = true;
    ld = cols == 1 ? std::max<int64_t>(rows, 1) : cs;
    return true;
  }
  return false;
}

GemmOperand f32_operand(const Tensor& t) {
  GemmOperand op;
  op.keep = t;
  if (!gemm_layout(t, op.trans, op.ld)) {
    op.keep = t.contiguous();
    op.trans = false;
    op.ld = std::max<int64_t>(t.size(-1), 1);
  }
  op.data = device_data<float>(op.keep);
  op.batch_shape.assign(op.keep.shape().begin(), op.keep.shape().end() - 2);
  op.batch_strides.assign(op.keep.strides().begin(), op.keep.strides().end() - 2);
  return op;
}

// dst[(i / cols) * dst_ld + i % cols] = bf16(src[src_index(i)]) for i < n: the stored matrix
// (rows of `cols` elements) packed into rows of dst_ld.
__global__ void round_to_bf16_kernel(const float* src, StridedIndexer src_index, bfloat16* dst,
                                     int64_t cols, int64_t dst_ld, int64_t n) {
  TT_GRID_STRIDE_LOOP(i, n) {
    dst[(i / cols) * dst_ld + i % cols] = bfloat16(src[src_index(i)]);
  }
}

GemmOperand bf16_operand(const Tensor& t) {
  GemmOperand op;
  bool readable = gemm_layout(t, op.trans, op.ld);
  if (!readable) op.trans = false;  // read through the strides in logical order
  // The stored matrix as a view [batch..., stored rows, stored cols]: its last dim is the
  // contiguous one whenever GEMM could read t as is, so the rounding kernel reads coalesced.
  const Tensor stored = op.trans ? t.detach().transpose(-1, -2) : t.detach();
  const int64_t cols = stored.size(-1);
  const int64_t padded = std::max<int64_t>(8, (cols + 7) / 8 * 8);  // ld >= 1 even when empty
  Shape shape(stored.shape().begin(), stored.shape().end() - 1);
  shape.push_back(padded);
  op.keep = empty(shape, DType::bf16, t.device());
  const int64_t n = stored.numel();
  if (n > 0) {
    round_to_bf16_kernel<<<blocks_for(n, kThreads), kThreads, 0, current_stream()>>>(
        device_data<float>(stored), StridedIndexer(stored.shape(), stored.strides(), 0),
        device_data<bfloat16>(op.keep), cols, padded, n);
    TT_CUDA_CHECK_LAUNCH();
  }
  op.data = device_data<bfloat16>(op.keep);
  op.ld = padded;
  op.batch_shape.assign(shape.begin(), shape.end() - 2);
  op.batch_strides.assign(op.keep.strides().begin(), op.keep.strides().end() - 2);
  return op;
}

// The batch split described at the top: outer dims (looped) and one inner strided group.
struct BatchPlan {
  Shape outer_shape;
  std::vector<Shape> outer_strides;  // per operand (a, b, c)
  int64_t inner_count = 1;
  int64_t inner_stride[3] = {0, 0, 0};
};

BatchPlan plan_batch(const Shape& shape, const std::vector<Shape>& strides) {
  // Size-1 dims index nothing: drop them.
  Shape dims;
  std::vector<Shape> s(strides.size());
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    dims.push_back(shape[d]);
    for (size_t o = 0; o < strides.size(); ++o) s[o].push_back(strides[o][d]);
  }
  BatchPlan plan;
  if (dims.empty()) return plan;
  // Grow the inner group leftwards while every operand's stride steps over the group exactly.
  int64_t first = static_cast<int64_t>(dims.size()) - 1;
  int64_t count = dims[first];
  while (first > 0) {
    bool merges = true;
    for (size_t o = 0; o < s.size(); ++o)
      if (s[o][first - 1] != s[o][first] * dims[first]) merges = false;
    if (!merges) break;
    --first;
    count *= dims[first];
  }
  plan.inner_count = count;
  const int64_t last = static_cast<int64_t>(dims.size()) - 1;
  for (size_t o = 0; o < s.size(); ++o) plan.inner_stride[o] = s[o][last];
  plan.outer_shape.assign(dims.begin(), dims.begin() + first);
  plan.outer_strides.resize(s.size());
  for (size_t o = 0; o < s.size(); ++o)
    plan.outer_strides[o].assign(s[o].begin(), s[o].begin() + first);
  return plan;
}

}  // namespace

void matmul_forward(const Tensor& a, const Tensor& b, const Tensor& out,
                    MatmulPrecision precision) {
  TT_CHECK(a.dtype() == DType::f32 && b.dtype() == DType::f32 && out.dtype() == DType::f32,
           "matmul: CUDA matmul takes f32 tensors (bf16 through autocast, core/autocast.h), "
           "got ", dtype_name(a.dtype()));
  const int64_t M = out.size(-2), N = out.size(-1), K = a.size(-1);
  if (out.numel() == 0) return;
  const bool bf16 = precision == MatmulPrecision::bf16;
  const GemmOperand A = bf16 ? bf16_operand(a) : f32_operand(a);
  const GemmOperand B = bf16 ? bf16_operand(b) : f32_operand(b);
  const Shape batch_shape(out.shape().begin(), out.shape().end() - 2);
  const Shape c_strides_all = contiguous_strides(out.shape());
  const Shape c_strides(c_strides_all.begin(), c_strides_all.end() - 2);
  const BatchPlan plan =
      plan_batch(batch_shape, {broadcast_strides(A.batch_shape, A.batch_strides, batch_shape),
                               broadcast_strides(B.batch_shape, B.batch_strides, batch_shape),
                               c_strides});
  const blas::GemmBatch batch{plan.inner_count, plan.inner_stride[0], plan.inner_stride[1],
                              plan.inner_stride[2]};
  float* c = device_data<float>(out);
  const int64_t outer = shape_numel(plan.outer_shape);
  for (int64_t index = 0; index < outer; ++index) {
    int64_t off[3] = {0, 0, 0}, rest = index;
    for (int64_t d = static_cast<int64_t>(plan.outer_shape.size()) - 1; d >= 0; --d) {
      const int64_t i = rest % plan.outer_shape[d];
      rest /= plan.outer_shape[d];
      for (int o = 0; o < 3; ++o) off[o] += i * plan.outer_strides[o][d];
    }
    if (bf16) {
      const auto* pa = static_cast<const bfloat16*>(A.data) + off[0];
      const auto* pb = static_cast<const bfloat16*>(B.data) + off[1];
      blas::gemm_cuda(A.trans, B.trans, M, N, K, 1.0f, pa, A.ld, pb, B.ld, 0.0f, c + off[2], N,
                      batch);
    } else {
      const auto* pa = static_cast<const float*>(A.data) + off[0];
      const auto* pb = static_cast<const float*>(B.data) + off[1];
      blas::gemm_cuda(A.trans, B.trans, M, N, K, 1.0f, pa, A.ld, pb, B.ld, 0.0f, c + off[2], N,
                      batch);
    }
  }
}

}  // namespace tt::cuda
