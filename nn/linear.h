// Linear: y = x Wᵀ + b, with W stored [out_features, in_features] as in PyTorch/HF.
//
// The `adapter` hook is the one seam PEFT uses: when set, forward() hands the input to the
// adapter, which computes the adapted output from the frozen base layer (nn/ knows nothing
// else of peft/).
#pragma once
#include "tinytune/nn/module.h"

namespace tt::nn {

class Linear;

// An adapter is a Module: its parameters appear inside the wrapped Linear's namespace.
class LinearAdapter : public Module {
 public:
  virtual Tensor forward(const Linear& base, const Tensor& x) = 0;
  // True while the adapted weight has been written into the Linear's W (peft::merge_adapters):
  // forward() then takes the plain path.
  bool merged = false;
};

class Linear : public Module {
 public:
  // HF BERT initialisation: W ~ N(0, init_std²), b = 0.
  Linear(int64_t in_features, int64_t out_features, bool bias = true, double init_std = 0.02);
  Tensor forward(const Tensor& x);
  Tensor base_forward(const Tensor& x) const;  // x Wᵀ + b, ignoring any adapter
  // Installs the adapter (one per layer); its parameters join this module's.
  void set_adapter(std::shared_ptr<LinearAdapter> a);

  int64_t in_features, out_features;
  Tensor weight, bias;  // bias undefined when built without
  std::shared_ptr<LinearAdapter> adapter;
};

}  // namespace tt::nn
