// The family registry (peft/registry.h) from a user's side: a toy family defined in this file
// only — an IA³-style per-input scale with an L2 loss term — registers itself, then apply_peft,
// save_adapter / load_adapter and the trainer's training step (train/train_step.h) use it
// without anything outside peft/ knowing its name. Also the registry's own errors.
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tinytune/core/ops.h"
#include "tinytune/nn/hf_checkpoint.h"
#include "tinytune/peft/adapter_io.h"
#include "tinytune/peft/registry.h"
#include "tinytune/train/train_step.h"
#include "tinytune/train/training_run.h"
#include "tests/test_util.h"

using namespace tt;
namespace fs = std::filesystem;

namespace {

const std::string kTinyBert = std::string(TINYTUNE_FIXTURE_DIR) + "/tiny_bert";

// The toy's loss weight, read when its adapters are injected (the toy has no PeftConfig field).
double g_toy_weight = 0.0;

// y = W0 (s ⊙ x) + b with s [d_in] starting at 1; extra_loss = weight · Σ s².
class ToyScaleAdapter : public peft::Adapter {
 public:
  ToyScaleAdapter(const nn::Linear& base, double weight) : weight_(weight) {
    scale = register_parameter("toy_scale", ones({base.in_features}, base.weight.dtype()));
  }
  std::string family() const override { return "toy_scale"; }
  Tensor forward(const nn::Linear& base, const Tensor& x) override { return base.base_forward(mul(x, scale)); }
  Tensor merged_weight(const nn::Linear& base) const override {
    NoGradGuard no_grad;
    return mul(base.weight, scale);  // W0 diag(s): column j times s_j
  }
  Tensor extra_loss() const override { return weight_ > 0 ? mul(sum(mul(scale, scale)), weight_) : Tensor(); }

  Tensor scale;

 private:
  double weight_;
};

peft::AdapterFamily toy_family() {
  peft::AdapterFamily f;
  f.name = "toy_scale";
  f.peft_type = "TEST_TOY_SCALE";
  f.inject = [](nn::Module& model, const peft::PeftConfig& c, const std::vector<std::string>& keep) {
    std::vector<std::string> adapted;
    for (auto& [name, linear] : peft::find_target_linears(model, c.target_modules)) {
      linear->set_adapter(std::make_shared<ToyScaleAdapter>(*linear, g_toy_weight));
      adapted.push_back(name);
    }
    peft::freeze_all_but(model, {".toy_scale"}, keep);
    return adapted;
  };
  f.default_lr = 1e-2;
  return f;
}

// Registered for one test's lifetime, so other tests see only the built-in families.
struct ToyRegistration {
  explicit ToyRegistration(double weight) {
    g_toy_weight = weight;
    peft::register_family(toy_family());
  }
  ~ToyRegistration() { peft::unregister_family("toy_scale"); }
};

// A GLUE SST-2 directory and a model directory on the tiny fixture BERT.
void write_fixture_run(const fs::path& root) {
  fs::create_directories(root / "model");
  fs::create_directories(root / "glue/SST-2");
  for (const char* f : {"config.json", "model.safetensors"}) fs::copy_file(kTinyBert + "/" + f, root / "model" / f);
  fs::copy_file(std::string(TINYTUNE_FIXTURE_DIR) + "/vocab_small.txt", root / "model/vocab.txt");
  for (const char* split : {"train.tsv", "dev.tsv"}) {
    std::ofstream out(root / "glue/SST-2" / split);
    out << "sentence\tlabel\n";
    for (int i = 0; i < 8; ++i) out << "the movie is very good\t1\nwe play a bad day\t0\n";
  }
}

// The stages up to the first step, for a run of `peft` on the fixture.
train::TrainingRun prepared_run(const fs::path& root, const std::string& peft) {
  train::TrainConfig c;
  c.task = "sst2";
  c.model_dir = (root / "model").string();
  c.data_dir = (root / "glue").string();
  c.output_dir = (root / "out").string();
  c.peft = peft;
  c.batch_size = 4;
  c.max_steps = 2;
  c.device = "cpu";
  c.dropout = 0.0;
  train::TrainingRun run = train::start_run(c);
  train::open_task(run);
  train::load_model(run);
  train::apply_adapters(run);
  train::prepare_optimizer(run);
  return run;
}

}  // namespace

TEST_CASE("registry: the built-in families in their order, each found by name and peft_type") {
  CHECK(peft::family_names() == std::vector<std::string>{"lora", "condlora", "c3a", "goft", "qgoft"});
  CHECK(peft::family_named("c3a").peft_type == "C3A");
  CHECK(peft::find_family_by_peft_type("TINYTUNE_QGOFT")->name == "qgoft");
  CHECK(peft::find_family("dora") == nullptr);
  test::check_error([] { peft::family_named("dora"); }, {"--peft: unknown method 'dora'"});
}

