// The backward pass: a topological walk from the output, summing gradients where a tensor
// fed several ops, and accumulating into the .grad of leaves.
#pragma once
#include "tinytune/core/tensor.h"

namespace tt {

void run_backward(const Tensor& output, const Tensor& grad_output, bool retain_graph);

}  // namespace tt
