// Adapter files in HF PEFT's layout on the tiny HF BERT fixture: save -> load into a fresh model
// gives the same logits for every family, the config records each family's options, bad
// inputs are errors naming the file, an adapter written by HF PEFT itself loads with HF's
// logits and gradients, and a PEFT training run leaves its best adapter in <output-dir>/adapter.
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "tinytune/core/format_version.h"
#include "tinytune/core/io/safetensors.h"
#include "tinytune/nn/hf_checkpoint.h"
#include "tinytune/peft/adapter_io.h"
#include "tests/peft/random_adapter.h"
#include "tests/test_util.h"
#include "tinytune/train/checkpoint.h"
#include "tinytune/train/trainer.h"

using namespace tt;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

const std::string kFixtures = TINYTUNE_FIXTURE_DIR;
const std::string kTinyBert = kFixtures + "/tiny_bert";

nn::BertInputs fixture_inputs() {
  auto e = io::load_safetensors(kFixtures + "/tiny_bert_expected.safetensors");
  return {e["input_ids"], e["token_type_ids"], e["attention_mask"]};
}

Tensor logits_of(nn::Module& model) {
  model.eval();
  NoGradGuard no_grad;
  return dynamic_cast<nn::BertForSequenceClassification&>(model).forward(fixture_inputs());
}

bool has_family(const std::string& family) {
  const auto& f = peft::peft_families();
  return std::find(f.begin(), f.end(), family) != f.end();
}

peft::PeftConfig family_config(const std::string& method, const std::string& lora_init = "a") {
  peft::PeftConfig c;
  c.method = method;
  c.lora_r = 4;
  c.lora_alpha = 8.0;
  c.lora_dropout = 0.05;
  c.lora_init = lora_init;
  c.rslora = method == "condlora";  // so the round trip of use_rslora is seen
  c.c3a_block_size = 16;  // divides the tiny model's 64
  c.qgoft_lambda = 0.02;
  return c;
}

// An adapted, randomised model saved to `dir`; returns its logits.
Tensor save_random_adapter(const peft::PeftConfig& c, const std::string& dir, uint64_t seed = 3) {
  auto model = nn::load_bert_for_classification(kTinyBert, 3);
  peft::apply_peft(*model, c, {"classifier."});
  test::randomize_adapter(*model, seed);  // so the file's contents matter
  peft::save_adapter(*model, c, dir, "tests/fixtures/tiny_bert");
  return logits_of(*model);
}

json read_json(const std::string& path) { return json::parse(std::ifstream(path)); }
void write_json(const std::string& path, const json& j) { std::ofstream(path) << j.dump(2); }

}  // namespace

