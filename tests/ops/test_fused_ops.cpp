// The fused ops on the CPU, where each is its composite: add_layer_norm, bias_gelu,
// scaled_dot_product_attention (float64 gradchecks, with non-contiguous inputs and padded
// masks; each equal to the unfused composition it replaces), and adamw_step (against the
// update formula evaluated in long double), and dropout's one-pass kernel (equal to
// bernoulli · scale · x). Plus their bad inputs.
#include <algorithm>
#include <cmath>
#include <limits>

#include "tests/test_util.h"

using namespace tt;
using tt::test::check_error;
using tt::test::leaf;
using tt::test::max_relative_error;
using tt::test::strided_leaf;
using Inputs = std::vector<Tensor>;

namespace {

// Every element of a equals b (same shape), bit for bit.
void check_identical(const Tensor& a, const Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  const std::vector<double> x = a.to_vector<double>(), y = b.to_vector<double>();
  size_t mismatches = 0;
  for (size_t i = 0; i < x.size(); ++i) mismatches += x[i] != y[i];
  CHECK(mismatches == 0);
}

// BERT's additive mask for key lengths `lengths` (1 = token, 0 = padding): [B, 1, 1, S].
Tensor padded_mask(const std::vector<int64_t>& lengths, int64_t seq, DType dtype) {
  std::vector<double> m;
  const double lowest = dtype == DType::f32 ? std::numeric_limits<float>::lowest()
                                            : std::numeric_limits<double>::lowest();
  for (int64_t len : lengths)
    for (int64_t j = 0; j < seq; ++j) m.push_back(j < len ? 0.0 : lowest);
  return from_vector(m, {static_cast<int64_t>(lengths.size()), 1, 1, seq}, dtype);
}

// BERT's attention as it was written before the fused op: div by sqrt(head_dim).
Tensor bert_attention_reference(const Tensor& q, const Tensor& k, const Tensor& v,
                                const Tensor& mask, double p, Generator& gen) {
  Tensor scores = div(matmul(q, k.transpose(-1, -2)), std::sqrt(static_cast<double>(q.size(-1))));
  if (mask.defined()) scores = add(scores, mask);
  return matmul(dropout(softmax(scores, -1), p, p > 0, gen), v);
}

}  // namespace

TEST_CASE("add_layer_norm: gradcheck in float64, with a non-contiguous input") {
  Tensor x = leaf({3, 5}, 1), r = leaf({3, 5}, 2), w = leaf({5}, 3), b = leaf({5}, 4);
  CHECK_GRADCHECK([](const Inputs& v) { return add_layer_norm(v[0], v[1], v[2], v[3], 1e-5); },
                  {x, r, w, b});
  Tensor xs = strided_leaf({2, 4, 6}, 5), rs = leaf({2, 4, 6}, 6);
  Tensor w6 = leaf({6}, 7), b6 = leaf({6}, 8);
  CHECK_GRADCHECK([](const Inputs& v) { return add_layer_norm(v[0], v[1], v[2], v[3], 1e-12); },
                  {xs, rs, w6, b6});
  CHECK_GRADCHECK([](const Inputs& v) { return add_layer_norm(v[0], v[1], Tensor(), Tensor()); },
                  {xs, rs});
}

TEST_CASE("add_layer_norm: equals layer_norm(add(x, residual)) bit for bit, gradients too") {
  for (DType dtype : {DType::f32, DType::f64}) {
    Generator gen(11);
    Tensor x = normal({7, 97}, 0.5, 2.0, dtype, gen).set_requires_grad(true);
    Tensor r = normal({7, 97}, -1.0, 1.0, dtype, gen).set_requires_grad(true);
    Tensor w = normal({97}, 1.0, 0.2, dtype, gen).set_requires_grad(true);
    Tensor b = normal({97}, 0.0, 0.2, dtype, gen).set_requires_grad(true);
    Tensor g = normal({7, 97}, 0.0, 1.0, dtype, gen);
    Tensor fused = add_layer_norm(x, r, w, b, 1e-12);
    fused.backward(g);
    std::vector<Tensor> fused_grads{x.grad(), r.grad(), w.grad(), b.grad()};
    for (Tensor t : {x, r, w, b}) t.zero_grad();
    Tensor plain = layer_norm(add(x, r), w, b, 1e-12);
    plain.backward(g);
    check_identical(fused, plain);
    check_identical(fused_grads[0], x.grad());
    check_identical(fused_grads[1], r.grad());
    check_identical(fused_grads[2], w.grad());
    check_identical(fused_grads[3], b.grad());
  }
}

