#include "tinytune/core/autograd/gradcheck.h"

#include <cmath>
#include <sstream>

#include "tinytune/core/autograd/grad_mode.h"
#include "tinytune/core/ops/binary/binary.h"
#include "tinytune/core/ops/reduce/reduce.h"
#include "tinytune/core/random.h"

namespace tt {

GradcheckResult gradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options) {
  for (const Tensor& input : inputs)
    if (input.requires_grad())
      TT_CHECK(input.is_leaf() && input.dtype() == DType::f64,
               "gradcheck: inputs that require grad must be float64 leaves, got ",
               dtype_name(input.dtype()), " tensor of shape ", shape_str(input.shape()));

  for (const Tensor& input : inputs) const_cast<Tensor&>(input).zero_grad();
  Tensor out = fn(inputs);
  Generator gen(options.seed);
  Tensor weights = normal(out.shape(), 0.0, 1.0, out.dtype(), gen);
  sum(mul(out, weights)).backward();

  auto loss_at = [&]() {
    NoGradGuard no_grad;
    return sum(mul(fn(inputs), weights)).item();
  };

  GradcheckResult result;
  for (size_t i = 0; i < inputs.size(); ++i) {
    Tensor x = inputs[i];
    if (!x.requires_grad()) continue;
    Tensor analytic = x.grad();
    for (int64_t j = 0; j < x.numel(); ++j) {
      const double original = x.get(j);
      x.set(j, original + options.eps);
      const double plus = loss_at();
      x.set(j, original - options.eps);
      const double minus = loss_at();
      x.set(j, original);
      const double numeric = (plus - minus) / (2.0 * options.eps);
      const double got = analytic.defined() ? analytic.get(j) : 0.0;
      const double error = std::abs(got - numeric);
      result.max_abs_error = std::max(result.max_abs_error, error);
      if (result.ok && !(error <= options.atol + options.rtol * std::abs(numeric))) {
        std::ostringstream msg;
        msg.precision(12);
        msg << "gradcheck: input " << i << " (shape " << shape_str(x.shape()) << ") element "
            << j << ": analytic " << got << " vs numeric " << numeric << " (|diff| " << error
            << ")" << (analytic.defined() ? "" : " [no gradient reached this input]");
        result.ok = false;
        result.message = msg.str();
      }
    }
  }
  return result;
}

}  // namespace tt