TEST_CASE("adapter_io: save -> load into a fresh model gives the same logits, for every family") {
  struct Case {
    std::string method, lora_init, peft_type;
  };
  std::vector<Case> cases{{"lora", "a", "LORA"},
                          {"lora", "b", "LORA"},
                          {"lora", "gaussian", "LORA"},
                          {"condlora", "a", "TINYTUNE_CONDLORA"},
                          {"c3a", "a", "C3A"},
                          {"goft", "a", "TINYTUNE_GOFT"},
                          {"qgoft", "a", "TINYTUNE_QGOFT"}};
  for (const Case& k : cases) {
    CAPTURE(k.method);
    CAPTURE(k.lora_init);
    REQUIRE(has_family(k.method));
    test::TempDir tmp;
    const std::string dir = tmp.file("adapter");
    const peft::PeftConfig c = family_config(k.method, k.lora_init);
    Tensor saved_logits = save_random_adapter(c, dir);

    json config = read_json(dir + "/adapter_config.json");
    CHECK(config["peft_type"] == k.peft_type);
    CHECK(config["task_type"] == "SEQ_CLS");
    CHECK(config["target_modules"] == json({"query", "value"}));
    CHECK(config["modules_to_save"] == json({"classifier"}));
    CHECK(config["base_model_name_or_path"] == "tests/fixtures/tiny_bert");
    if (k.method == "lora") {
      CHECK(config["r"] == 4);
      CHECK(config["lora_alpha"] == 8);
      CHECK(config["init_lora_weights"] == (k.lora_init == "gaussian" ? json("gaussian") : json(true)));
      CHECK(config.contains("tinytune_lora_init") == (k.lora_init == "b"));
    }
    if (k.method == "c3a") CHECK(config["block_size"] == 16);
    io::SafetensorsFile file = io::read_safetensors(dir + "/adapter_model.safetensors");
    CHECK(file.metadata == std::map<std::string, std::string>{{"format", "pt"}});
    CHECK(file.tensors.count("base_model.model.classifier.weight"));
    if (k.method == "lora")
      CHECK(file.tensors.count("base_model.model.bert.encoder.layer.1.attention.self.value.lora_B.weight"));
    if (k.method == "condlora") CHECK(file.tensors.size() == 2 * 2 + 2);  // Θ_A, Θ_B per type, once
    if (k.method == "c3a")
      CHECK(file.tensors.at("base_model.model.bert.encoder.layer.0.attention.self.query.c3a_kernel").shape() ==
            Shape{4, 4, 16});

    auto fresh = nn::load_bert_for_classification(kTinyBert, 3);
    CHECK(test::max_relative_error(logits_of(*fresh), saved_logits) > 1e-3);  // the adapter matters
    peft::AdapterFileConfig loaded = peft::load_adapter(*fresh, dir);
    CHECK(loaded.config.method == c.method);
    CHECK(loaded.config.target_modules == c.target_modules);
    CHECK(loaded.base_model_name == "tests/fixtures/tiny_bert");
    if (k.method == "lora" || k.method == "condlora") {
      CHECK(loaded.config.lora_r == 4);
      CHECK(loaded.config.lora_alpha == 8.0);
      CHECK(loaded.config.lora_dropout == 0.05);
      CHECK(loaded.config.rslora == c.rslora);
    }
    if (k.method == "lora") CHECK(loaded.config.lora_init == k.lora_init);
    if (k.method == "c3a") CHECK(loaded.config.c3a_block_size == 16);
    if (k.method == "qgoft") CHECK(loaded.config.qgoft_lambda == 0.02);
    CHECK(test::max_relative_error(logits_of(*fresh), saved_logits) <= 1e-6);
    // Only the adapters and the head are trainable after a load, as after apply_peft.
    for (auto& [name, p] : fresh->named_parameters())
      if (name.find("encoder.layer.0.attention.self.query.weight") != std::string::npos) CHECK(!p.requires_grad());
    CHECK(fresh->state_dict().at("classifier.weight").requires_grad());

    // Merge after load: same logits; unmerge restores W0 exactly.
    const std::string w_name = "bert.encoder.layer.0.attention.self.value.weight";
    const auto w0 = fresh->state_dict().at(w_name).to_vector<float>();
    Tensor unmerged = logits_of(*fresh);
    peft::merge_adapters(*fresh);
    CHECK(test::max_relative_error(logits_of(*fresh), unmerged) <= 1e-5);
    peft::unmerge_adapters(*fresh);
    CHECK(fresh->state_dict().at(w_name).to_vector<float>() == w0);
  }
}

TEST_CASE("adapter_io: tensors of another dtype in the file (HF may write F64/F16/BF16) are converted") {
  test::TempDir tmp;
  const std::string dir = tmp.file("adapter");
  Tensor saved_logits = save_random_adapter(family_config("lora"), dir);
  const std::string weights = dir + "/adapter_model.safetensors";
  auto tensors = io::load_safetensors(weights);
  for (auto& [name, t] : tensors) t = t.to(DType::f64);
  io::save_safetensors(weights, tensors, {{"format", "pt"}});
  auto fresh = nn::load_bert_for_classification(kTinyBert, 3);
  peft::load_adapter(*fresh, dir);
  CHECK(fresh->state_dict().at("classifier.weight").dtype() == DType::f32);
  CHECK(test::max_relative_error(logits_of(*fresh), saved_logits) <= 1e-6);
}

