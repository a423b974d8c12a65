// scaled_dot_product_attention.
//
// Forward, per batch and head (S scores, P probabilities, Z dropout's keep mask / (1 - p)):
//   S = scale * Q Kᵀ + mask,   P = softmax over each row of S,   O = (P ∘ Z) V
// Backward, given dO:
//   dV = (P ∘ Z)ᵀ dO,   dP = (dO Vᵀ) ∘ Z,   dS = P ∘ (dP - delta),
//   delta_i = Σ_j P_ij dP_ij = Σ_j (P ∘ Z)_ij (dO_i · V_j) = dO_i · O_i,
//   dQ = scale * dS K,   dK = scale * dSᵀ Q;   the mask is a constant (no gradient).
//
// CPU, and CUDA outside the fused kernels' cases (f64, head_dims other than 32 and 64): the
// composite matmul, mul, add, softmax, dropout, matmul — the op's definition (BERT's
// self-attention as HF writes it) and the test oracle; autograd differentiates it.
// CUDA, f32, head_dim 32 or 64: flash attention (attention_cuda.cu). The forward keeps per
// query row the running max and sum of exp over key tiles (online softmax) and saves the final
// max and 1 / sum; the seq_q x seq_k matrices never reach memory. The backward (FA-2)
// recomputes P tile by tile: one kernel owns key tiles and sums dK, dV over the queries,
// another owns query tiles and sums dQ over the keys; each gradient element has one writer, so
// it is deterministic without atomics. Dropout's mask is regenerated from the generator's
// counters (the counters bernoulli() would take for the composite: same seed, same mask).
// The fused output and gradients live in [batch, seq, heads, head_dim] storage viewed as
// [batch, heads, seq, head_dim], so merging the heads afterwards (BERT) is a free view.
#include "tinytune/core/ops/attention/attention.h"

#include "tinytune/core/autograd/node.h"
#include "tinytune/core/cuda/runtime.h"
#include "tinytune/core/ops/attention/attention_kernels.h"
#include "tinytune/core/ops/binary/binary.h"
#include "tinytune/core/ops/dropout/dropout.h"
#include "tinytune/core/ops/matmul/matmul.h"
#include "tinytune/core/ops/softmax/softmax.h"

