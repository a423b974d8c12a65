// Seeded random values for every adapter tensor and the classifier head of a model that
// apply_peft adapted: a test of saving, loading, composing or moving adapters then sees
// non-trivial factors (an identity adapter, LoRA's B = 0, would pass many wrong checks).
#pragma once
#include "tinytune/core/ops.h"
#include "tinytune/peft/adapter_io.h"

namespace tt::test {

inline void randomize_adapter(nn::Module& model, uint64_t seed) {
  Generator gen(seed);
  NoGradGuard no_grad;
  const auto params = model.state_dict();
  for (auto& [name, t] : peft::adapter_tensors(model, {"classifier"})) {
    const Tensor& p = params.at(name);
    copy_into(p, uniform(p.shape(), -0.3, 0.3, p.dtype(), gen));
  }
}

}  // namespace tt::test
