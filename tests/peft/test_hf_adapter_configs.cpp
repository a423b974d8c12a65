// Adapters written by HF PEFT itself in several configurations (tests/reference/
// make_hf_adapter_configs.py: LoRA ranks 2 and 4, rsLoRA, different and overlapping targets, C3A
// at two block sizes) load here and give HF's logits (1e-5, max |diff| / max |ref|), whatever the
// order of their target_modules list: HF writes it from a set, so any order can reach us, and
// overlapping names ("output.dense" also names "attention.output.dense") must adapt each layer
// once.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tinytune/core/io/safetensors.h"
#include "tinytune/nn/hf_checkpoint.h"
#include "tinytune/peft/adapter_io.h"
#include "tests/test_util.h"

using namespace tt;
namespace fs = std::filesystem;

namespace {

const std::string kFixtures = TINYTUNE_FIXTURE_DIR;
const std::string kAdapters = kFixtures + "/hf_adapters";

// A copy of an HF adapter directory whose target_modules list is `order`.
fs::path with_target_order(const test::TempDir& tmp, const std::string& name,
                           const std::vector<std::string>& order, int k) {
  const fs::path dir = tmp.dir / (name + ".order" + std::to_string(k));
  fs::create_directories(dir);
  fs::copy_file(fs::path(kAdapters) / name / peft::kAdapterWeightsFile, dir / peft::kAdapterWeightsFile);
  std::ifstream in(fs::path(kAdapters) / name / peft::kAdapterConfigFile);
  nlohmann::json config = nlohmann::json::parse(in);
  config["target_modules"] = order;
  std::ofstream(dir / peft::kAdapterConfigFile) << config.dump(2);
  return dir;
}

std::vector<std::string> hf_targets(const std::string& name) {
  std::ifstream in(fs::path(kAdapters) / name / peft::kAdapterConfigFile);
  return nlohmann::json::parse(in)["target_modules"].get<std::vector<std::string>>();
}

Tensor logits_with_adapter(const fs::path& adapter_dir, std::map<std::string, Tensor>& inputs,
                           std::vector<std::string>* adapted) {
  auto model = nn::load_bert_for_classification(kFixtures + "/tiny_bert", 3);
  peft::load_adapter(*model, adapter_dir.string());
  for (auto& [layer, adapter] : peft::adapters_of(*model)) adapted->push_back(layer);
  model->eval();
  NoGradGuard no_grad;
  return model->forward({inputs["input_ids"], inputs["token_type_ids"], inputs["attention_mask"]});
}

}  // namespace

TEST_CASE("hf adapters: every configuration HF PEFT wrote gives HF's logits, in every target order") {
  auto expected = io::load_safetensors(kAdapters + "/expected.safetensors");
  test::TempDir tmp;
  const std::vector<std::string> names = {"lora_r2_qv",     "lora_r4_rslora_qkv", "lora_r4_overlap",
                                          "lora_r2_dense",  "c3a_b16_overlap",    "c3a_b32_qv"};
  for (const std::string& name : names) {
    CAPTURE(name);
    std::vector<std::string> order = hf_targets(name);
    std::sort(order.begin(), order.end());
    std::vector<float> first;
    std::vector<std::string> first_layers;
    int k = 0;
    do {
      CAPTURE(order);
      std::vector<std::string> layers;
      Tensor logits = logits_with_adapter(with_target_order(tmp, name, order, k++), expected, &layers);
      CHECK(test::max_relative_error(logits, expected["logits." + name]) <= 1e-5);
      if (first.empty()) {
        first = logits.to_vector<float>();
        first_layers = layers;
      }
      CHECK(logits.to_vector<float>() == first);  // the same model, bit for bit
      CHECK(layers == first_layers);
    } while (std::next_permutation(order.begin(), order.end()));
    CHECK(k >= 2);
  }
}

TEST_CASE("hf adapters: overlapping targets adapt each layer once, and a target names what it matches") {
  auto model = nn::load_bert_for_classification(kFixtures + "/tiny_bert", 3);
  // "output.dense" names both attention.output.dense and the FFN's output.dense; listed after
  // the narrower name, it used to find every module claimed and be reported as matching nothing.
  for (const auto& targets : {std::vector<std::string>{"attention.output.dense", "output.dense"},
                              std::vector<std::string>{"output.dense", "attention.output.dense"}}) {
    CAPTURE(targets);
    auto found = peft::find_target_linears(*model, targets);
    CHECK(found.size() == 4);  // 2 layers x (attention.output.dense, output.dense)
  }
  test::check_error([&] { peft::find_target_linears(*model, {"query", "querry"}); },
                    {"'querry' matches no Linear"});
}
