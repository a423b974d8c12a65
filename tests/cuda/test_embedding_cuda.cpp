// embedding on CUDA against the CPU: the gather is exact; the backward scatter-add is checked
// against the CPU's in both modes, deterministic (sorted indices, one writer per element:
// bit-identical on every run) and atomic. Index layouts: BERT's token ids with many [PAD]
// (0) tokens, token type ids (two indices, runs as long as the batch), position ids kept on
// the CPU for a CUDA table, i32 indices, a row dim that is not a multiple of anything.
// Tolerances: f32 1e-5 and f64 1e-12 relative to the gradient's largest value (the sums of a
// row's repeats run in a different association than the CPU's sequential loop).
#include <random>

#include "tests/cuda/cuda_test_util.h"

using namespace tt;
using namespace tt::test;

namespace {

// Turns deterministic mode to `on` for a scope, then back to what it was.
struct DeterministicScope {
  bool before;
  explicit DeterministicScope(bool on) : before(cuda::deterministic()) {
    cuda::set_deterministic(on);
  }
  ~DeterministicScope() { cuda::set_deterministic(before); }
};

// [batch, seq] ids in [0, vocab); each row padded with 0 after a random length.
Tensor token_ids(int64_t batch, int64_t seq, int64_t vocab, uint64_t seed) {
  std::mt19937 rng(static_cast<unsigned>(seed));
  std::uniform_int_distribution<int64_t> id(0, vocab - 1), len(1, seq);
  std::vector<int64_t> ids;
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t n = len(rng);
    for (int64_t s = 0; s < seq; ++s) ids.push_back(s < n ? id(rng) : 0);
  }
  return from_vector(ids, {batch, seq});
}

// The weight gradient of embedding(weight, ids) under gradient g, computed on `device`.
Tensor weight_grad(const Tensor& weight, const Tensor& ids, const Tensor& g, Device device) {
  Tensor w = weight.to(device).detach().set_requires_grad(true);
  embedding(w, ids.to(device)).backward(g.to(device));
  return w.grad();
}

struct Case {
  const char* name;
  int64_t vocab, dim;
  Tensor ids;
};

}  // namespace

TEST_CASE("cuda embedding: the gather equals the CPU's bit for bit") {
  TT_SKIP_WITHOUT_CUDA();
  for (DType dtype : {DType::f32, DType::f64}) {
    Tensor w = random_signed({1000, 97}, dtype, 1);
    Tensor ids = token_ids(7, 33, 1000, 2);
    check_equal(embedding(w.to(Device::cuda()), ids.to(Device::cuda())), embedding(w, ids));
    // i32 ids, kept on the CPU for a CUDA table (BERT's position ids are made on the CPU).
    Tensor ids32 = ids.to(DType::i32);
    Tensor out = embedding(w.to(Device::cuda()), ids32);
    CHECK(out.device() == Device::cuda());
    check_equal(out, embedding(w, ids32));
  }
}

TEST_CASE("cuda embedding: backward against the CPU, deterministic and atomic modes") {
  TT_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(3);
  std::vector<int64_t> types(32 * 128);
  for (auto& t : types) t = rng() % 2;
  const Case cases[] = {
      {"token ids with padding", 30522, 384, token_ids(32, 128, 30522, 4)},
      {"token type ids", 2, 384, from_vector(types, {32, 128})},
      {"position ids", 512, 97, arange(0, 77, 1, DType::i64).unsqueeze(0)},
      {"odd sizes", 13, 1, token_ids(3, 41, 13, 5)},
  };
  for (DType dtype : {DType::f32, DType::f64}) {
    const double rel = default_rel(dtype);
    for (const Case& c : cases) {
      for (bool deterministic : {true, false}) {
        INFO(c.name, " ", dtype_name(dtype), deterministic ? " deterministic" : " atomic");
        DeterministicScope mode(deterministic);
        Tensor w = random_signed({c.vocab, c.dim}, dtype, 10);
        Shape out_shape = c.ids.shape();
        out_shape.push_back(c.dim);
        Tensor g = random_signed(out_shape, dtype, 11);
        Tensor cpu = weight_grad(w, c.ids, g, Device::cpu());
        Tensor gpu = weight_grad(w, c.ids, g, Device::cuda());
        double scale = 0;
        for (double v : cpu.to_vector<double>()) scale = std::max(scale, std::abs(v));
        check_close(gpu, cpu, rel, rel * scale);
      }
    }
  }
}

TEST_CASE("cuda embedding: deterministic backward is bit-identical run to run") {
  TT_SKIP_WITHOUT_CUDA();
  DeterministicScope mode(true);
  std::mt19937 rng(6);
  std::vector<int64_t> types(64 * 128);
  for (auto& t : types) t = rng() % 2;
  const std::pair<int64_t, Tensor> tables[] = {{30522, token_ids(64, 128, 30522, 7)},
                                               {2, from_vector(types, {64, 128})}};
  for (const auto& [vocab, ids] : tables) {
    Tensor w = random_signed({vocab, 384}, DType::f32, 8);
    Tensor g = random_signed({64, 128, 384}, DType::f32, 9);
    Tensor first = weight_grad(w, ids, g, Device::cuda());
    Tensor second = weight_grad(w, ids, g, Device::cuda());
    check_equal(second, first);
  }
}