TEST_CASE("bias_gelu: gradcheck in float64, with a non-contiguous input") {
  Tensor x = leaf({4, 6}, 1, -3.0, 3.0), b = leaf({6}, 2);
  CHECK_GRADCHECK([](const Inputs& v) { return bias_gelu(v[0], v[1]); }, {x, b});
  Tensor xs = strided_leaf({2, 3, 5}, 3, -3.0, 3.0), b5 = leaf({5}, 4);
  CHECK_GRADCHECK([](const Inputs& v) { return bias_gelu(v[0], v[1]); }, {xs, b5});
}

TEST_CASE("bias_gelu: equals gelu(add(x, bias)) bit for bit, gradients too") {
  for (DType dtype : {DType::f32, DType::f64}) {
    Generator gen(12);
    Tensor x = normal({9, 1000}, 0.0, 2.0, dtype, gen).set_requires_grad(true);
    Tensor b = normal({1000}, 0.0, 1.0, dtype, gen).set_requires_grad(true);
    Tensor g = normal({9, 1000}, 0.0, 1.0, dtype, gen);
    Tensor fused = bias_gelu(x, b);
    fused.backward(g);
    Tensor dx = x.grad(), db = b.grad();
    x.zero_grad();
    b.zero_grad();
    Tensor plain = gelu(add(x, b));
    plain.backward(g);
    check_identical(fused, plain);
    check_identical(dx, x.grad());
    check_identical(db, b.grad());
  }
}

TEST_CASE("attention: gradcheck in float64 with a padded mask and permuted (BERT) heads") {
  // q from a [B, S, H, D] tensor permuted to [B, H, S, D], as BERT splits heads.
  Generator gen(3);
  Tensor q = uniform({2, 5, 2, 4}, -1.0, 1.0, DType::f64, gen).permute({0, 2, 1, 3}).detach();
  q.set_requires_grad(true);
  REQUIRE(!q.is_contiguous());
  Tensor k = leaf({2, 2, 6, 4}, 4), v = leaf({2, 2, 6, 3}, 5);
  Tensor mask = padded_mask({6, 4}, 6, DType::f64);
  CHECK_GRADCHECK([mask](const Inputs& x) {
    return scaled_dot_product_attention(x[0], x[1], x[2], mask, 0.5);
  }, {q, k, v});
  // No mask, seq_q != seq_k.
  Tensor q2 = leaf({1, 2, 3, 4}, 6);
  CHECK_GRADCHECK([](const Inputs& x) {
    return scaled_dot_product_attention(x[0], x[1], x[2], Tensor(), 0.7);
  }, {q2, k.narrow(0, 0, 1).detach().set_requires_grad(true), v.narrow(0, 0, 1).detach().set_requires_grad(true)});
  // With dropout: the same generator state inside fn gives the same mask on every call.
  CHECK_GRADCHECK([mask](const Inputs& x) {
    Generator g(77);
    return scaled_dot_product_attention(x[0], x[1], x[2], mask, 0.5, 0.3, g);
  }, {q, k, v});
}

