// rfft / irfft and spectral_mix on CUDA against the CPU kernels (which test_fft.cpp checks against a naive DFT
// and torch.fft): every radix mix up to the kernel's 4096 limit, odd and even lengths, forward
// and backward, f32 and f64, non-contiguous inputs; C3A's forward and gradients on the device;
// the length limit's error. Tolerances: docs/conventions.md's f32 1e-5 and f64 1e-12 relative, with a
// per-tensor floor the same fraction of the tensor's largest value (FFT rounding is relative
// to the row's scale, not to each bin).
#include "tinytune/core/ops/fft/fft.h"
#include "tinytune/core/ops/fft/spectral_mix.h"
#include "tinytune/peft/c3a.h"
#include "tests/cuda/cuda_test_util.h"

using namespace tt;
using namespace tt::test;

namespace {

const int64_t kLengths[] = {1, 2, 3, 5, 8, 12, 15, 96, 125, 128, 384, 768, 1000, 2048, 3375, 4096};

}  // namespace

TEST_CASE("cuda fft: rfft and irfft match the CPU for every radix mix, forward and backward") {
  TT_SKIP_WITHOUT_CUDA();
  for (DType dtype : {DType::f32, DType::f64}) {
    const double rel = default_rel(dtype);
    uint64_t seed = 1;
    for (int64_t n : kLengths) {
      const int64_t rows = n > 1000 ? 7 : 37;
      INFO(dtype_name(dtype), " rows ", rows, " x n ", n);
      check_op_on_cuda([](const std::vector<Tensor>& x) { return rfft(x[0]); },
                       {{random_signed({rows, n}, dtype, seed++)}}, rel, rel);
      check_op_on_cuda([n](const std::vector<Tensor>& x) { return irfft(x[0], n); },
                       {{random_signed({rows, n / 2 + 1, 2}, dtype, seed++)}}, rel, rel);
    }
  }
}

TEST_CASE("cuda fft: batched leading dims, non-contiguous inputs, a round trip, many rows") {
  TT_SKIP_WITHOUT_CUDA();
  auto transposed = [](const Tensor& t) { return t.transpose(-1, -2); };
  for (DType dtype : {DType::f32, DType::f64}) {
    const double rel = default_rel(dtype);
    check_op_on_cuda([](const std::vector<Tensor>& x) { return rfft(x[0]); },
                     {{random_signed({3, 4, 48}, dtype, 5)}}, rel, rel);
    check_op_on_cuda([](const std::vector<Tensor>& x) { return rfft(x[0]); },
                     {{random_signed({2, 60, 5}, dtype, 6), transposed}}, rel, rel);  // [2, 5, 60]
    check_op_on_cuda([](const std::vector<Tensor>& x) { return irfft(x[0], 64); },
                     {{random_signed({3, 2, 33}, dtype, 7), transposed}}, rel, rel);  // [3, 33, 2]
    // more rows than blocks in the grid (the rows loop)
    Tensor x = random_signed({70000, 6}, dtype, 8);
    check_close(irfft(rfft(x.to(Device::cuda())), 6), x, rel, rel);
  }
}

TEST_CASE("cuda fft: the same bits on every run") {
  TT_SKIP_WITHOUT_CUDA();
  Tensor x = random_signed({256, 768}, DType::f32, 9).to(Device::cuda());
  Tensor first = rfft(x).to(Device::cpu());
  check_equal(rfft(x), first);
}

TEST_CASE("cuda fft: spectral_mix forward and both gradients match the CPU") {
  TT_SKIP_WITHOUT_CUDA();
  struct Case { int64_t rows, m, n, bins; };
  for (DType dtype : {DType::f32, DType::f64}) {
    const double rel = default_rel(dtype);
    uint64_t seed = 40;
    for (Case c : {Case{1, 1, 1, 1}, Case{37, 3, 2, 65}, Case{1000, 2, 4, 33}, Case{5, 1, 1, 385}}) {
      INFO(dtype_name(dtype), " rows ", c.rows, " m ", c.m, " n ", c.n, " bins ", c.bins);
      check_op_on_cuda([](const std::vector<Tensor>& in) { return spectral_mix(in[0], in[1]); },
                       {{random_signed({c.rows, c.n, c.bins, 2}, dtype, seed++)},
                        {random_signed({c.m, c.n, c.bins, 2}, dtype, seed++)}},
                       rel, rel);
    }
  }
}

TEST_CASE("cuda fft: C3A's forward and gradients on the device match the CPU") {
  TT_SKIP_WITHOUT_CUDA();
  for (DType dtype : {DType::f32, DType::f64}) {
    const double rel = default_rel(dtype);
    nn::Linear base(96, 48);
    base.weight = base.weight.to(dtype).detach();
    peft::C3aAdapter adapter(base, {16, peft::C3aInit::gaussian});
    Tensor kernel = adapter.c3a_kernel.detach();
    check_op_on_cuda(
        [&](const std::vector<Tensor>& in) {
          adapter.c3a_kernel = in[1];
          return adapter.delta_forward(in[0]);
        },
        {{random_signed({4, 9, 96}, dtype, 10)}, {kernel}}, rel, rel);
  }
}

TEST_CASE("cuda fft: a length above the kernel's limit is a clear error") {
  TT_SKIP_WITHOUT_CUDA();
  Tensor x = zeros({2, 8192}, DType::f32, Device::cuda());
  check_error([&] { rfft(x); }, {"rfft", "n = 8192", "4096"});
  Tensor spectrum = zeros({2, 4097, 2}, DType::f32, Device::cuda());
  check_error([&] { irfft(spectrum, 8192); }, {"irfft", "n = 8192", "4096"});
}
