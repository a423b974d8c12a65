// Training on CUDA against the CPU: Module::to, the tiny BERT with each PEFT family (logits and
// every trainable gradient, dropout included), and train_glue --device cuda (its losses beside
// the CPU run's, an exact resume, --bf16, checkpoints readable by a CPU run).
//
// Tolerances: f32 on both devices, but the GPU sums in other orders (cuBLAS tiles, tree
// reductions), so results differ by rounding that grows through the layers: logits within
// 1e-4 relative, gradients within 1e-3 of each tensor's largest entry (a relative bound alone
// fails on entries that cancel to near zero). Losses over training steps drift further as the
// weights diverge by rounding: 1e-3 relative over 8 steps. bf16 rounds every matmul input to
// 8 bits of mantissa: its losses stay within 5e-2 of the f32 run's.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "tinytune/core/random.h"
#include "tinytune/nn/hf_checkpoint.h"
#include "tinytune/peft/adapter_io.h"
#include "tinytune/peft/peft.h"
#include "tests/cuda/cuda_test_util.h"
#include "tests/peft/random_adapter.h"
#include "tests/train/tiny_glue_setup.h"
#include "tinytune/train/trainer.h"

using namespace tt;
namespace fs = std::filesystem;

namespace {

const std::string kTinyBert = std::string(TINYTUNE_FIXTURE_DIR) + "/tiny_bert";

double max_abs(const Tensor& t) {
  double m = 0;
  for (double v : t.to_vector<double>()) m = std::max(m, std::abs(v));
  return m;
}

// The tiny BERT with `family`'s adapters (or none: "full"), every adapter tensor and the head
// set to seeded random values so no gradient is trivially zero (LoRA's B starts at zero).
std::shared_ptr<nn::BertForSequenceClassification> tiny_model(const std::string& family) {
  auto model = nn::load_bert_for_classification(kTinyBert, 3);
  if (family != "full") {
    peft::PeftConfig c;
    c.method = family;
    c.lora_r = 4;
    c.c3a_block_size = 16;  // divides the tiny model's 64
    c.target_modules = {"query", "value", "intermediate.dense"};
    peft::apply_peft(*model, c, {"classifier."});
    test::randomize_adapter(*model, 11);
  }
  return model;
}

struct Step {
  Tensor logits, loss;
  std::map<std::string, Tensor> grads;  // on the CPU
};

// One training-mode forward and backward (dropout on: its masks are Philox draws, equal on both
// devices for the same generator state) on fixed random inputs with padding.
Step forward_backward(nn::BertForSequenceClassification& model, const std::string& family,
                      Device device) {
  Generator gen(5);
  const int64_t batch = 3, seq = 12;
  Tensor ids = uniform({batch, seq}, 1, 999, DType::f32, gen).to(DType::i64);
  Tensor types = zeros({batch, seq}, DType::i64);
  Tensor mask = ones({batch, seq}, DType::i64);
  for (int64_t s = 8; s < seq; ++s) mask.set(2 * seq + s, 0);  // the last row is padded
  Tensor labels = from_vector(std::vector<int64_t>{0, 2, 1}, {batch});
  manual_seed(17);  // the dropout masks
  model.train();
  Step out;
  out.logits = model.forward({ids.to(device), types.to(device), mask.to(device)});
  out.loss = cross_entropy(out.logits, labels.to(device));
  if (family == "qgoft") out.loss = add(out.loss, mul(peft::peft_regularization(model), 0.1));
  out.loss.backward();
  for (auto& [name, p] : model.named_parameters())
    if (p.requires_grad() && p.grad().defined()) out.grads[name] = p.grad().to(Device::cpu());
  return out;
}

}  // namespace

TEST_CASE("cuda Module::to: parameters move in place and keep their handles") {
  TT_SKIP_WITHOUT_CUDA();
  auto model = tiny_model("condlora");  // CondLoRA's maps are shared by every layer's adapter
  const auto before = model->named_parameters();
  std::vector<std::vector<double>> values;
  for (auto& [name, p] : before) values.push_back(p.to_vector<double>());
  model->to(Device::cuda());
  CHECK(model->device() == Device::cuda());
  const auto after = model->named_parameters();
  REQUIRE(after.size() == before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    CAPTURE(after[i].first);
    CHECK(after[i].second.impl_ptr() == before[i].second.impl_ptr());  // the same handle
    CHECK(before[i].second.device() == Device::cuda());
    CHECK(after[i].second.requires_grad() == before[i].second.requires_grad());
    CHECK(after[i].second.to_vector<double>() == values[i]);
  }
  model->to(Device::cpu());
  for (size_t i = 0; i < after.size(); ++i) CHECK(after[i].second.to_vector<double>() == values[i]);
}

