// scaled_dot_product_attention on CUDA against its CPU definition (the composite matmul, mul,
// add, softmax, dropout, matmul): the flash kernels for head_dim 32 and 64 (f32 only: the
// fused kernels compute in f32; f64 and other head dims run the composite on the GPU, checked
// at the end), sequence lengths that are not multiples of the 64-row tiles, seq_q != seq_k,
// BERT's padded key masks (one batch mask and a broadcast one), BERT's permuted head layout,
// dropout drawn from the same generator state as the CPU's, and bit-identical gradients run
// to run (no atomics).
//
// Tolerances (f32), per tensor, of its largest value:
//   output 1e-5 (docs/conventions.md's f32 figure): the GPU forms each score from 4 interleaved partial
//     sums and the softmax online, rescaling every 16 keys; the CPU from GEMM blocks and a
//     separate softmax. Both round each of a few hundred terms once: ~1e-7 relative each.
//   gradients 1e-4: dS = P ∘ (dP - delta) subtracts two sums of the same size (delta is the
//     P-weighted mean of dP), so their relative rounding differences (~1e-7 times seq and
//     head_dim terms) grow by |dP| / |dP - delta| in dQ and dK; 1e-4 leaves room for that
//     cancellation and still fails on any indexing, masking, scaling or dropout error, which
//     move gradients by O(1e-2) or more.
// f64 (the composite on the GPU): 1e-12.
#include <limits>
#include <random>

#include "tests/cuda/cuda_test_util.h"

using namespace tt;
using namespace tt::test;

namespace {

constexpr double kForwardTol = 1e-5;
constexpr double kGradientTol = 1e-4;

struct Outcome {
  Tensor out, dq, dk, dv;
  uint64_t generator_offset = 0;
};

using View = std::function<Tensor(const Tensor&)>;

// Runs the op on `device` with leaves made from the CPU tensors (through `view`, e.g. BERT's
// permute), backpropagates g, and returns everything on the CPU.
Outcome run(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask, double p,
            const Tensor& g, Device device, const View& view) {
  Tensor ql = q.to(device).detach().set_requires_grad(true);
  Tensor kl = k.to(device).detach().set_requires_grad(true);
  Tensor vl = v.to(device).detach().set_requires_grad(true);
  Generator gen(1234);
  const double scale = 1.0 / std::sqrt(static_cast<double>(view(q).size(-1)));
  Tensor out = scaled_dot_product_attention(view(ql), view(kl), view(vl),
                                            mask.defined() ? mask.to(device) : Tensor(), scale,
                                            p, gen);
  REQUIRE(out.device() == device);
  out.backward(g.to(device));
  return {out.detach().to(Device::cpu()), ql.grad().to(Device::cpu()),
          kl.grad().to(Device::cpu()), vl.grad().to(Device::cpu()), gen.offset()};
}

double largest(const Tensor& t) {
  double m = 0;
  for (double x : t.to_vector<double>()) m = std::max(m, std::abs(x));
  return m;
}

void compare(const Outcome& gpu, const Outcome& cpu, double forward_tol, double gradient_tol) {
  {
    INFO("output");
    check_close(gpu.out, cpu.out, forward_tol, forward_tol * largest(cpu.out));
  }
  const std::pair<const char*, std::pair<Tensor, Tensor>> grads[] = {
      {"dq", {gpu.dq, cpu.dq}}, {"dk", {gpu.dk, cpu.dk}}, {"dv", {gpu.dv, cpu.dv}}};
  for (const auto& [name, pair] : grads) {
    INFO(name);
    check_close(pair.first, pair.second, gradient_tol, gradient_tol * largest(pair.second));
  }
  CHECK(gpu.generator_offset == cpu.generator_offset);
}

// BERT's additive key mask for the given key lengths: [batch, 1, 1, seq].
Tensor padded_mask(const std::vector<int64_t>& lengths, int64_t seq, DType dtype) {
  const double lowest = dtype == DType::f32 ? std::numeric_limits<float>::lowest()
                                            : std::numeric_limits<double>::lowest();
  std::vector<double> m;
  for (int64_t len : lengths)
    for (int64_t j = 0; j < seq; ++j) m.push_back(j < len ? 0.0 : lowest);
  return from_vector(m, {static_cast<int64_t>(lengths.size()), 1, 1, seq}, dtype);
}

std::vector<int64_t> random_lengths(int64_t batch, int64_t seq, uint64_t seed) {
  std::mt19937 rng(static_cast<unsigned>(seed));
  std::uniform_int_distribution<int64_t> len(1, seq);
  std::vector<int64_t> lengths(batch);
  for (auto& l : lengths) l = len(rng);
  lengths[0] = seq;  // one unpadded sequence
  return lengths;
}

const View kIdentity = [](const Tensor& t) { return t; };

}  // namespace

