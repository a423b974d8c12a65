// CPU embedding kernels. The backward scatter-add runs over rows in index order (each dW row
// gets its contributions in the same order every time: deterministic); threads split the
// embedding dim, so no two threads touch the same element.
#include <cstring>

#include "tinytune/core/ops/embedding/embedding_kernels.h"
#include "tinytune/core/ops/iterate.h"

namespace tt::cpu {

void embedding_forward(const Tensor& weight, const Tensor& indices, const Tensor& out) {
  const int64_t d = weight.shape()[1];
  const int64_t n = indices.numel();
  const int64_t* idx = indices.data<int64_t>();
  const size_t row_bytes = d * dtype_size(weight.dtype());
  const char* w = static_cast<const char*>(weight.raw_data());
  char* o = static_cast<char*>(out.raw_data());
#pragma omp parallel for if (n * d >= kParallelGrain)
  for (int64_t i = 0; i < n; ++i) std::memcpy(o + i * row_bytes, w + idx[i] * row_bytes, row_bytes);
}

void embedding_backward(const Tensor& grad, const Tensor& indices, const Tensor& grad_weight) {
  dispatch_floating(grad.dtype(), "embedding backward", [&](auto tag) {
    using T = decltype(tag);
    const int64_t d = grad_weight.shape()[1];
    const int64_t n = indices.numel();
    const int64_t* idx = indices.data<int64_t>();
    const T* g = grad.data<T>();
    T* dw = grad_weight.data<T>();
    constexpr int64_t kColumns = 64;  // columns per task
#pragma omp parallel for if (n * d >= kParallelGrain)
    for (int64_t c0 = 0; c0 < d; c0 += kColumns) {
      const int64_t c1 = std::min(d, c0 + kColumns);
      for (int64_t i = 0; i < n; ++i) {
        T* row = dw + idx[i] * d;
        const T* gi = g + i * d;
        for (int64_t c = c0; c < c1; ++c) row[c] += gi[c];
      }
    }
  });
}

}  // namespace tt::cpu
