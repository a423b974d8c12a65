// embedding.
//
// Forward:  y[n, :] = W[idx[n], :]
// Backward: dW[v, :] = Σ_{n : idx[n] = v} g[n, :]   (a scatter-add; rows repeat in a batch)
// Indices are range-checked on the host (a CUDA index tensor is copied there once) and used on
// the weight's device (CPU indices for a CUDA table are copied to it: BERT's position ids).
#include "tinytune/core/ops/embedding/embedding.h"

#include "tinytune/core/autograd/node.h"
#include "tinytune/core/cuda/runtime.h"
#include "tinytune/core/ops/embedding/embedding_kernels.h"

namespace tt {

namespace {

struct EmbeddingBackward : Node {
  Tensor indices;
  Shape weight_shape;
  EmbeddingBackward(Tensor idx, Shape ws) : indices(std::move(idx)), weight_shape(std::move(ws)) {}
  const char* name() const override { return "EmbeddingBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor dw = zeros(weight_shape, g.dtype(), g.device());
    switch (g.device().type) {
      case DeviceType::cpu: cpu::embedding_backward(g.contiguous(), indices, dw); break;
      case DeviceType::cuda:
#ifdef TINYTUNE_WITH_CUDA
        cuda::embedding_backward(g.contiguous(), indices, dw);
        break;
#else
        cuda::built_without_cuda("embedding");
#endif
    }
    return {dw, Tensor()};
  }
  void release() override { indices = Tensor(); }
};

}  // namespace

Tensor embedding(const Tensor& weight, const Tensor& indices) {
  TT_CHECK(weight.dim() == 2, "embedding: weight must be 2-D [num_embeddings, dim], got shape ",
           shape_str(weight.shape()));
  TT_CHECK(is_floating(weight.dtype()), "embedding: weight must be floating, got ",
           dtype_name(weight.dtype()));
  TT_CHECK(indices.dtype() == DType::i64 || indices.dtype() == DType::i32,
           "embedding: indices must be i32 or i64, got ", dtype_name(indices.dtype()),
           " tensor of shape ", shape_str(indices.shape()));
  Tensor idx = indices.detach().contiguous().to(DType::i64);
  const int64_t rows = weight.shape()[0];
  Tensor idx_host = idx.to(Device::cpu());
  const int64_t* p = idx_host.data<int64_t>();
  for (int64_t i = 0; i < idx_host.numel(); ++i)
    TT_CHECK(p[i] >= 0 && p[i] < rows, "embedding: index ", p[i], " at position ", i,
             " is out of range [0, ", rows, ") for weight of shape ", shape_str(weight.shape()));
  idx = idx.to(weight.device());
  Shape out_shape = indices.shape();
  out_shape.push_back(weight.shape()[1]);
  Tensor out = empty(out_shape, weight.dtype(), weight.device());
  switch (weight.device().type) {
    case DeviceType::cpu: cpu::embedding_forward(weight.detach().contiguous(), idx, out); break;
    case DeviceType::cuda:
#ifdef TINYTUNE_WITH_CUDA
      cuda::embedding_forward(weight.detach().contiguous(), idx, out);
      break;
#else
      cuda::built_without_cuda("embedding");
#endif
  }
  if (needs_grad(weight))
    connect(out, std::make_shared<EmbeddingBackward>(idx, weight.shape()), {weight, indices});
  return out;
}

}  // namespace tt
