// Dropout that follows the module's train/eval mode; masks come from the default generator,
// so tt::manual_seed makes a run reproducible.
#pragma once
#include "tinytune/nn/module.h"

namespace tt::nn {

class Dropout : public Module {
 public:
  explicit Dropout(double p);
  Tensor forward(const Tensor& x);
  double p;
};

}  // namespace tt::nn
