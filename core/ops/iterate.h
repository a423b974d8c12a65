// Strided iteration shared by the CPU kernels of elementwise ops: visit every element of a
// shape, in row-major order, with each operand's element offset computed from its own strides
// (stride 0 on broadcast dims). Rows (all dims but the last) are split across OpenMP threads;
// each element is written by one thread only, so results do not depend on the thread count.
#pragma once
#include <array>
#include <cstdint>

#include "tinytune/core/shape.h"

namespace tt {

// Below this many elements a parallel region costs more than it saves.
inline constexpr int64_t kParallelGrain = 32768;

// f(std::array<int64_t, N> offsets) is called once per element.
template <size_t N, typename F>
void for_each_offset(const Shape& shape, const std::array<const Shape*, N>& strides, F&& f) {
  const int64_t numel = shape_numel(shape);
  if (numel == 0) return;
  const int64_t ndim = static_cast<int64_t>(shape.size());
  if (ndim == 0) {
    f(std::array<int64_t, N>{});
    return;
  }
  const int64_t inner = shape[ndim - 1];
  const int64_t rows = numel / inner;
  std::array<int64_t, N> inner_stride;
  for (size_t k = 0; k < N; ++k) inner_stride[k] = (*strides[k])[ndim - 1];
#pragma omp parallel for schedule(static) if (numel >= kParallelGrain)
  for (int64_t row = 0; row < rows; ++row) {
    std::array<int64_t, N> offset{};
    int64_t rest = row;
    for (int64_t d = ndim - 2; d >= 0; --d) {
      int64_t i = rest % shape[d];
      rest /= shape[d];
      for (size_t k = 0; k < N; ++k) offset[k] += i * (*strides[k])[d];
    }
    for (int64_t j = 0; j < inner; ++j) {
      f(offset);
      for (size_t k = 0; k < N; ++k) offset[k] += inner_stride[k];
    }
  }
}

}  // namespace tt