TEST_CASE("attention: equals BERT's unfused attention (div by sqrt(head_dim)), dropout too") {
  for (DType dtype : {DType::f32, DType::f64}) {
    CAPTURE(dtype_name(dtype));
    Generator gen(21);
    Tensor q = normal({3, 4, 13, 32}, 0.0, 1.0, dtype, gen);
    Tensor k = normal({3, 4, 13, 32}, 0.0, 1.0, dtype, gen);
    Tensor v = normal({3, 4, 13, 32}, 0.0, 1.0, dtype, gen);
    Tensor mask = padded_mask({13, 7, 1}, 13, dtype);
    const double scale = 1.0 / std::sqrt(32.0);
    // mul by 1/√32 vs div by √32: scores differ by an ulp, the probabilities by that relatively.
    const double tol = dtype == DType::f32 ? 2e-6 : 1e-14;
    for (double p : {0.0, 0.25}) {
      CAPTURE(p);
      Generator g1(5), g2(5);
      Tensor fused = scaled_dot_product_attention(q, k, v, mask, scale, p, g1);
      Tensor reference = bert_attention_reference(q, k, v, mask, p, g2);
      CHECK(max_relative_error(fused, reference) <= tol);
      // The dropout draw took the same counters: both generators are in the same state.
      CHECK(g1.offset() == g2.offset());
    }
    // head_dim 64: 1/√64 is exact, so mul and div agree bit for bit.
    Tensor q64 = normal({2, 2, 9, 64}, 0.0, 1.0, dtype, gen);
    Tensor mask64 = padded_mask({9, 3}, 9, dtype);
    Generator g1(6), g2(6);
    check_identical(scaled_dot_product_attention(q64, q64, q64, mask64, 0.125, 0.1, g1),
                    bert_attention_reference(q64, q64, q64, mask64, 0.1, g2));
  }
}

TEST_CASE("attention: a fully padded sequence attends uniformly, as the composite does") {
  Generator gen(8);
  Tensor q = normal({1, 1, 4, 32}, 0.0, 1.0, DType::f32, gen);
  Tensor v = normal({1, 1, 5, 32}, 0.0, 1.0, DType::f32, gen);
  Tensor out = scaled_dot_product_attention(q, v, v, padded_mask({0}, 5, DType::f32), 0.2);
  Tensor mean_v = mean(v, {2}, true).expand({1, 1, 4, 32});
  CHECK(max_relative_error(out, mean_v) <= 1e-6);
}

TEST_CASE("attention: a query row whose keys are all -inf outputs zeros and passes no gradient") {
  // A true -inf mask (not BERT's lowest): batch 1 masks every key, batch 0 only keys 4, 5.
  for (DType dtype : {DType::f32, DType::f64}) {
    CAPTURE(dtype_name(dtype));
    Generator gen(10);
    auto input = [&](const Shape& shape) {
      return normal(shape, 0.0, 1.0, dtype, gen).set_requires_grad(true);
    };
    Tensor q = input({2, 2, 5, 8}), k = input({2, 2, 6, 8}), v = input({2, 2, 6, 8});
    const double inf = std::numeric_limits<double>::infinity();
    Tensor mask = from_vector(std::vector<double>{0, 0, 0, 0, -inf, -inf, -inf, -inf, -inf, -inf,
                                                  -inf, -inf},
                              {2, 1, 1, 6}, dtype);
    Tensor out = scaled_dot_product_attention(q, k, v, mask, 0.3);
    sum(mul(out, normal(out.shape(), 0.0, 1.0, dtype, gen))).backward();
    auto batch = [](const Tensor& t, int64_t b) { return t.narrow(0, b, 1).to_vector<double>(); };
    for (const Tensor& t : {out.detach(), q.grad(), k.grad(), v.grad()}) {
      const std::vector<double> masked = batch(t, 1), kept = batch(t, 0);
      CHECK(std::count(masked.begin(), masked.end(), 0.0) == static_cast<int64_t>(masked.size()));
      CHECK(std::all_of(kept.begin(), kept.end(), [](double x) { return std::isfinite(x); }));
    }
    // Batch 0 is what it is without batch 1 beside it.
    Tensor alone = scaled_dot_product_attention(q.narrow(0, 0, 1), k.narrow(0, 0, 1),
                                                v.narrow(0, 0, 1), mask.narrow(0, 0, 1), 0.3);
    CHECK(max_relative_error(out.narrow(0, 0, 1), alone) <= 1e-6);
  }
  // Gradcheck (f64) through the guarded rows and the -inf keys of the others.
  Tensor q = leaf({2, 1, 3, 4}, 12), k = leaf({2, 1, 4, 4}, 13), v = leaf({2, 1, 4, 3}, 14);
  const double inf = std::numeric_limits<double>::infinity();
  Tensor mask = from_vector(std::vector<double>{0, -inf, 0, 0, -inf, -inf, -inf, -inf},
                            {2, 1, 1, 4}, DType::f64);
  CHECK_GRADCHECK([mask](const Inputs& x) {
    return scaled_dot_product_attention(x[0], x[1], x[2], mask, 0.5);
  }, {q, k, v});
}

