// CPU kernels of the Givens stages. Rows go to threads (each row's d values stay in L1 across
// all stages); the block gradients are summed per fixed chunk of rows and the chunks added in
// order, so the bits do not depend on the thread count.
#include <algorithm>
#include <cmath>
#include <vector>

#include "tinytune/core/ops/givens/givens.h"
#include "tinytune/core/ops/givens/givens_kernels.h"
#include "tinytune/core/ops/iterate.h"

namespace tt::cpu {

namespace {

// The stage index applied n-th: stage L first for Rᵀ x, stage 1 first for R x.
template <bool kAdjoint>
inline size_t applied(size_t n, size_t count) { return kAdjoint ? n : count - 1 - n; }

// The forward of one row v in place: per stage and pair, [v_i; v_j] <- h [v_i; v_j] with h = g
// (adjoint) or gᵀ. Records each pair's input in pair_inputs[2p], [2p + 1] when given.
template <bool kAdjoint, typename T>
void forward_row(T* __restrict__ v, const T* __restrict__ blocks, const std::vector<GivensStage>& stages,
                 T* __restrict__ pair_inputs) {
  for (size_t n = 0; n < stages.size(); ++n) {
    const GivensStage& stage = stages[applied<kAdjoint>(n, stages.size())];
    const int64_t stride = stage.stride, step = 2 * stride;
    const T* g = blocks + 4 * stage.first_pair;
    T* in = pair_inputs ? pair_inputs + 2 * stage.first_pair : nullptr;
    for (int64_t k = 0; k < stage.pairs; ++k, g += 4) {
      const T a = v[k * step], b = v[k * step + stride];
      if (in) {
        in[2 * k] = a;
        in[2 * k + 1] = b;
      }
      if constexpr (kAdjoint) {
        v[k * step] = g[0] * a + g[1] * b;
        v[k * step + stride] = g[2] * a + g[3] * b;
      } else {
        v[k * step] = g[0] * a + g[2] * b;
        v[k * step + stride] = g[1] * a + g[3] * b;
      }
    }
  }
}

// The backward of one row: v holds dL/dy and leaves holding dL/dx; acc[4p..4p+3] += dL/dg_p.
template <bool kAdjoint, typename T>
void backward_row(T* __restrict__ v, const T* __restrict__ blocks, const std::vector<GivensStage>& stages,
                  const T* __restrict__ pair_inputs, T* __restrict__ acc) {
  for (size_t n = stages.size(); n-- > 0;) {
    const GivensStage& stage = stages[applied<kAdjoint>(n, stages.size())];
    const int64_t stride = stage.stride, step = 2 * stride;
    const T* g = blocks + 4 * stage.first_pair;
    const T* in = pair_inputs + 2 * stage.first_pair;
    T* dg = acc + 4 * stage.first_pair;
    for (int64_t k = 0; k < stage.pairs; ++k, g += 4, dg += 4) {
      const T gu_i = v[k * step], gu_j = v[k * step + stride];
      const T a_i = in[2 * k], a_j = in[2 * k + 1];
      if constexpr (kAdjoint) {  // h = g: dg = gu aᵀ, da = gᵀ gu
        dg[0] += gu_i * a_i;
        dg[1] += gu_i * a_j;
        dg[2] += gu_j * a_i;
        dg[3] += gu_j * a_j;
        v[k * step] = g[0] * gu_i + g[2] * gu_j;
        v[k * step + stride] = g[1] * gu_i + g[3] * gu_j;
      } else {  // h = gᵀ: dg = a guᵀ, da = g gu
        dg[0] += a_i * gu_i;
        dg[1] += a_i * gu_j;
        dg[2] += a_j * gu_i;
        dg[3] += a_j * gu_j;
        v[k * step] = g[0] * gu_i + g[1] * gu_j;
        v[k * step + stride] = g[2] * gu_i + g[3] * gu_j;
      }
    }
  }
}

template <bool kAdjoint, typename T>
void forward_rows(const T* px, const T* pg, T* py, int64_t rows, int64_t d) {
  const std::vector<GivensStage> stages = givens_schedule(d);
#pragma omp parallel for schedule(static) if (rows * d >= kParallelGrain && rows > 1)
  for (int64_t r = 0; r < rows; ++r) {
    T* v = py + r * d;
    std::copy(px + r * d, px + (r + 1) * d, v);
    forward_row<kAdjoint>(v, pg, stages, static_cast<T*>(nullptr));
  }
}

template <bool kAdjoint, typename T>
void backward_rows(const T* px, const T* pg, const T* pgy, T* pgx, T* pdg, int64_t rows, int64_t d) {
  constexpr int64_t kChunk = 64;  // rows per partial sum of the block gradients
  const int64_t pairs = d - 1;
  const int64_t chunks = (rows + kChunk - 1) / kChunk;
  const std::vector<GivensStage> stages = givens_schedule(d);
  std::vector<T> partial(chunks * 4 * pairs, T(0));
#pragma omp parallel for schedule(static) if (rows * d >= kParallelGrain && chunks > 1)
  for (int64_t c = 0; c < chunks; ++c) {
    T* acc = partial.data() + c * 4 * pairs;
    std::vector<T> scratch(d), pair_inputs(2 * pairs);
    for (int64_t r = c * kChunk; r < std::min(rows, (c + 1) * kChunk); ++r) {
      // Rerun the forward to record every pair's input, then walk the stages back from gy.
      std::copy(px + r * d, px + (r + 1) * d, scratch.begin());
      forward_row<kAdjoint>(scratch.data(), pg, stages, pair_inputs.data());
      T* v = pgx + r * d;
      std::copy(pgy + r * d, pgy + (r + 1) * d, v);
      backward_row<kAdjoint>(v, pg, stages, pair_inputs.data(), acc);
    }
  }
  for (int64_t e = 0; e < 4 * pairs; ++e) {
    T s = 0;
    for (int64_t c = 0; c < chunks; ++c) s += partial[c * 4 * pairs + e];
    pdg[e] = s;
  }
}

}  // namespace

void givens_forward(const Tensor& x, const Tensor& blocks, bool adjoint, const Tensor& out) {
  dispatch_floating(x.dtype(), "givens_rotate", [&](auto tag) {
    using T = decltype(tag);
    const int64_t d = x.shape().back();
    const int64_t rows = x.numel() / d;
    if (adjoint)
      forward_rows<true>(x.data<T>(), blocks.data<T>(), out.data<T>(), rows, d);
    else
      forward_rows<false>(x.data<T>(), blocks.data<T>(), out.data<T>(), rows, d);
  });
}

void givens_backward(const Tensor& x, const Tensor& blocks, bool adjoint, const Tensor& grad_out,
                     const Tensor& grad_x, const Tensor& grad_blocks) {
  dispatch_floating(x.dtype(), "givens_rotate backward", [&](auto tag) {
    using T = decltype(tag);
    const int64_t d = x.shape().back();
    const int64_t rows = x.numel() / d;
    const T *px = x.data<T>(), *pg = blocks.data<T>(), *pgy = grad_out.data<T>();
    T *pgx = grad_x.data<T>(), *pdg = grad_blocks.data<T>();
    if (adjoint)
      backward_rows<true>(px, pg, pgy, pgx, pdg, rows, d);
    else
      backward_rows<false>(px, pg, pgy, pgx, pdg, rows, d);
  });
}

void givens_rotation_blocks_forward(const Tensor& angles, const Tensor& blocks) {
  dispatch_floating(angles.dtype(), "givens_rotation_blocks", [&](auto tag) {
    using T = decltype(tag);
    const int64_t n = angles.numel();
    const T* pa = angles.data<T>();
    T* pb = blocks.data<T>();
    for (int64_t k = 0; k < n; ++k) {
      const T c = std::cos(pa[k]), s = std::sin(pa[k]);
      pb[4 * k] = c;
      pb[4 * k + 1] = -s;
      pb[4 * k + 2] = s;
      pb[4 * k + 3] = c;
    }
  });
}

void givens_rotation_blocks_backward(const Tensor& angles, const Tensor& grad_blocks,
                                     const Tensor& grad_angles) {
  dispatch_floating(angles.dtype(), "givens_rotation_blocks backward", [&](auto tag) {
    using T = decltype(tag);
    const int64_t n = angles.numel();
    const T* pa = angles.data<T>();
    const T* g = grad_blocks.data<T>();
    T* pd = grad_angles.data<T>();
    for (int64_t k = 0; k < n; ++k, g += 4) {
      const T c = std::cos(pa[k]), s = std::sin(pa[k]);
      pd[k] = -s * g[0] - c * g[1] + c * g[2] - s * g[3];
    }
  });
}

}  // namespace tt::cpu