TEST_CASE("registry: a family is refused without a name, a peft_type or inject, or when taken") {
  peft::AdapterFamily f = toy_family();
  f.name = "";
  test::check_error([&] { peft::register_family(f); }, {"register_family", "no name"});
  f = toy_family();
  f.peft_type = "";
  test::check_error([&] { peft::register_family(f); }, {"toy_scale", "no peft_type"});
  f = toy_family();
  f.inject = nullptr;
  test::check_error([&] { peft::register_family(f); }, {"toy_scale", "no inject"});
  f = toy_family();
  f.name = "lora";
  test::check_error([&] { peft::register_family(f); }, {"'lora' is already registered"});
  f = toy_family();
  f.peft_type = "LORA";
  test::check_error([&] { peft::register_family(f); }, {"peft_type 'LORA'", "family 'lora'"});
  test::check_error([] { peft::unregister_family("toy_scale"); }, {"no family named 'toy_scale'"});
  CHECK(peft::family_names().size() == 5);
}

TEST_CASE("registry: a family registered from outside the library is applied, saved and loaded") {
  ToyRegistration toy(0.0);
  CHECK(peft::family_names().back() == "toy_scale");
  auto model = nn::load_bert_for_classification(kTinyBert, 2);
  const auto adapted = peft::apply_peft(*model, {.method = "toy_scale"}, {"classifier."});
  CHECK(adapted.size() == 4);  // 2 layers x {query, value}
  NoGradGuard no_grad;
  for (auto& [name, p] : model->named_parameters())
    if (name.find(".toy_scale") != std::string::npos) copy_into(p, uniform(p.shape(), 0.5, 1.5, p.dtype()));

  test::TempDir dir;
  peft::save_adapter(*model, {.method = "toy_scale"}, dir.dir.string(), kTinyBert);
  std::ifstream config(dir.dir / peft::kAdapterConfigFile);
  CHECK(nlohmann::json::parse(config)["peft_type"] == "TEST_TOY_SCALE");
  auto fresh = nn::load_bert_for_classification(kTinyBert, 2);
  CHECK(peft::load_adapter(*fresh, dir.dir.string()).config.method == "toy_scale");
  const auto saved = peft::adapter_tensors(*model, {"classifier"});
  const auto loaded = peft::adapter_tensors(*fresh, {"classifier"});
  REQUIRE(saved.size() == loaded.size());
  for (const auto& [name, t] : saved) CHECK(loaded.at(name).to_vector<double>() == t.to_vector<double>());
}

TEST_CASE("registry: a family's extra_loss reaches the trainer's loss and its parameters' gradients") {
  test::TempDir dir;
  write_fixture_run(dir.dir);
  const double weight = 0.25;
  // The same run with the toy's term off and on: the step's loss differs by exactly the term
  // (every s starts at 1: weight · d_in · 4 layers), and every s's gradient by 2·weight·s.
  auto loss_and_grads = [&](double w) {
    ToyRegistration toy(w);
    train::TrainingRun run = prepared_run(dir.dir, "toy_scale");
    const auto plan = run.train_batches->batch_plan(0);
    data::Batch batch = run.train_batches->make_batch(plan[0]);
    Tensor loss = train::training_loss(*run.model, batch, false);
    loss.backward();
    std::vector<double> grads;
    for (auto& [layer, adapter] : peft::adapters_of(*run.model))
      for (double g : dynamic_cast<ToyScaleAdapter*>(adapter)->scale.grad().to_vector<double>()) grads.push_back(g);
    run.optimizer->zero_grad();
    const double step_loss = train::train_step(run, plan).loss;  // the trainer's own step
    return std::make_tuple(loss.item(), grads, step_loss);
  };
  const auto [loss_off, grads_off, step_off] = loss_and_grads(0.0);
  const auto [loss_on, grads_on, step_on] = loss_and_grads(weight);
  const double term = weight * 64 * 4;
  CHECK(loss_on - loss_off == doctest::Approx(term).epsilon(1e-6));
  CHECK(step_on - step_off == doctest::Approx(term).epsilon(1e-6));
  REQUIRE(grads_on.size() == grads_off.size());
  REQUIRE(grads_on.size() == 64 * 4);
  for (size_t i = 0; i < grads_on.size(); ++i)
    CHECK(grads_on[i] - grads_off[i] == doctest::Approx(2 * weight).epsilon(1e-5));
}
