// The CUDA runtime, allocator and stream (core/cuda/): device discovery, the caching
// allocator's reuse and accounting, the error for an impossible allocation.
#include "tinytune/core/cuda/allocator.h"
#include "tests/cuda/cuda_test_util.h"

using namespace tt;
using namespace tt::test;

TEST_CASE("cuda: without a device, a CUDA tensor is a clear error, and with one, it is made") {
  if (cuda::is_available()) {
    Tensor t = zeros({3}, DType::f32, Device::cuda());
    CHECK(t.device() == Device::cuda());
    CHECK(cuda::device_count() > 0);
    return;
  }
  CHECK(cuda::device_count() == 0);
#ifdef TINYTUNE_WITH_CUDA
  check_error([] { zeros({3}, DType::f32, Device::cuda()); }, {"no CUDA device"});
#else
  check_error([] { zeros({3}, DType::f32, Device::cuda()); }, {"built without CUDA"});
  check_error([] { cuda::synchronize(); }, {"built without CUDA"});
  check_error([] { cuda::device_malloc(16); }, {"built without CUDA"});
#endif
}

TEST_CASE("cuda: deterministic mode is on by default and can be switched") {
  CHECK(cuda::deterministic());
  cuda::set_deterministic(false);
  CHECK(!cuda::deterministic());
  cuda::set_deterministic(true);
  CHECK(cuda::deterministic());
}

TEST_CASE("cuda: device name and synchronize") {
  TT_SKIP_WITHOUT_CUDA();
  CHECK(!cuda::device_name().empty());
  Tensor t = ones({1000}, DType::f32, Device::cuda());
  cuda::synchronize();
  CHECK(t.get(999) == 1.0);
}

TEST_CASE("cuda allocator: a freed block is reused without another cudaMalloc") {
  TT_SKIP_WITHOUT_CUDA();
  for (size_t nbytes : {size_t{1000}, size_t{3} << 20}) {  // a small and a large size class
    INFO("nbytes ", nbytes);
    void* first = cuda::device_malloc(nbytes);
    REQUIRE(first != nullptr);
    const cuda::AllocatorStats after_first = cuda::allocator_stats();
    const size_t rounded = nbytes <= (size_t{1} << 20) ? 1024 : (size_t{4} << 20);
    cuda::device_free(first);
    CHECK(cuda::allocator_stats().allocated_bytes + rounded == after_first.allocated_bytes);
    void* second = cuda::device_malloc(nbytes);
    CHECK(second == first);
    CHECK(cuda::allocator_stats().cuda_malloc_calls == after_first.cuda_malloc_calls);
    // A size in the same rounding class is served by the same block too.
    cuda::device_free(second);
    void* third = cuda::device_malloc(nbytes - 1);
    CHECK(third == first);
    CHECK(cuda::allocator_stats().cuda_malloc_calls == after_first.cuda_malloc_calls);
    cuda::device_free(third);
  }
}

TEST_CASE("cuda allocator: tensors of a training-like loop stop calling cudaMalloc") {
  TT_SKIP_WITHOUT_CUDA();
  auto step = [] {
    Tensor x = ones({64, 128}, DType::f32, Device::cuda());
    Tensor y = exp(mul(x, 0.5));
    return sum(y).item();
  };
  step();  // warm the cache
  const int64_t calls = cuda::allocator_stats().cuda_malloc_calls;
  for (int i = 0; i < 5; ++i) CHECK(step() == doctest::Approx(64 * 128 * std::exp(0.5)));
  CHECK(cuda::allocator_stats().cuda_malloc_calls == calls);
}

TEST_CASE("cuda allocator: accounting, peak, and empty_cache") {
  TT_SKIP_WITHOUT_CUDA();
  cuda::empty_cache();
  const cuda::AllocatorStats base = cuda::allocator_stats();
  void* a = cuda::device_malloc(size_t{5} << 20);  // rounds to 6 MiB
  cuda::AllocatorStats s = cuda::allocator_stats();
  CHECK(s.allocated_bytes == base.allocated_bytes + (size_t{6} << 20));
  CHECK(s.reserved_bytes >= s.allocated_bytes);
  CHECK(s.peak_allocated_bytes >= s.allocated_bytes);
  cuda::device_free(a);
  s = cuda::allocator_stats();
  CHECK(s.allocated_bytes == base.allocated_bytes);
  CHECK(s.reserved_bytes == base.reserved_bytes + (size_t{6} << 20));  // cached, not released
  cuda::empty_cache();
  CHECK(cuda::allocator_stats().reserved_bytes == base.reserved_bytes);
  CHECK(cuda::device_malloc(0) == nullptr);
  cuda::device_free(nullptr);
}

TEST_CASE("cuda allocator: an impossible allocation names its size") {
  TT_SKIP_WITHOUT_CUDA();
  const size_t huge = size_t{1} << 50;  // 1 PiB
  check_error([&] { cuda::device_malloc(huge); }, {"CUDA out of memory", std::to_string(huge)});
  // The device is still usable afterwards.
  CHECK(ones({4}, DType::f32, Device::cuda()).get(3) == 1.0);
}
