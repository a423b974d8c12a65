// dropout.
//
// Forward:  y = x * m / (1 - p),  m ~ Bernoulli(1 - p) from the counter-based generator
// Backward: dx = g * m / (1 - p)
// Written as a product with a constant mask tensor, so the backward is mul's. (A fused CUDA
// kernel regenerates the mask from the generator's counters instead of storing it.)
#include "core/ops/dropout/dropout.h"

#include "core/ops/binary/binary.h"

namespace tt {

Tensor dropout(const Tensor& x, double p, bool training, Generator& gen) {
  TT_CHECK(p >= 0.0 && p <= 1.0, "dropout: p must be in [0, 1], got ", p);
  TT_CHECK(is_floating(x.dtype()), "dropout: expected a floating dtype, got ",
           dtype_name(x.dtype()), " tensor of shape ", shape_str(x.shape()));
  if (!training || p == 0.0) return x;
  if (p == 1.0) return mul(x, 0.0);
  Tensor keep_scaled = mul(bernoulli(x.shape(), 1.0 - p, x.dtype(), gen), 1.0 / (1.0 - p));
  return mul(x, keep_scaled);
}

}  // namespace tt
