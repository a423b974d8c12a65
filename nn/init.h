// Parameter initialisation control. Building a model only to overwrite every weight from a
// checkpoint would spend seconds drawing 20M+ normals; loaders build under SkipInitGuard
// (parameters start at zero) and then initialise only what the file did not provide.
#pragma once
#include <string>

#include "tinytune/core/tensor.h"

namespace tt::nn {

bool parameter_init_skipped();

class SkipInitGuard {
 public:
  SkipInitGuard();
  ~SkipInitGuard();
  SkipInitGuard(const SkipInitGuard&) = delete;
  SkipInitGuard& operator=(const SkipInitGuard&) = delete;

 private:
  bool previous_;
};

// N(0, std²), or zeros under SkipInitGuard.
Tensor init_normal(const Shape& shape, double std);

// HF BERT's _init_weights for one parameter by its name: LayerNorm weight 1, biases 0,
// every other weight N(0, std²).
void init_by_name(const std::string& name, Tensor& param, double std);

}  // namespace tt::nn
