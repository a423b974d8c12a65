// Module: a named tree of parameters and sub-modules, with train/eval mode and freezing.
// Parameter names join the path with dots exactly as PyTorch/HF do
// ("encoder.layer.3.attention.self.query.weight"), so checkpoints map one to one.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tinytune/core/tensor.h"

namespace tt::nn {

class Module {
 public:
  virtual ~Module() = default;
  Module() = default;
  Module(const Module&) = delete;  // parameters are shared handles: copying would alias them
  Module& operator=(const Module&) = delete;

  // Every parameter below this module, in registration order, names prefixed by `prefix`.
  std::vector<std::pair<std::string, Tensor>> named_parameters(const std::string& prefix = "") const;
  std::vector<Tensor> parameters() const;
  std::map<std::string, Tensor> state_dict() const;  // name -> parameter (shared, not copied)
  // Sub-modules by dotted path ("" is this module).
  std::vector<std::pair<std::string, Module*>> named_modules(const std::string& prefix = "");

  void train(bool on = true);  // recursive
  void eval() { train(false); }
  bool is_training() const { return training_; }

  void set_requires_grad(bool requires_grad);  // freezes or unfreezes every parameter
  // Moves every parameter to `device` in place (Tensor::move_to), so handles held elsewhere
  // (an optimizer made later, CondLoRA's shared maps) follow. Gradients are dropped. Tensors
  // that are not parameters do not move: in tinytune that is only Adapter::kept_weight, which
  // exists while adapters are merged, so move before merging.
  void to(Device device);
  // Converts every parameter to `dtype` in place (Tensor::move_to(DType)): f64 for gradient
  // checks of a whole model. Gradients are dropped.
  void to(DType dtype);
  // The parameters' device (CPU for a module without any). to() puts them all on one.
  Device device() const;
  void zero_grad();
  int64_t num_parameters() const;            // every element of every parameter
  int64_t num_trainable_parameters() const;  // those with requires_grad

 protected:
  // Registers `value` as a parameter (a leaf that requires grad) and returns it.
  Tensor register_parameter(const std::string& name, Tensor value);
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> child) {
    children_.emplace_back(name, child);
    return child;
  }

 private:
  std::vector<std::pair<std::string, Tensor>> parameters_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

}  // namespace tt::nn
