// Finite-difference gradient checking: the test oracle for every backward rule.
//
// For f: inputs -> output, checks the analytic gradient of L = Σ output * R (R a fixed random
// tensor, so every output element is weighted differently) against central differences
// (L(x + eps e_j) - L(x - eps e_j)) / (2 eps), element by element, for every input that
// requires grad. Use float64 inputs: in float32 the truncation and rounding errors of the
// difference quotient swamp the tolerance.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "tinytune/core/tensor.h"

namespace tt {

struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-8;
  double rtol = 1e-6;
  uint64_t seed = 12345;  // for R
};

struct GradcheckResult {
  bool ok = true;
  double max_abs_error = 0.0;
  std::string message;  // the first mismatch: input, element, analytic and numeric values
};

using GradcheckFn = std::function<Tensor(const std::vector<Tensor>&)>;

GradcheckResult gradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options = {});

}  // namespace tt