TEST_CASE("cuda attention: flash kernels against the CPU composite, ragged tiles, masks") {
  TT_SKIP_WITHOUT_CUDA();
  struct Dims { int64_t batch, heads, seq_q, seq_k; };
  const Dims dims[] = {{2, 3, 77, 77}, {1, 2, 130, 130}, {2, 2, 50, 97}, {1, 1, 1, 1},
                       {3, 2, 64, 64}, {1, 1, 200, 3}};
  uint64_t seed = 1;
  for (int64_t head_dim : {32, 64}) {
    for (const Dims& d : dims) {
      Tensor q = random_signed({d.batch, d.heads, d.seq_q, head_dim}, DType::f32, seed++, 0.2, 4.0);
      Tensor k = random_signed({d.batch, d.heads, d.seq_k, head_dim}, DType::f32, seed++);
      Tensor v = random_signed({d.batch, d.heads, d.seq_k, head_dim}, DType::f32, seed++);
      Tensor g = random_signed({d.batch, d.heads, d.seq_q, head_dim}, DType::f32, seed++);
      const Tensor masks[] = {
          padded_mask(random_lengths(d.batch, d.seq_k, seed++), d.seq_k, DType::f32),
          padded_mask(random_lengths(1, d.seq_k, seed++), d.seq_k, DType::f32),  // broadcast
          Tensor()};
      for (const Tensor& mask : masks) {
        INFO("head_dim ", head_dim, " batch ", d.batch, " heads ", d.heads, " seq_q ", d.seq_q,
             " seq_k ", d.seq_k, mask.defined() ? " mask " + shape_str(mask.shape()) : " no mask");
        compare(run(q, k, v, mask, 0.0, g, Device::cuda(), kIdentity),
                run(q, k, v, mask, 0.0, g, Device::cpu(), kIdentity), kForwardTol, kGradientTol);
      }
    }
  }
}

TEST_CASE("cuda attention: BERT's permuted heads in place, output laid out for the merge") {
  TT_SKIP_WITHOUT_CUDA();
  // [batch, seq, heads, head_dim] tensors viewed as [batch, heads, seq, head_dim].
  const View heads = [](const Tensor& t) { return t.permute({0, 2, 1, 3}); };
  Tensor q = random_signed({4, 93, 12, 32}, DType::f32, 21, 0.2, 4.0);
  Tensor k = random_signed({4, 93, 12, 32}, DType::f32, 22);
  Tensor v = random_signed({4, 93, 12, 32}, DType::f32, 23);
  Tensor g = random_signed({4, 12, 93, 32}, DType::f32, 24);
  Tensor mask = padded_mask(random_lengths(4, 93, 25), 93, DType::f32);
  compare(run(q, k, v, mask, 0.0, g, Device::cuda(), heads),
          run(q, k, v, mask, 0.0, g, Device::cpu(), heads), kForwardTol, kGradientTol);
  // The output's storage is [batch, seq, heads, head_dim]: merging the heads is a view.
  Tensor out = scaled_dot_product_attention(heads(q.to(Device::cuda())), heads(k.to(Device::cuda())),
                                            heads(v.to(Device::cuda())), mask.to(Device::cuda()),
                                            0.125);
  CHECK(out.permute({0, 2, 1, 3}).is_contiguous());
}

TEST_CASE("cuda attention: dropout keeps exactly the CPU composite's elements") {
  TT_SKIP_WITHOUT_CUDA();
  uint64_t seed = 31;
  for (int64_t head_dim : {32, 64}) {
    for (double p : {0.1, 0.5}) {
      Tensor q = random_signed({2, 3, 77, head_dim}, DType::f32, seed++, 0.2, 4.0);
      Tensor k = random_signed({2, 3, 90, head_dim}, DType::f32, seed++);
      Tensor v = random_signed({2, 3, 90, head_dim}, DType::f32, seed++);
      Tensor g = random_signed({2, 3, 77, head_dim}, DType::f32, seed++);
      Tensor mask = padded_mask(random_lengths(2, 90, seed++), 90, DType::f32);
      INFO("head_dim ", head_dim, " p ", p);
      // A wrong keep decision changes an output by a whole probability times v: far beyond the
      // tolerance. Equal generator offsets: the same counters were consumed.
      compare(run(q, k, v, mask, p, g, Device::cuda(), kIdentity),
              run(q, k, v, mask, p, g, Device::cpu(), kIdentity), kForwardTol, kGradientTol);
    }
  }
}

