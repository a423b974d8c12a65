// Embedding table [num_embeddings, dim], HF initialisation N(0, init_std²).
#pragma once
#include "tinytune/nn/module.h"

namespace tt::nn {

class Embedding : public Module {
 public:
  Embedding(int64_t num_embeddings, int64_t dim, double init_std = 0.02,
            int64_t padding_idx = -1);  // padding_idx row zeroed at init, as HF
  Tensor forward(const Tensor& indices);
  Tensor weight;
};

}  // namespace tt::nn