TEST_CASE("attention: padded keys get exactly 0 probability in float32, and their k, v gradients 0") {
  // The mask's lowest score must give exp = 0, not a clamped 1e-38: that made every padded
  // key's probability, and much of the backward pass, subnormal (slow on x86).
  Generator gen(9);
  auto input = [&gen](const Shape& shape) {
    return normal(shape, 0.0, 1.0, DType::f32, gen).set_requires_grad(true);
  };
  Tensor q = input({2, 2, 6, 16}), k = input({2, 2, 6, 16}), v = input({2, 2, 6, 16});
  Tensor out = scaled_dot_product_attention(q, k, v, padded_mask({6, 3}, 6, DType::f32), 0.25);
  sum(mul(out, normal(out.shape(), 0.0, 1.0, DType::f32, gen))).backward();
  // Batch 1 keeps keys 0..2 and pads 3..5 (dim 2 of k and v).
  for (const Tensor* t : {&k, &v}) {
    const std::vector<double> padded = t->grad().narrow(0, 1, 1).narrow(2, 3, 3).to_vector<double>();
    const std::vector<double> kept = t->grad().narrow(0, 1, 1).narrow(2, 0, 3).to_vector<double>();
    CHECK(std::count(padded.begin(), padded.end(), 0.0) == static_cast<int64_t>(padded.size()));
    CHECK(std::count(kept.begin(), kept.end(), 0.0) == 0);
  }
}

TEST_CASE("dropout: the one-pass kernel equals bernoulli * (1 / (1 - p)) * x bit for bit, gradients too") {
  // Sizes: a partial last block of 32 elements, and one past the parallel threshold.
  for (int64_t n : {int64_t{1}, int64_t{45}, int64_t{70001}}) {
    for (DType dtype : {DType::f32, DType::f64}) {
      for (double p : {0.1, 0.5, 0.9, 1.0 / 3.0}) {
        CAPTURE(n);
        CAPTURE(p);
        Generator init(n);
        // Strided input: every other column of a [n, 2] tensor.
        Tensor base = uniform({n, 2}, -2, 2, dtype, init);
        Tensor x = base.narrow(1, 0, 1).squeeze(1).detach();
        x.set_requires_grad(true);
        Generator g1(5), g2(5);
        // A start that is not 0, and for the largest size one whose counters cross 2^32
        // (the kernel splits each counter into 32-bit words).
        const uint64_t skip = n > 1000 ? (1ULL << 32) - 1000 : 3;
        g1.advance(skip);
        g2.advance(skip);
        Tensor fused = dropout(x, p, true, g1);
        Tensor mask = mul(bernoulli({n}, 1.0 - p, dtype, g2), 1.0 / (1.0 - p));
        Tensor composite = mul(x, mask);
        check_identical(fused, composite);
        CHECK(g1.offset() == g2.offset());  // the same counters consumed
        Tensor grad_out = uniform({n}, -1, 1, dtype, init);
        fused.backward(grad_out);
        Tensor dx = x.grad();
        x.zero_grad();
        composite.backward(grad_out);
        check_identical(dx, x.grad());
      }
    }
  }
}