TEST_CASE("cuda attention: forward and gradients are bit-identical run to run") {
  TT_SKIP_WITHOUT_CUDA();
  Tensor q = random_signed({8, 12, 128, 64}, DType::f32, 41, 0.2, 4.0);
  Tensor k = random_signed({8, 12, 128, 64}, DType::f32, 42);
  Tensor v = random_signed({8, 12, 128, 64}, DType::f32, 43);
  Tensor g = random_signed({8, 12, 128, 64}, DType::f32, 44);
  Tensor mask = padded_mask(random_lengths(8, 128, 45), 128, DType::f32);
  Outcome first = run(q, k, v, mask, 0.1, g, Device::cuda(), kIdentity);
  Outcome second = run(q, k, v, mask, 0.1, g, Device::cuda(), kIdentity);
  check_equal(second.out, first.out);
  check_equal(second.dq, first.dq);
  check_equal(second.dk, first.dk);
  check_equal(second.dv, first.dv);
}

TEST_CASE("cuda attention: a fully padded sequence attends uniformly, as on the CPU") {
  TT_SKIP_WITHOUT_CUDA();
  Tensor q = random_signed({2, 2, 40, 32}, DType::f32, 51, 0.2, 4.0);
  Tensor k = random_signed({2, 2, 40, 32}, DType::f32, 52);
  Tensor v = random_signed({2, 2, 40, 32}, DType::f32, 53);
  Tensor g = random_signed({2, 2, 40, 32}, DType::f32, 54);
  Tensor mask = padded_mask({40, 0}, 40, DType::f32);
  compare(run(q, k, v, mask, 0.0, g, Device::cuda(), kIdentity),
          run(q, k, v, mask, 0.0, g, Device::cpu(), kIdentity), kForwardTol, kGradientTol);
}

TEST_CASE("cuda attention: keys all masked with -inf give zeros and no gradient, as on the CPU") {
  TT_SKIP_WITHOUT_CUDA();
  // A true -inf mask (BERT's is the lowest float): batch 1 masks every key, batch 0 the last 30.
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> m(2 * 70, -inf);
  for (int64_t j = 0; j < 40; ++j) m[j] = 0.0;
  Tensor mask = from_vector(m, {2, 1, 1, 70}, DType::f32);
  for (int64_t head_dim : {32, 64}) {
    INFO("head_dim ", head_dim);
    Tensor q = random_signed({2, 2, 45, head_dim}, DType::f32, 71, 0.2, 4.0);
    Tensor k = random_signed({2, 2, 70, head_dim}, DType::f32, 72);
    Tensor v = random_signed({2, 2, 70, head_dim}, DType::f32, 73);
    Tensor g = random_signed({2, 2, 45, head_dim}, DType::f32, 74);
    const Outcome gpu = run(q, k, v, mask, 0.0, g, Device::cuda(), kIdentity);
    compare(gpu, run(q, k, v, mask, 0.0, g, Device::cpu(), kIdentity), kForwardTol,
            kGradientTol);
    for (const Tensor& t : {gpu.out, gpu.dq, gpu.dk, gpu.dv}) {
      const std::vector<double> masked = t.narrow(0, 1, 1).to_vector<double>();
      CHECK(std::count(masked.begin(), masked.end(), 0.0) == static_cast<int64_t>(masked.size()));
    }
  }
}

TEST_CASE("cuda attention: other head dims and f64 run the composite on the GPU") {
  TT_SKIP_WITHOUT_CUDA();
  // head_dim 48, f32: the composite's CUDA ops against the CPU's, docs/conventions.md's f32 1e-5.
  Tensor q = random_signed({2, 2, 37, 48}, DType::f32, 61, 0.2, 4.0);
  Tensor k = random_signed({2, 2, 37, 48}, DType::f32, 62);
  Tensor v = random_signed({2, 2, 37, 48}, DType::f32, 63);
  Tensor g = random_signed({2, 2, 37, 48}, DType::f32, 64);
  Tensor mask = padded_mask({37, 20}, 37, DType::f32);
  compare(run(q, k, v, mask, 0.1, g, Device::cuda(), kIdentity),
          run(q, k, v, mask, 0.1, g, Device::cpu(), kIdentity), 1e-5, 1e-5);
  // f64 with head_dim 32: the composite, 1e-12.
  Tensor q64 = q.narrow(3, 0, 32).contiguous().to(DType::f64);
  Tensor k64 = k.narrow(3, 0, 32).contiguous().to(DType::f64);
  Tensor v64 = v.narrow(3, 0, 32).contiguous().to(DType::f64);
  Tensor g64 = g.narrow(3, 0, 32).contiguous().to(DType::f64);
  Tensor mask64 = padded_mask({37, 20}, 37, DType::f64);
  compare(run(q64, k64, v64, mask64, 0.1, g64, Device::cuda(), kIdentity),
          run(q64, k64, v64, mask64, 0.1, g64, Device::cpu(), kIdentity), 1e-12, 1e-12);
}