TEST_CASE("adapter_io: bad adapter directories are errors naming the file and the fault") {
  test::TempDir tmp;
  const std::string good = tmp.file("good");
  save_random_adapter(family_config("lora"), good);
  const std::string config_path = good + "/adapter_config.json";
  const std::string weights_path = good + "/adapter_model.safetensors";
  const json config = read_json(config_path);
  const auto tensors = io::load_safetensors(weights_path);
  auto fresh = [] { return nn::load_bert_for_classification(kTinyBert, 3); };
  // A copy of the good adapter with the config or the tensors changed.
  auto variant = [&](const std::string& name, const json& c, const std::map<std::string, Tensor>& t) {
    const std::string dir = tmp.file(name);
    fs::create_directories(dir);
    write_json(dir + "/adapter_config.json", c);
    io::save_safetensors(dir + "/adapter_model.safetensors", t, {{"format", "pt"}});
    return dir;
  };

  SUBCASE("no adapter_config.json") {
    const std::string dir = tmp.file("empty");
    fs::create_directories(dir);
    test::check_error([&] { peft::load_adapter(*fresh(), dir); },
                      {dir + "/adapter_config.json", "not found"});
  }
  SUBCASE("malformed JSON, and JSON that is not an object") {
    const std::string dir = variant("bad_json", config, tensors);
    std::ofstream(dir + "/adapter_config.json") << "{\"peft_type\": \"LORA\", \"r\": ";
    test::check_error([&] { peft::load_adapter(*fresh(), dir); },
                      {dir + "/adapter_config.json", "not valid JSON"});
    std::ofstream(dir + "/adapter_config.json") << "[1, 2]";
    test::check_error([&] { peft::load_adapter(*fresh(), dir); },
                      {dir + "/adapter_config.json", "expected a JSON object"});
  }
  SUBCASE("missing, unknown or ill-typed peft_type; an ill-typed option") {
    json c = config;
    c.erase("peft_type");
    test::check_error([&] { peft::load_adapter(*fresh(), variant("no_type", c, tensors)); },
                      {"adapter_config.json", "missing key \"peft_type\""});
    c["peft_type"] = "IA3";
    test::check_error([&] { peft::load_adapter(*fresh(), variant("ia3", c, tensors)); },
                      {"adapter_config.json", "unknown peft_type \"IA3\"", "LORA", "C3A"});
    c["peft_type"] = 3;
    test::check_error([&] { peft::load_adapter(*fresh(), variant("int_type", c, tensors)); },
                      {"\"peft_type\" must be a string"});
    c = config;
    c["r"] = "4";
    test::check_error([&] { peft::load_adapter(*fresh(), variant("string_r", c, tensors)); },
                      {"adapter_config.json", "\"r\" must be an integer", "\"4\""});
    c = config;
    c["target_modules"] = ".*query";
    test::check_error([&] { peft::load_adapter(*fresh(), variant("regex", c, tensors)); },
                      {"target_modules", "regular expression"});
    c = config;
    c["lora_alpha"] = -1;
    test::check_error([&] { peft::load_adapter(*fresh(), variant("negative_alpha", c, tensors)); },
                      {"adapter_config.json", "--lora-alpha"});
  }
  SUBCASE("features tinytune does not implement are refused, not ignored") {
    for (auto [key, value] : std::vector<std::pair<std::string, json>>{
             {"use_dora", true}, {"rank_pattern", {{"query", 8}}}, {"bias", "all"},
             {"layers_to_transform", {0}}, {"init_lora_weights", "pissa"}}) {
      CAPTURE(key);
      json c = config;
      c[key] = value;
      test::check_error([&] { peft::load_adapter(*fresh(), variant("feature_" + key, c, tensors)); },
                        {"adapter_config.json", "\"" + key + "\""});
    }
  }
  SUBCASE("no adapter_model.safetensors") {
    const std::string dir = variant("no_weights", config, tensors);
    fs::remove(dir + "/adapter_model.safetensors");
    test::check_error([&] { peft::load_adapter(*fresh(), dir); },
                      {dir + "/adapter_model.safetensors", "not found"});
  }
  SUBCASE("a missing tensor, an unexpected tensor, a tensor without the HF prefix") {
    const std::string name = "base_model.model.bert.encoder.layer.1.attention.self.query.lora_B.weight";
    auto t = tensors;
    t.erase(name);
    const std::string missing = variant("missing", config, t);
    test::check_error([&] { peft::load_adapter(*fresh(), missing); },
                      {missing + "/adapter_model.safetensors", "missing tensor", name});
    t = tensors;
    t["base_model.model.bert.encoder.layer.0.attention.self.key.lora_A.weight"] = zeros({4, 64});
    const std::string extra = variant("extra", config, t);
    test::check_error([&] { peft::load_adapter(*fresh(), extra); },
                      {extra + "/adapter_model.safetensors", "unexpected tensor",
                       "bert.encoder.layer.0.attention.self.key.lora_A.weight"});
    t = tensors;
    t["classifier.weight"] = zeros({3, 64});
    test::check_error([&] { peft::load_adapter(*fresh(), variant("unprefixed", config, t)); },
                      {"unexpected tensor 'classifier.weight'", "base_model.model."});
  }
  SUBCASE("an adapter made for another model shape: the tensor, both shapes, the file") {
    // The head of a 3-label model into a 2-label model.
    auto two_labels = nn::load_bert_for_classification(kTinyBert, 2);
    test::check_error([&] { peft::load_adapter(*two_labels, good); },
                      {weights_path, "base_model.model.classifier.bias", "shape [3]", "is [2]",
                       "another model shape"});
    // A config whose rank disagrees with its tensors.
    json c = config;
    c["r"] = 8;
    const std::string dir = variant("rank8", c, tensors);
    test::check_error([&] { peft::load_adapter(*fresh(), dir); },
                      {dir + "/adapter_model.safetensors", "lora_A.weight", "[4, 64]", "[8, 64]",
                       "another model shape"});
  }
  SUBCASE("saving: a model without adapters, or a config of another family") {
    auto plain = fresh();
    test::check_error([&] { peft::save_adapter(*plain, family_config("lora"), tmp.file("x"), ""); },
                      {"no adapters"});
    auto adapted = fresh();
    peft::apply_peft(*adapted, family_config("lora"), {"classifier."});
    test::check_error([&] { peft::save_adapter(*adapted, family_config("condlora"), tmp.file("y"), ""); },
                      {"lora adapter", "'condlora'"});
  }
}

