#include "tinytune/core/autograd/engine.h"

#include <unordered_map>
#include <unordered_set>

#include "tinytune/core/autograd/node.h"
#include "tinytune/core/ops/binary/binary.h"

namespace tt {

bool needs_grad(const std::vector<Tensor>& inputs) {
  if (!grad_enabled()) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

void connect(Tensor& output, std::shared_ptr<Node> node, const std::vector<Tensor>& inputs) {
  node->next_edges.clear();
  for (const Tensor& input : inputs) {
    Edge edge;  // an undefined input (an optional argument left out) gets no gradient
    if (input.defined()) edge.shape = input.shape();
    if (input.defined() && input.requires_grad()) {
      if (input.grad_fn())
        edge.node = input.grad_fn();
      else
        edge.leaf = input.impl_ptr();
    }
    node->next_edges.push_back(std::move(edge));
  }
  output.impl().grad_fn = std::move(node);
  output.impl().requires_grad = true;
}

static void accumulate_into_leaf(TensorImpl& leaf, const Tensor& grad) {
  // A fresh copy: the same gradient tensor may flow to several leaves (add's backward returns
  // it twice), and optimizers scale .grad in place.
  if (!leaf.grad)
    leaf.grad = grad.clone().impl_ptr();
  else
    leaf.grad = add(Tensor(leaf.grad), grad).impl_ptr();
}

// Nodes in an order where every node comes before the nodes that produced its inputs.
static std::vector<Node*> topological_order(Node* root) {
  std::vector<Node*> post_order;
  std::unordered_set<Node*> visited{root};
  std::vector<std::pair<Node*, size_t>> stack{{root, 0}};
  while (!stack.empty()) {
    auto& [node, next] = stack.back();
    if (next < node->next_edges.size()) {
      Node* child = node->next_edges[next++].node.get();
      if (child && visited.insert(child).second) stack.push_back({child, 0});
    } else {
      post_order.push_back(node);
      stack.pop_back();
    }
  }
  return {post_order.rbegin(), post_order.rend()};
}

void run_backward(const Tensor& output, const Tensor& grad_output, bool retain_graph) {
  TT_CHECK(output.requires_grad(), "backward: the tensor of shape ", shape_str(output.shape()),
           " does not require grad (no input of the ops that made it requires grad)");
  Tensor seed = grad_output;
  if (!seed.defined()) {
    TT_CHECK(output.numel() == 1, "backward: a gradient can be implied only for a one-element "
             "output, but the output has shape ", shape_str(output.shape()),
             "; pass the gradient explicitly");
    seed = ones(output.shape(), output.dtype(), output.device());
  }
  TT_CHECK(seed.shape() == output.shape() && seed.dtype() == output.dtype(),
           "backward: gradient of shape ", shape_str(seed.shape()), " and dtype ",
           dtype_name(seed.dtype()), " does not match the output's shape ",
           shape_str(output.shape()), " and dtype ", dtype_name(output.dtype()));

  NoGradGuard no_grad;  // backward formulas use ops, which must not record a graph
  if (output.is_leaf()) {
    accumulate_into_leaf(output.impl(), seed);
    return;
  }
  Node* root = output.grad_fn().get();
  std::unordered_map<Node*, Tensor> pending{{root, seed}};
  for (Node* node : topological_order(root)) {
    auto found = pending.find(node);
    if (found == pending.end()) continue;  // no gradient reached this node
    TT_CHECK(!node->released, "backward: trying to go through the graph a second time (at ",
             node->name(), "), but its saved tensors were freed by the first backward; pass "
             "retain_graph=true to the first backward");
    Tensor grad = std::move(found->second);
    pending.erase(found);
    std::vector<Tensor> input_grads = node->backward(grad);
    TT_CHECK(input_grads.size() == node->next_edges.size(), "autograd: ", node->name(),
             " returned ", input_grads.size(), " gradients for ", node->next_edges.size(),
             " inputs");
    for (size_t i = 0; i < input_grads.size(); ++i) {
      const Edge& edge = node->next_edges[i];
      const Tensor& g = input_grads[i];
      if (!g.defined() || (!edge.node && !edge.leaf)) continue;
      TT_CHECK(g.shape() == edge.shape, "autograd: ", node->name(), " returned a gradient of shape ",
               shape_str(g.shape()), " for input ", i, " of shape ", shape_str(edge.shape));
      if (edge.leaf) {
        accumulate_into_leaf(*edge.leaf, g);
      } else {
        auto [slot, inserted] = pending.try_emplace(edge.node.get(), g);
        if (!inserted) slot->second = add(slot->second, g);
      }
    }
    if (!retain_graph) {
      node->release();
      node->released = true;
    }
  }
}

}  // namespace tt
