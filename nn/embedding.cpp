#include "tinytune/nn/embedding.h"

#include "tinytune/core/ops.h"
#include "tinytune/nn/init.h"

namespace tt::nn {

Embedding::Embedding(int64_t num_embeddings, int64_t dim, double init_std, int64_t padding_idx) {
  TT_CHECK(num_embeddings > 0 && dim > 0, "Embedding: sizes must be positive, got ",
           num_embeddings, " x ", dim);
  Tensor w = init_normal({num_embeddings, dim}, init_std);
  if (padding_idx >= 0 && padding_idx < num_embeddings) copy_into(w.narrow(0, padding_idx, 1), zeros({1, dim}));
  weight = register_parameter("weight", w);
}

Tensor Embedding::forward(const Tensor& indices) { return embedding(weight, indices); }

}  // namespace tt::nn