TEST_CASE("adamw_step: matches the update formula evaluated in long double over 3 steps") {
  // Two tensors with their own lr and weight decay; f64, so the formula's own rounding is far
  // below the tolerance.
  Generator gen(9);
  std::vector<Tensor> params{normal({5, 3}, 0, 1, DType::f64, gen), normal({7}, 0, 1, DType::f64, gen)};
  std::vector<Tensor> m{zeros({5, 3}, DType::f64), zeros({7}, DType::f64)};
  std::vector<Tensor> v{zeros({5, 3}, DType::f64), zeros({7}, DType::f64)};
  const std::vector<double> lr{1e-2, 3e-3}, wd{0.01, 0.0};
  const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
  std::vector<std::vector<long double>> rp, rm, rv;
  for (const Tensor& p : params) {
    std::vector<double> values = p.to_vector<double>();
    rp.emplace_back(values.begin(), values.end());
    rm.emplace_back(values.size(), 0.0L);
    rv.emplace_back(values.size(), 0.0L);
  }
  for (int64_t step = 1; step <= 3; ++step) {
    // A non-contiguous gradient for the first tensor.
    std::vector<Tensor> grads{normal({3, 5}, 0, 1, DType::f64, gen).transpose(0, 1),
                              normal({7}, 0, 1, DType::f64, gen)};
    for (size_t t = 0; t < params.size(); ++t) {
      const std::vector<double> g = grads[t].to_vector<double>();
      const long double bias1 = 1 - std::pow(static_cast<long double>(b1), step);
      const long double bias2 = 1 - std::pow(static_cast<long double>(b2), step);
      for (size_t i = 0; i < g.size(); ++i) {
        rp[t][i] *= 1 - lr[t] * wd[t];
        rm[t][i] = b1 * rm[t][i] + (1 - b1) * g[i];
        rv[t][i] = b2 * rv[t][i] + (1 - b2) * g[i] * g[i];
        rp[t][i] -= lr[t] / bias1 * rm[t][i] / (std::sqrt(rv[t][i]) / std::sqrt(bias2) + eps);
      }
    }
    adamw_step(params, grads, m, v, lr, wd, b1, b2, eps, step);
  }
  for (size_t t = 0; t < params.size(); ++t) {
    const std::vector<double> got = params[t].to_vector<double>();
    for (size_t i = 0; i < got.size(); ++i)
      CHECK(std::abs(got[i] - static_cast<double>(rp[t][i])) <= 1e-13);
  }
}

TEST_CASE("fused ops: bad inputs name the op and what was expected") {
  Tensor x = zeros({2, 3}), r = zeros({2, 4});
  check_error([&] { add_layer_norm(x, r, Tensor(), Tensor()); },
              {"add_layer_norm", "[2, 3]", "[2, 4]", "same shape"});
  check_error([&] { bias_gelu(x, zeros({4})); }, {"bias_gelu", "[4]", "expected [3]"});
  check_error([&] { bias_gelu(x, zeros({3}, DType::f64)); }, {"bias_gelu", "f64", "f32"});
  Tensor q = zeros({1, 2, 3, 4}), k = zeros({1, 2, 5, 4});
  check_error([&] { scaled_dot_product_attention(q, k, k, zeros({1, 1, 3, 5}), 1.0); },
              {"scaled_dot_product_attention", "mask", "[1, 1, 3, 5]", "1, 1, 1, 5]"});
  check_error([&] { scaled_dot_product_attention(q, zeros({1, 2, 5, 3}), k, Tensor(), 1.0); },
              {"scaled_dot_product_attention", "[1, 2, 5, 3]", "head_dim"});
  check_error([&] { scaled_dot_product_attention(q, k, k, Tensor(), 1.0, 1.0); },
              {"scaled_dot_product_attention", "dropout_p", "[0, 1)"});
  Tensor mask = zeros({1, 1, 1, 5}).set_requires_grad(true);
  check_error([&] { scaled_dot_product_attention(q, k, k, mask, 1.0); },
              {"scaled_dot_product_attention", "mask", "no gradient"});
  Tensor p = zeros({3});
  check_error([&] { adamw_step({p}, {zeros({4})}, {zeros({3})}, {zeros({3})}, {1e-3}, {0.0}, 0.9, 0.999, 1e-8, 1); },
              {"adamw_step", "parameter 0", "[3]"});
  check_error([&] { adamw_step({p}, {zeros({3})}, {zeros({3})}, {zeros({3})}, {1e-3}, {0.0}, 0.9, 0.999, 1e-8, 0); },
              {"adamw_step", "step", ">= 1"});
  check_error([&] { adamw_step({p}, {zeros({3})}, {}, {zeros({3})}, {1e-3}, {0.0}, 0.9, 0.999, 1e-8, 1); },
              {"adamw_step", "one grad, exp_avg"});
}
