// The consumer's own core/tensor.h: a name tinytune's layout also uses. tinytune's headers
// include "tinytune/core/tensor.h", so they never pick this one up, and this program still can.
#pragma once
// main.cpp defines CONSUMER_MAIN after including tinytune: any earlier includer is a tinytune
// header that reached this file through a bare "core/tensor.h".
#ifndef CONSUMER_MAIN
#error "a tinytune header included the consumer's core/tensor.h: its includes must name tinytune/ first"
#endif
namespace consumer {
struct Tensor {
  int rows = 2, cols = 3;
};
}  // namespace consumer
