#include "tinytune/peft/c3a.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "tinytune/core/ops.h"
#include "tinytune/peft/peft.h"

namespace tt::peft {

C3aInit parse_c3a_init(const std::string& name) {
  if (name == "xavier_uniform") return C3aInit::xavier_uniform;
  if (name == "kaiming_uniform") return C3aInit::kaiming_uniform;
  if (name == "gaussian") return C3aInit::gaussian;
  if (name == "zeros") return C3aInit::zeros;
  throw Error(detail::concat("--c3a-init: expected xavier_uniform, kaiming_uniform, gaussian or zeros, got '",
                             name, "'"));
}

C3aAdapter::C3aAdapter(const nn::Linear& base, const C3aOptions& options, const std::string& layer)
    : block_size(options.block_size), in_features(base.in_features), out_features(base.out_features) {
  const int64_t b = block_size, d_in = in_features, d_out = out_features;
  const std::string where = layer.empty() ? std::string("a") : "layer '" + layer + "', a";
  TT_CHECK(b >= 1 && d_in % b == 0 && d_out % b == 0, "--c3a-block-size: ", b,
           " must divide both dims of ", where, " ", d_out, "x", d_in,
           " Linear (d_out = ", d_out, ", d_in = ", d_in, ")");
  TT_CHECK(fft_length_supported(b), "--c3a-block-size: ", b,
           " is not a length the FFT takes (2^i·3^j·5^k), needed by ", where, " ", d_out, "x",
           d_in, " Linear");
  const Shape shape{d_out / b, d_in / b, b};
  // HF keeps the kernel in fp32 whatever the model's dtype; f64 models (gradient checks) get f64.
  const DType dtype = base.weight.dtype() == DType::f64 ? DType::f64 : DType::f32;
  Tensor kernel;
  switch (options.init) {
    case C3aInit::xavier_uniform: {
      const double bound = std::sqrt(6.0 / static_cast<double>(d_in + d_out));
      kernel = uniform(shape, -bound, bound, dtype);
      break;
    }
    case C3aInit::kaiming_uniform: {
      const double bound = 1.0 / std::sqrt(static_cast<double>(d_in));
      kernel = uniform(shape, -bound, bound, dtype);
      break;
    }
    case C3aInit::gaussian: kernel = normal(shape, 0.0, 1.0, dtype); break;
    case C3aInit::zeros: kernel = zeros(shape, dtype); break;
  }
  if (!base.weight.device().is_cpu()) {
    Tensor on_device = empty(shape, dtype, base.weight.device());
    copy_into(on_device, kernel);
    kernel = on_device;
  }
  c3a_kernel = register_parameter("c3a_kernel", kernel);
}

Tensor C3aAdapter::delta_forward(const Tensor& x) const {
  const int64_t b = block_size, n = in_features / b;
  TT_CHECK(x.dim() >= 1 && x.size(-1) == in_features, "c3a: input of shape ",
           shape_str(x.shape()), " does not end in in_features = ", in_features);
  const int64_t tokens = x.numel() / in_features;
  Tensor x_spectrum = rfft(x.reshape({tokens, n, b}));             // [T, n, b/2+1, 2]
  Tensor y_spectrum = spectral_mix(x_spectrum, rfft(c3a_kernel));  // [T, m, b/2+1, 2]
  Shape out_shape(x.shape().begin(), x.shape().end() - 1);
  out_shape.push_back(out_features);
  return mul(irfft(y_spectrum, b).reshape(out_shape), 1.0 / static_cast<double>(in_features));
}

Tensor C3aAdapter::forward(const nn::Linear& base, const Tensor& x) {
  return add(base.base_forward(x), delta_forward(x));
}

Tensor C3aAdapter::delta_weight(DType dtype, Device device) const {
  NoGradGuard no_grad;
  const int64_t b = block_size, n = in_features / b, d_in = in_features, d_out = out_features;
  Tensor kernel = c3a_kernel.detach();
  if (!kernel.device().is_cpu()) {
    Tensor on_cpu = empty(kernel.shape(), kernel.dtype());
    copy_into(on_cpu, kernel);
    kernel = on_cpu;
  }
  const std::vector<double> w = kernel.to_vector<double>();
  std::vector<double> delta(static_cast<size_t>(d_out * d_in));
  const double scale = 1.0 / static_cast<double>(d_in);
  for (int64_t row = 0; row < d_out; ++row) {
    const int64_t i = row / b, p = row % b;
    for (int64_t col = 0; col < d_in; ++col) {
      const int64_t j = col / b, q = col % b;
      delta[row * d_in + col] = w[(i * n + j) * b + (q - p + b) % b] * scale;
    }
  }
  Tensor on_cpu = from_vector(delta, {d_out, d_in}, dtype);
  if (device.is_cpu()) return on_cpu;
  Tensor out = empty({d_out, d_in}, dtype, device);
  copy_into(out, on_cpu);
  return out;
}

Tensor C3aAdapter::merged_weight(const nn::Linear& base) const {
  NoGradGuard no_grad;
  return add(base.weight, delta_weight(base.weight.dtype(), base.weight.device()));
}

Tensor C3aAdapter::unmerged_weight(const Tensor& merged) const {
  NoGradGuard no_grad;
  return sub(merged, delta_weight(merged.dtype(), merged.device()));
}

std::vector<std::string> inject_c3a(nn::Module& model, const std::vector<std::string>& targets,
                                    const C3aOptions& options,
                                    const std::vector<std::string>& trainable_prefixes) {
  std::vector<std::string> adapted;
  for (auto& [name, linear] : find_target_linears(model, targets)) {
    linear->set_adapter(std::make_shared<C3aAdapter>(*linear, options, name));
    adapted.push_back(name);
  }
  freeze_all_but(model, {".c3a_kernel"}, trainable_prefixes);
  return adapted;
}

// ---- registry --------------------------------------------------------------------------------

namespace {

void write_c3a_options(const PeftConfig& c, nlohmann::json& j) {
  j["block_size"] = c.c3a_block_size;
  // HF spells zero init `true` (the only C3A init that is a no-op at step 0).
  j["init_weights"] = c.c3a_init == "zeros" ? nlohmann::json(true) : nlohmann::json(c.c3a_init);
}

void read_c3a_options(const AdapterConfigReader& r, PeftConfig& c) {
  r.unsupported("block_size_pattern");
  c.c3a_block_size = r.integer("block_size", 256);
  c.c3a_init = "xavier_uniform";  // HF: false and the default both mean Xavier
  if (!r.has("init_weights")) return;
  const nlohmann::json& init = r.json()["init_weights"];
  if (init.is_boolean()) {
    if (init.get<bool>()) c.c3a_init = "zeros";
  } else if (init.is_string()) {
    c.c3a_init = init.get<std::string>();
  } else {
    r.fail("\"init_weights\" must be true, false or a string, got ", init.dump());
  }
}

}  // namespace

AdapterFamily c3a_family() {
  AdapterFamily f;
  f.name = "c3a";
  f.peft_type = "C3A";
  f.inject = [](nn::Module& model, const PeftConfig& c, const std::vector<std::string>& keep) {
    return inject_c3a(model, c.target_modules, {c.c3a_block_size, parse_c3a_init(c.c3a_init)}, keep);
  };
  f.write_options = write_c3a_options;
  f.read_options = read_c3a_options;
  // HF PEFT's C3A guidance: start near 1e-1 (ΔW is scaled by 1/d_in).
  f.default_lr = 1e-1;
  return f;
}

}  // namespace tt::peft
