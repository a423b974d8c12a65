// tinytune against PyTorch: the fixtures in tests/fixtures were written by
// tests/reference/make_golden.py (see there for what each holds and how to regenerate them).
//
// 1. A BERT encoder layer (HF BertLayer math, post-LN, additive attention mask) built from
//    tinytune ops: output and the gradient of sum(out * R) w.r.t. x and every parameter.
// 2. Every core op on its own, in float64: forward output and the gradient of every floating
//    input.
//
// Criterion, per tensor: max|actual - expected| <= rtol * max|expected|, i.e. the worst element
// error relative to the tensor's largest magnitude (so an element near zero is judged on the
// tensor's scale, not its own). rtol is 1e-5 for f32 and 1e-10 for f64.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tinytune/core/io/safetensors.h"
#include "tinytune/core/ops.h"

using namespace tt;

namespace {

using Fixture = std::map<std::string, Tensor>;

Fixture load_fixture(const std::string& file) {
  return io::load_safetensors(std::string(TINYTUNE_FIXTURE_DIR) + "/" + file);
}

const Tensor& at(const Fixture& fixture, const std::string& key) {
  auto it = fixture.find(key);
  REQUIRE_MESSAGE(it != fixture.end(), "the fixture has no tensor '", key, "'");
  return it->second;
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// "[i, j, k]" of a row-major flat index.
std::string index_str(const Shape& shape, int64_t flat) {
  std::vector<int64_t> idx(shape.size());
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    idx[d] = flat % shape[d];
    flat /= shape[d];
  }
  std::ostringstream out;
  out << '[';
  for (size_t d = 0; d < idx.size(); ++d) out << (d ? ", " : "") << idx[d];
  out << ']';
  return out.str();
}

double max_abs(const Tensor& t) {
  double m = 0.0;
  for (double v : t.to_vector<double>()) m = std::max(m, std::abs(v));
  return m;
}

// Checks max|actual - expected| <= rtol * max|expected| (see the top of the file). On failure
// the message names the tensor and its worst element. Returns the observed
// max|diff| / max|expected| (the number to compare with rtol). A positive `scale` replaces
// max|expected|, for a tensor that is analytically zero (its reference is rounding noise).
double check_close(const std::string& name, const Tensor& actual, const Tensor& expected,
                   double rtol, double scale = 0.0) {
  INFO("tensor ", name);
  REQUIRE_MESSAGE(actual.defined(), name, ": tinytune produced no tensor (no gradient?)");
  CHECK_MESSAGE(actual.dtype() == expected.dtype(), name, ": dtype ", dtype_name(actual.dtype()),
                ", expected ", dtype_name(expected.dtype()));
  REQUIRE_MESSAGE(actual.shape() == expected.shape(), name, ": shape ",
                  shape_str(actual.shape()), ", expected ", shape_str(expected.shape()));
  const std::vector<double> a = actual.to_vector<double>();
  const std::vector<double> e = expected.to_vector<double>();
  const bool own_scale = scale <= 0.0;
  double worst = 0.0;
  int64_t worst_at = 0;
  for (size_t i = 0; i < e.size(); ++i) {
    if (own_scale) scale = std::max(scale, std::abs(e[i]));
    const double diff = std::abs(a[i] - e[i]);
    if (!(diff <= worst)) {  // also catches NaN
      worst = diff;
      worst_at = static_cast<int64_t>(i);
      if (std::isnan(diff)) break;
    }
  }
  const double ratio = scale > 0 ? worst / scale : (worst == 0 ? 0.0 : INFINITY);
  std::ostringstream why;
  why << std::setprecision(10) << name << ": max|diff| = " << worst << " at "
      << index_str(expected.shape(), worst_at) << " (actual " << a[worst_at] << ", expected "
      << e[worst_at] << "); " << (own_scale ? "max|expected|" : "scale") << " = " << scale
      << ", relative " << ratio << " > rtol " << rtol;
  CHECK_MESSAGE(worst <= rtol * scale, why.str());
  return std::isnan(ratio) ? INFINITY : ratio;
}

// ---- the attention block ------------------------------------------------------------------

constexpr int64_t kHeads = 4;
constexpr double kLayerNormEps = 1e-12;
constexpr double kMaskValue = -10000.0;  // scores += (1 - mask) * kMaskValue, as classic HF BERT

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  return add(matmul(x, weight.transpose(0, 1)), bias);
}