TEST_CASE("adapter_io: adapter_config.json records tinytune's format version, newer ones are refused") {
  test::TempDir tmp;
  const std::string dir = tmp.file("adapter");
  const Tensor logits = save_random_adapter(family_config("lora"), dir);
  const std::string config_path = dir + "/adapter_config.json";
  json config = read_json(config_path);
  REQUIRE(config.contains("tinytune_format_version"));
  CHECK(config["tinytune_format_version"] == kFormatVersion);
  auto model = nn::load_bert_for_classification(kTinyBert, 3);
  peft::load_adapter(*model, dir);
  CHECK(test::max_relative_error(logits_of(*model), logits) < 1e-6);

  SUBCASE("no version (version 0, as HF and older tinytune write) loads") {
    config.erase("tinytune_format_version");
    write_json(config_path, config);
    auto fresh = nn::load_bert_for_classification(kTinyBert, 3);
    peft::load_adapter(*fresh, dir);
    CHECK(test::max_relative_error(logits_of(*fresh), logits) < 1e-6);
  }
  SUBCASE("a newer version is refused, naming both versions") {
    config["tinytune_format_version"] = kFormatVersion + 1;
    write_json(config_path, config);
    test::check_error([&] { peft::load_adapter(*nn::load_bert_for_classification(kTinyBert, 3), dir); },
                      {config_path, "format version " + std::to_string(kFormatVersion + 1),
                       "up to " + std::to_string(kFormatVersion)});
  }
  SUBCASE("a version that is not a non-negative integer is refused") {
    config["tinytune_format_version"] = "2";
    write_json(config_path, config);
    test::check_error([&] { peft::load_adapter(*nn::load_bert_for_classification(kTinyBert, 3), dir); },
                      {config_path, "tinytune_format_version"});
  }
}