TEST_CASE("cuda model: tiny BERT logits and every trainable gradient match the CPU, each family") {
  TT_SKIP_WITHOUT_CUDA();
  for (const char* family : {"full", "lora", "condlora", "c3a", "goft", "qgoft"}) {
    CAPTURE(family);
    auto cpu_model = tiny_model(family);
    auto gpu_model = tiny_model(family);
    gpu_model->to(Device::cuda());
    Step cpu = forward_backward(*cpu_model, family, Device::cpu());
    Step gpu = forward_backward(*gpu_model, family, Device::cuda());
    CHECK(gpu.logits.device() == Device::cuda());
    test::check_close(gpu.logits, cpu.logits, 1e-4, 1e-5);
    test::check_close(gpu.loss, cpu.loss, 1e-4, 1e-6);
    REQUIRE(gpu.grads.size() == cpu.grads.size());
    REQUIRE(!cpu.grads.empty());
    for (auto& [name, g] : cpu.grads) {
      CAPTURE(name);
      REQUIRE(gpu.grads.count(name) == 1);
      REQUIRE(max_abs(g) > 0);  // a zero gradient would compare equal and prove nothing
      test::check_close(gpu.grads.at(name), g, 1e-3, 1e-3 * max_abs(g));
    }
  }
}

TEST_CASE("cuda train_glue: --device cuda follows the CPU run, resumes exactly, and bf16 trains") {
  TT_SKIP_WITHOUT_CUDA();
  test::TinySetup setup("train_cuda");
  for (const char* peft : {"full", "lora", "qgoft"}) {
    CAPTURE(peft);
    auto run = [&](const std::string& out, const std::string& device) {
      train::TrainConfig c = setup.config(std::string(peft) + "_" + out);
      c.peft = peft;
      c.device = device;
      c.max_steps = 16;  // 12 batches an epoch: crosses an epoch and its evaluation
      c.lr = 1e-3;
      c.warmup_ratio = 0.25;
      c.adapter.target_modules = {"query", "value"};
      return c;
    };
    train::TrainConfig on_cpu = run("cpu", "cpu"), on_gpu = run("gpu", "cuda");
    train::train_glue(on_cpu);
    train::TrainResult gpu_result = train::train_glue(on_gpu);
    const auto cpu_losses = test::logged_losses(fs::path(on_cpu.output_dir) / "metrics.jsonl");
    const auto gpu_losses = test::logged_losses(fs::path(on_gpu.output_dir) / "metrics.jsonl");
    REQUIRE(cpu_losses.size() == 16);
    REQUIRE(gpu_losses.size() == 16);
    for (size_t i = 0; i < 8; ++i) {
      CAPTURE(i);
      CHECK(std::abs(gpu_losses[i] - cpu_losses[i]) <= 1e-3 * std::abs(cpu_losses[i]));
    }
    CHECK(gpu_losses.back() < gpu_losses.front());
    CHECK(gpu_result.steps == 16);
    auto results = nlohmann::json::parse(std::ifstream(fs::path(on_gpu.output_dir) / "results.json"));
    CHECK(results["device"].get<std::string>() == cuda::device_name());
    CHECK(results["peak_device_memory_mib"].get<double>() > 0);

    // Stopped after step 8 and resumed: the same losses bit for bit (deterministic kernels).
    train::TrainConfig first = run("resumed", "cuda");
    first.stop_after = 8;
    train::train_glue(first);
    train::TrainConfig second = first;
    second.stop_after = 0;
    second.resume = (fs::path(first.output_dir) / "checkpoint.h5").string();
    train::train_glue(second);
    const auto resumed = test::logged_losses(fs::path(first.output_dir) / "metrics.jsonl");
    REQUIRE(resumed.size() == 16);
    for (size_t i = 0; i < 16; ++i) {
      CAPTURE(i);
      CHECK(resumed[i] == gpu_losses[i]);
    }

    // A CUDA checkpoint continues on the CPU (checkpoints hold CPU tensors).
    train::TrainConfig on_cpu_after = second;
    on_cpu_after.device = "cpu";
    on_cpu_after.output_dir = (setup.root / (std::string(peft) + "_cpu_after")).string();
    on_cpu_after.resume = (fs::path(on_gpu.output_dir) / "checkpoint.h5").string();
    on_cpu_after.max_steps = 16;  // already reached: it loads, evaluates nothing new, saves
    CHECK(train::train_glue(on_cpu_after).steps == 16);

    // bf16 autocast: trains, and stays near the f32 run.
    train::TrainConfig bf16 = run("bf16", "cuda");
    bf16.bf16 = true;
    train::train_glue(bf16);
    const auto bf16_losses = test::logged_losses(fs::path(bf16.output_dir) / "metrics.jsonl");
    REQUIRE(bf16_losses.size() == 16);
    for (size_t i = 0; i < 4; ++i) CHECK(std::abs(bf16_losses[i] - gpu_losses[i]) <= 5e-2);
    CHECK(bf16_losses.back() < bf16_losses.front());
  }
}