namespace tt {

namespace {

Tensor composite_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                           double scale, double dropout_p, Generator& gen) {
  Tensor scores = mul(matmul(q, k.transpose(-1, -2)), scale);
  if (mask.defined()) scores = add(scores, mask);
  Tensor probs = dropout(softmax(scores, -1), dropout_p, dropout_p > 0.0, gen);
  return matmul(probs, v);
}

// A fresh [batch, seq, heads, head_dim] tensor seen as [batch, heads, seq, head_dim].
Tensor heads_view_tensor(int64_t batch, int64_t heads, int64_t seq, int64_t head_dim,
                         Device device) {
  return empty({batch, seq, heads, head_dim}, DType::f32, device).permute({0, 2, 1, 3});
}

// The kernels need unit stride along head_dim; other views are copied.
Tensor unit_stride_head_dim(const Tensor& t) {
  Tensor d = t.detach();
  return d.strides()[3] == 1 ? d : d.contiguous();
}

#ifdef TINYTUNE_WITH_CUDA
struct AttentionBackward : Node {
  Tensor q, k, v, mask, out, stats;
  double scale;
  cuda::AttentionDropout dropout;
  AttentionBackward(Tensor q_, Tensor k_, Tensor v_, Tensor m, Tensor o, Tensor s, double sc,
                    cuda::AttentionDropout d)
      : q(std::move(q_)), k(std::move(k_)), v(std::move(v_)), mask(std::move(m)),
        out(std::move(o)), stats(std::move(s)), scale(sc), dropout(d) {}
  const char* name() const override { return "ScaledDotProductAttentionBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    const int64_t batch = q.shape()[0], heads = q.shape()[1], head_dim = q.shape()[3];
    Tensor dq = heads_view_tensor(batch, heads, q.shape()[2], head_dim, q.device());
    Tensor dk = heads_view_tensor(batch, heads, k.shape()[2], head_dim, q.device());
    Tensor dv = heads_view_tensor(batch, heads, v.shape()[2], head_dim, q.device());
    switch (q.device().type) {
      case DeviceType::cpu:
        throw Error("scaled_dot_product_attention: internal error: the CPU path is the "
                    "composite, not this node");
      case DeviceType::cuda:
        cuda::attention_backward(q, k, v, mask, scale, dropout, out, stats,
                                 unit_stride_head_dim(g), dq, dk, dv);
        break;
    }
    return {dq, dk, dv};
  }
  void release() override { q = k = v = mask = out = stats = Tensor(); }
};
#endif

Tensor fused_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                       double scale, double dropout_p, Generator& gen) {
#ifdef TINYTUNE_WITH_CUDA
  const int64_t batch = q.shape()[0], heads = q.shape()[1], seq_q = q.shape()[2];
  const int64_t seq_k = k.shape()[2], head_dim = q.shape()[3];
  Tensor qd = unit_stride_head_dim(q), kd = unit_stride_head_dim(k), vd = unit_stride_head_dim(v);
  Tensor m = mask.defined() ? mask.detach() : Tensor();
  Tensor out = heads_view_tensor(batch, heads, seq_q, head_dim, q.device());
  Tensor stats = empty({batch * heads * seq_q * 2}, DType::f32, q.device());
  cuda::AttentionDropout drop;
  if (dropout_p > 0.0) {
    drop.p = dropout_p;
    drop.seed = gen.seed();
    // The counters bernoulli() takes for the [batch, heads, seq_q, seq_k] mask: one per pair.
    drop.start = gen.advance(static_cast<uint64_t>((batch * heads * seq_q * seq_k + 1) / 2));
  }
  cuda::attention_forward(qd, kd, vd, m, scale, drop, out, stats);
  if (needs_grad(q, k, v)) {
    auto node = std::make_shared<AttentionBackward>(qd, kd, vd, m, out.detach(), stats, scale, drop);
    connect(out, std::move(node), {q, k, v});
  }
  return out;
#else
  (void)q, (void)k, (void)v, (void)mask, (void)scale, (void)dropout_p, (void)gen;
  cuda::built_without_cuda("scaled_dot_product_attention");
#endif
}

}  // namespace

Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const Tensor& mask, double scale, double dropout_p,
                                    Generator& gen) {
  const char* op = "scaled_dot_product_attention";
  TT_CHECK(q.defined() && k.defined() && v.defined(), op, ": q, k and v must be defined");
  TT_CHECK(q.dim() == 4 && k.dim() == 4 && v.dim() == 4, op,
           ": q, k, v must be [batch, heads, seq, head_dim], got shapes ", shape_str(q.shape()),
           ", ", shape_str(k.shape()), ", ", shape_str(v.shape()));
  TT_CHECK(is_floating(q.dtype()) && k.dtype() == q.dtype() && v.dtype() == q.dtype(), op,
           ": q, k, v must share one floating dtype, got ", dtype_name(q.dtype()), ", ",
           dtype_name(k.dtype()), ", ", dtype_name(v.dtype()));
  TT_CHECK(k.device() == q.device() && v.device() == q.device(), op,
           ": q, k, v must be on one device, got ", q.device().str(), ", ", k.device().str(),
           ", ", v.device().str());
  const int64_t batch = q.shape()[0], heads = q.shape()[1], seq_k = k.shape()[2];
  TT_CHECK(k.shape()[0] == batch && v.shape()[0] == batch && k.shape()[1] == heads &&
               v.shape()[1] == heads && v.shape()[2] == seq_k && k.shape()[3] == q.shape()[3],
           op, ": q ", shape_str(q.shape()), ", k ", shape_str(k.shape()), " and v ",
           shape_str(v.shape()), " disagree (expected the same batch and heads, k's head_dim "
           "equal to q's, and v's seq equal to k's)");
  if (mask.defined()) {
    TT_CHECK(mask.dim() == 4 && (mask.shape()[0] == batch || mask.shape()[0] == 1) &&
                 mask.shape()[1] == 1 && mask.shape()[2] == 1 && mask.shape()[3] == seq_k,
             op, ": mask of shape ", shape_str(mask.shape()), " is not an additive key mask [",
             batch, " or 1, 1, 1, ", seq_k, "]");
    TT_CHECK(mask.dtype() == q.dtype() && mask.device() == q.device(), op, ": mask (",
             dtype_name(mask.dtype()), " on ", mask.device().str(), ") differs from q (",
             dtype_name(q.dtype()), " on ", q.device().str(), ")");
    TT_CHECK(!mask.requires_grad(), op, ": the mask is a constant and gets no gradient; "
             "detach it");
  }
  TT_CHECK(dropout_p >= 0.0 && dropout_p < 1.0, op, ": dropout_p must be in [0, 1), got ",
           dropout_p);
  switch (q.device().type) {
    case DeviceType::cpu: return composite_attention(q, k, v, mask, scale, dropout_p, gen);
    case DeviceType::cuda:
      // Outside the fused kernels' cases (documented in attention.h) the composite runs on
      // the GPU, op by op.
      if (!cuda::attention_fused_supported(q.dtype(), q.shape()[3], v.shape()[3]) ||
          q.numel() == 0 || seq_k == 0)
        return composite_attention(q, k, v, mask, scale, dropout_p, gen);
      return fused_attention(q, k, v, mask, scale, dropout_p, gen);
  }
  return Tensor();
}

}  // namespace tt