TEST_CASE("adapter_io: an adapter saved by HF PEFT loads with HF's logits and gradients (1e-5)") {
  // tests/reference/make_lora_fixture.py: HF LoRA r=4, alpha 8, q,v, lora_B randomised.
  auto ref = io::load_safetensors(kFixtures + "/hf_lora_expected.safetensors");
  auto model = nn::load_bert_for_classification(kTinyBert, 3);
  peft::AdapterFileConfig loaded = peft::load_adapter(*model, kFixtures + "/hf_lora_adapter");
  CHECK(loaded.config.method == "lora");
  CHECK(loaded.config.lora_r == 4);
  CHECK(loaded.config.lora_alpha == 8.0);
  CHECK(loaded.modules_to_save == std::vector<std::string>{"classifier", "score"});
  model->eval();  // dropout off, as in the fixture
  Tensor logits = model->forward({ref["input_ids"], ref["token_type_ids"], ref["attention_mask"]});
  CHECK(test::max_relative_error(logits, ref["logits"]) <= 1e-5);
  Tensor loss = cross_entropy(logits, ref["labels"]);
  CHECK(loss.item() == doctest::Approx(ref["loss"].item()).epsilon(1e-5));
  loss.backward();
  int compared = 0;
  for (auto& [name, p] : model->named_parameters()) {
    if (!p.requires_grad()) continue;
    CAPTURE(name);
    REQUIRE(ref.count("grad." + name));
    REQUIRE(p.grad().defined());
    CHECK(test::max_relative_error(p.grad(), ref["grad." + name]) <= 1e-5);
    ++compared;
  }
  CHECK(compared == 8 + 2);  // lora_A, lora_B of 4 layers; classifier weight and bias
}

TEST_CASE("adapter_io: a PEFT training run saves its best evaluation's adapter to <output-dir>/adapter") {
  // The tiny BERT, the small vocab and a learnable SST-2-format task (as tests/train/test_trainer.cpp).
  test::TempDir tmp;
  const fs::path model_dir = tmp.dir / "model", data_dir = tmp.dir / "glue";
  fs::create_directories(model_dir);
  fs::create_directories(data_dir / "SST-2");
  fs::copy_file(kTinyBert + "/config.json", model_dir / "config.json");
  fs::copy_file(kTinyBert + "/model.safetensors", model_dir / "model.safetensors");
  fs::copy_file(kFixtures + "/vocab_small.txt", model_dir / "vocab.txt");
  for (auto [file, rows] : {std::pair{"train.tsv", 64}, std::pair{"dev.tsv", 16}}) {
    std::mt19937 rng(rows);
    const std::vector<std::string> filler{"the", "movie", "is", "very", "a", "city", "day", "we"};
    std::ofstream out(data_dir / "SST-2" / file);
    out << "sentence\tlabel\n";
    for (int i = 0; i < rows; ++i)
      out << filler[rng() % filler.size()] << ' ' << filler[rng() % filler.size()] << ' '
          << (i % 2 ? "good" : "bad") << '\t' << (i % 2) << '\n';
  }
  train::TrainConfig c;
  c.task = "sst2";
  c.model_dir = model_dir.string();
  c.data_dir = data_dir.string();
  c.output_dir = (tmp.dir / "run").string();
  c.peft = "lora";
  c.adapter.lora_r = 4;
  c.batch_size = 8;
  c.epochs = 2;
  c.lr = 5e-3;
  c.threads = 1;
  c.log_every = 100;
  train::train_glue(c);

  const fs::path adapter = tmp.dir / "run" / "adapter";
  REQUIRE(fs::exists(adapter / "adapter_config.json"));
  auto config = read_json((adapter / "adapter_config.json").string());
  CHECK(config["peft_type"] == "LORA");
  CHECK(config["r"] == 4);
  CHECK(config["base_model_name_or_path"] == model_dir.string());
  CHECK(config["tinytune_label_names"] == json::array({"0", "1"}));  // SST-2's, for predict
  // The file holds best.h5's weights, every trainable tensor of the run.
  train::Checkpoint best = train::load_checkpoint((tmp.dir / "run" / "best.h5").string());
  auto stored = io::load_safetensors((adapter / "adapter_model.safetensors").string());
  int compared = 0;
  for (auto& [key, t] : best.tensors) {
    if (key.rfind("model/", 0) != 0) continue;
    const std::string name = "base_model.model." + key.substr(6);
    CAPTURE(name);
    REQUIRE(stored.count(name));
    CHECK(stored.at(name).to_vector<float>() == t.to_vector<float>());
    ++compared;
  }
  CHECK(compared == static_cast<int>(stored.size()));
  CHECK(compared == 4 * 2 + 2);
}
