// CPU kernel of where: one pass of the strided broadcast iterator over four operands.
#include "tinytune/core/ops/iterate.h"
#include "tinytune/core/ops/where/where_kernels.h"

namespace tt::cpu {

void where_forward(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out) {
  dispatch_all(cond.dtype(), [&](auto cond_tag) {
    using C = decltype(cond_tag);
    dispatch_all(out.dtype(), [&](auto tag) {
      using T = decltype(tag);
      const C* pc = cond.data<C>();
      const T* pa = a.data<T>();
      const T* pb = b.data<T>();
      T* po = out.data<T>();
      Shape sc = broadcast_strides(cond.shape(), cond.strides(), out.shape());
      Shape sa = broadcast_strides(a.shape(), a.strides(), out.shape());
      Shape sb = broadcast_strides(b.shape(), b.strides(), out.shape());
      for_each_offset<4>(out.shape(), {&sc, &sa, &sb, &out.strides()},
                         [&](const std::array<int64_t, 4>& o) {
                           po[o[3]] = pc[o[0]] != C(0) ? pa[o[1]] : pb[o[2]];
                         });
    });
  });
}

}  // namespace tt::cpu
