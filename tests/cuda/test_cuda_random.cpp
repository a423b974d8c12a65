// CUDA draws equal the CPU draws of the same generator state, bit for bit.
#include "tests/cuda/cuda_test_util.h"

using namespace tt;
using namespace tt::test;

TEST_CASE("cuda random: uniform, normal and bernoulli equal the CPU draw bit for bit") {
  TT_SKIP_WITHOUT_CUDA();
  for (DType dtype : {DType::f32, DType::f64}) {
    for (int64_t n : {int64_t{1}, int64_t{7}, int64_t{100001}}) {  // odd sizes: half a pair
      INFO("dtype ", dtype_name(dtype), " n ", n);
      Generator cpu_gen(1234), cuda_gen(1234);
      cpu_gen.set_offset(77);
      cuda_gen.set_offset(77);
      check_equal(uniform({n}, -2.0, 3.0, dtype, cuda_gen, Device::cuda()),
                  uniform({n}, -2.0, 3.0, dtype, cpu_gen));
      check_equal(normal({n}, 0.5, 2.0, dtype, cuda_gen, Device::cuda()),
                  normal({n}, 0.5, 2.0, dtype, cpu_gen));
      check_equal(bernoulli({n}, 0.3, dtype, cuda_gen, Device::cuda()),
                  bernoulli({n}, 0.3, dtype, cpu_gen));
      CHECK(cuda_gen.offset() == cpu_gen.offset());  // the same counters consumed
    }
  }
}

TEST_CASE("cuda random: a multi-dim draw is the flat draw reshaped") {
  TT_SKIP_WITHOUT_CUDA();
  Generator a(9), b(9);
  Tensor grid = normal({13, 17}, 0.0, 1.0, DType::f32, a, Device::cuda());
  Tensor flat = normal({13 * 17}, 0.0, 1.0, DType::f32, b);
  check_equal(grid.reshape({13 * 17}), flat);
}
