// The consumer's own core/tensor.h: a name tinytune's layout also uses. tinytune's headers
// include "tinytune/core/tensor.h", so they never pick this one up, and this program still can.
#pragma once
namespace consumer {
struct Tensor {
  int rows = 2, cols = 3;
};
}  // namespace consumer
