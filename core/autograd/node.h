// The autograd graph. Each differentiable op's output holds a Node (its grad_fn) that knows
// how to turn dL/d(output) into dL/d(input) for each input. Edges point from a Node to the
// Nodes that produced its inputs, or to the leaf tensors (parameters) that receive .grad.
//
// Pattern for an op (see core/ops/unary/unary.cpp for a full example):
//   Tensor y = <kernel>(x);
//   if (needs_grad(x)) connect(y, std::make_shared<ExpBackward>(y.detach()), {x});
// Nodes save tensors detached (no grad_fn), so an output saved in its own grad_fn forms no
// reference cycle. release() drops them after backward, which makes a second backward
// through the same graph an error rather than a silent wrong answer.
#pragma once
#include <memory>
#include <vector>

#include "tinytune/core/autograd/grad_mode.h"
#include "tinytune/core/tensor.h"

namespace tt {

struct Edge {
  std::shared_ptr<Node> node;         // set when the input came from an op
  std::shared_ptr<TensorImpl> leaf;   // set when the input is a leaf that requires grad
  Shape shape;                        // the input's shape, to validate gradients
};

class Node {
 public:
  virtual ~Node() = default;
  virtual const char* name() const = 0;
  // Given dL/d(output), returns dL/d(input_i) per input, in the order of connect()'s inputs.
  // An undefined Tensor means "no gradient for this input".
  virtual std::vector<Tensor> backward(const Tensor& grad_output) = 0;
  // Drops saved tensors. Every Node that saves tensors overrides it.
  virtual void release() {}

  // Whether input i wants a gradient; backward formulas skip work for the others.
  bool input_needs_grad(size_t i) const {
    return i < next_edges.size() && (next_edges[i].node || next_edges[i].leaf);
  }

  std::vector<Edge> next_edges;
  bool released = false;
};

template <typename... Ts>
bool needs_grad(const Ts&... inputs) {
  return grad_enabled() && (inputs.requires_grad() || ...);
}
bool needs_grad(const std::vector<Tensor>& inputs);  // undefined entries are skipped

// Makes `node` the grad_fn of `output` and wires its edges to `inputs` (undefined entries,
// for optional arguments left out, get an edge that receives no gradient).
void connect(Tensor& output, std::shared_ptr<Node> node, const std::vector<Tensor>& inputs);

}  // namespace tt
