#include "tinytune/nn/init.h"

#include "tinytune/core/random.h"

namespace tt::nn {

static thread_local bool t_skip_init = false;

bool parameter_init_skipped() { return t_skip_init; }

SkipInitGuard::SkipInitGuard() : previous_(t_skip_init) { t_skip_init = true; }
SkipInitGuard::~SkipInitGuard() { t_skip_init = previous_; }

Tensor init_normal(const Shape& shape, double std) {
  return t_skip_init ? zeros(shape) : normal(shape, 0.0, std);
}

void init_by_name(const std::string& name, Tensor& param, double std) {
  auto ends_with = [&](const std::string& suffix) {
    return name.size() >= suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with(".bias"))
    copy_into(param, zeros(param.shape()));
  else if (ends_with("LayerNorm.weight"))
    copy_into(param, ones(param.shape()));
  else
    copy_into(param, normal(param.shape(), 0.0, std));
}

}  // namespace tt::nn