// HF BertLayer.forward in eval mode: self-attention, dense, residual + LayerNorm, then
// dense + GELU (erf), dense, residual + LayerNorm. x [B, S, H], mask [B, S] of 1 (keep) / 0 (pad).
Tensor bert_layer(const Tensor& x, const Tensor& mask, const std::map<std::string, Tensor>& p) {
  const int64_t B = x.size(0), S = x.size(1), H = x.size(2), D = H / kHeads;
  auto heads = [&](const Tensor& t) {  // [B, S, H] -> [B, heads, S, D]
    return t.reshape({B, S, kHeads, D}).permute({0, 2, 1, 3});
  };
  Tensor q = heads(linear(x, p.at("attention.self.query.weight"),
                          p.at("attention.self.query.bias")));
  Tensor k = heads(linear(x, p.at("attention.self.key.weight"), p.at("attention.self.key.bias")));
  Tensor v = heads(linear(x, p.at("attention.self.value.weight"),
                          p.at("attention.self.value.bias")));
  Tensor scores = div(matmul(q, k.transpose(-1, -2)), std::sqrt(static_cast<double>(D)));
  Tensor extended = mul(sub(1.0, mask.to(x.dtype())), kMaskValue).reshape({B, 1, 1, S});
  Tensor probs = softmax(add(scores, extended), -1);
  Tensor context = matmul(probs, v).permute({0, 2, 1, 3}).reshape({B, S, H});
  Tensor attn = linear(context, p.at("attention.output.dense.weight"),
                       p.at("attention.output.dense.bias"));
  attn = layer_norm(add(attn, x), p.at("attention.output.LayerNorm.weight"),
                    p.at("attention.output.LayerNorm.bias"), kLayerNormEps);
  Tensor inter = gelu(linear(attn, p.at("intermediate.dense.weight"),
                             p.at("intermediate.dense.bias")));
  Tensor out = linear(inter, p.at("output.dense.weight"), p.at("output.dense.bias"));
  return layer_norm(add(out, attn), p.at("output.LayerNorm.weight"), p.at("output.LayerNorm.bias"),
                    kLayerNormEps);
}

void check_attention(const std::string& file, DType dtype, double rtol) {
  const Fixture f = load_fixture(file);
  // Every tensor that is not data, target or gradient is a parameter.
  const std::set<std::string> data_keys = {"x", "attention_mask", "R", "out"};
  std::map<std::string, Tensor> params;
  for (const auto& [key, value] : f)
    if (!data_keys.count(key) && !starts_with(key, "grad.")) {
      CHECK(value.dtype() == dtype);
      params[key] = value.clone().set_requires_grad(true);
    }
  REQUIRE(params.size() == 16);  // 6 Linear layers (Q, K, V, 3 dense) and 2 LayerNorms, w + b
  Tensor x = at(f, "x").clone().set_requires_grad(true);
  REQUIRE(x.dtype() == dtype);

  Tensor out = bert_layer(x, at(f, "attention_mask"), params);
  double worst_out = check_close("out", out, at(f, "out"), rtol);
  sum(mul(out, at(f, "R"))).backward();

  // Every gradient in the fixture, and a gradient for every leaf. The key bias adds q.b_k to
  // every score of a query row, which softmax ignores: its gradient is exactly zero, and both
  // sides hold rounding noise (~1e-7 in f32). It is judged on the scale of the key weight's
  // gradient instead of its own.
  const double key_bias_scale = max_abs(at(f, "grad.attention.self.key.weight"));
  std::map<std::string, double> worst;  // per tensor class, for the summary
  int checked = 0;
  for (const auto& [key, expected] : f) {
    if (!starts_with(key, "grad.")) continue;
    const std::string name = key.substr(5);
    const Tensor& leaf = name == "x" ? x : params.at(name);
    const bool zero = name == "attention.self.key.bias";
    const double r = check_close(key, leaf.grad(), expected, rtol, zero ? key_bias_scale : 0.0);
    const std::string cls = name == "x"                                  ? "grad.x"
                            : zero                                       ? "grad.key.bias (zero)"
                            : name.find("LayerNorm") != std::string::npos ? "grad.LayerNorm"
                            : name.ends_with(".weight")                  ? "grad.dense.weight"
                                                                         : "grad.dense.bias";
    worst[cls] = std::max(worst[cls], r);
    ++checked;
  }
  CHECK(checked == static_cast<int>(params.size()) + 1);
  std::ostringstream summary;
  summary << file << ": max relative error (rtol " << rtol << "): out " << worst_out;
  for (const auto& [cls, r] : worst) summary << ", " << cls << " " << r;
  MESSAGE(summary.str());
}

// ---- per-op goldens -------------------------------------------------------------------------

using OpFn = std::function<Tensor(const std::vector<Tensor>&)>;

// The op parameters mirror OPS in tests/reference/make_golden.py.
const std::map<std::string, OpFn>& golden_ops() {
  static const std::map<std::string, OpFn> ops = {
      {"add", [](const auto& in) { return add(in[0], in[1]); }},
      {"sub", [](const auto& in) { return sub(in[0], in[1]); }},
      {"mul", [](const auto& in) { return mul(in[0], in[1]); }},
      {"div", [](const auto& in) { return div(in[0], in[1]); }},
      {"neg", [](const auto& in) { return neg(in[0]); }},
      {"exp", [](const auto& in) { return exp(in[0]); }},
      {"log", [](const auto& in) { return log(in[0]); }},
      {"sqrt", [](const auto& in) { return sqrt(in[0]); }},
      {"pow", [](const auto& in) { return pow(in[0], 2.5); }},
      {"pow_int", [](const auto& in) { return pow(in[0], 3.0); }},
      {"tanh", [](const auto& in) { return tanh(in[0]); }},
      {"gelu", [](const auto& in) { return gelu(in[0]); }},
      {"relu", [](const auto& in) { return relu(in[0]); }},
      {"sum", [](const auto& in) { return sum(in[0], {1}, /*keepdim=*/true); }},
      {"sum_dims", [](const auto& in) { return sum(in[0], {0, 2}, /*keepdim=*/false); }},
      {"mean", [](const auto& in) { return mean(in[0], {-1}, /*keepdim=*/true); }},
      {"max", [](const auto& in) { return max(in[0], 1, /*keepdim=*/true); }},
      {"softmax", [](const auto& in) { return softmax(in[0], 1); }},
      {"log_softmax", [](const auto& in) { return log_softmax(in[0], -1); }},
      {"layer_norm", [](const auto& in) { return layer_norm(in[0], in[1], in[2], 1e-5); }},
      {"embedding", [](const auto& in) { return embedding(in[0], in[1]); }},
      {"cross_entropy", [](const auto& in) { return cross_entropy(in[0], in[1], -100); }},
      {"mse_loss", [](const auto& in) { return mse_loss(in[0], in[1]); }},
      {"concat", [](const auto& in) { return concat({in[0], in[1], in[2]}, 1); }},
      {"where", [](const auto& in) { return where(in[0], in[1], in[2]); }},
      {"masked_fill", [](const auto& in) { return masked_fill(in[0], in[1], -1.5); }},
      {"matmul", [](const auto& in) { return matmul(in[0], in[1]); }},
      {"matmul_2d", [](const auto& in) { return matmul(in[0], in[1]); }},
      {"matmul_mv", [](const auto& in) { return matmul(in[0], in[1]); }},
      {"matmul_vm", [](const auto& in) { return matmul(in[0], in[1]); }},
  };
  return ops;
}

}  // namespace

TEST_CASE("golden: BERT attention layer, f32, matches PyTorch (output and every gradient)") {
  check_attention("golden_attention_f32.safetensors", DType::f32, 1e-5);
}

TEST_CASE("golden: BERT attention layer, f64, matches PyTorch (output and every gradient)") {
  check_attention("golden_attention_f64.safetensors", DType::f64, 1e-10);
}

TEST_CASE("golden: every core op matches PyTorch in f64 (forward and input gradients)") {
  const Fixture f = load_fixture("golden_ops.safetensors");
  std::set<std::string> in_fixture;
  for (const auto& [key, value] : f)
    if (key.size() > 4 && key.compare(key.size() - 4, 4, ".out") == 0)
      in_fixture.insert(key.substr(0, key.size() - 4));
  std::set<std::string> in_table;
  for (const auto& [name, fn] : golden_ops()) in_table.insert(name);
  CHECK_MESSAGE(in_fixture == in_table, "ops in the fixture and in golden_ops() differ");

  constexpr double kRtol = 1e-10;
  double worst_out = 0.0, worst_grad = 0.0;
  std::string worst_out_name, worst_grad_name;
  for (const auto& [name, fn] : golden_ops()) {
    if (!in_fixture.count(name)) continue;
    INFO("op ", name);
    std::vector<Tensor> inputs;
    for (int i = 0; f.count(name + ".in" + std::to_string(i)); ++i) {
      Tensor t = f.at(name + ".in" + std::to_string(i)).clone();
      if (is_floating(t.dtype())) {
        CHECK(t.dtype() == DType::f64);
        t.set_requires_grad(true);
      }
      inputs.push_back(t);
    }
    Tensor out = fn(inputs);
    double r = check_close(name + ".out", out, at(f, name + ".out"), kRtol);
    if (r >= worst_out) worst_out = r, worst_out_name = name;
    sum(mul(out, at(f, name + ".R"))).backward();
    for (size_t i = 0; i < inputs.size(); ++i) {
      const std::string key = name + ".grad" + std::to_string(i);
      if (!is_floating(inputs[i].dtype())) {
        CHECK_MESSAGE(!f.count(key), key, ": a gradient for an integer input");
        continue;
      }
      r = check_close(key, inputs[i].grad(), at(f, key), kRtol);
      if (r >= worst_grad) worst_grad = r, worst_grad_name = key;
    }
  }
  MESSAGE("golden_ops: max relative error forward ", worst_out, " (", worst_out_name,
          "), gradients ", worst_grad, " (", worst_grad_name, ")");
}
