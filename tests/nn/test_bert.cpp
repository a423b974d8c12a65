// BERT against HF transformers: a tiny random BertForSequenceClassification saved by
// tests/reference/make_tiny_bert.py as an HF directory, and HF's outputs on a padded batch of
// sentence pairs. Plus the loader's errors on broken checkpoints and configs.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>

#include "tinytune/core/io/safetensors.h"
#include "tinytune/nn/hf_checkpoint.h"
#include "tests/sanitizers.h"
#include "tests/test_util.h"

using namespace tt;
using tt::test::max_relative_error;
namespace fs = std::filesystem;

static const std::string kTinyBert = std::string(TINYTUNE_FIXTURE_DIR) + "/tiny_bert";

TEST_CASE("bert: tiny HF BERT checkpoint matches HF outputs to 1e-5 relative") {
  auto expected = io::load_safetensors(std::string(TINYTUNE_FIXTURE_DIR) + "/tiny_bert_expected.safetensors");
  nn::LoadReport report;
  auto model = nn::load_bert_for_classification(kTinyBert, 3, &report);
  CHECK(report.initialized.empty());  // the fixture has its classifier
  model->eval();
  nn::BertInputs in{expected["input_ids"], expected["token_type_ids"], expected["attention_mask"]};
  NoGradGuard no_grad;
  nn::BertOutputs base = model->bert->forward(in);
  Tensor logits = model->forward(in);
  // Padded positions of last_hidden_state are compared too: HF computes them the same way.
  CHECK(max_relative_error(base.last_hidden_state, expected["last_hidden_state"]) <= 1e-5);
  CHECK(max_relative_error(base.pooled, expected["pooled"]) <= 1e-5);
  CHECK(max_relative_error(logits, expected["logits"]) <= 1e-5);
}

TEST_CASE("bert: a dropout override of 0 turns off every dropout site, the config's 0.1 does not") {
  auto expected = io::load_safetensors(std::string(TINYTUNE_FIXTURE_DIR) + "/tiny_bert_expected.safetensors");
  nn::BertInputs in{expected["input_ids"], expected["token_type_ids"], expected["attention_mask"]};
  NoGradGuard no_grad;
  manual_seed(3);
  auto with_config = nn::load_bert_for_classification(kTinyBert, 3);
  auto without = nn::load_bert_for_classification(kTinyBert, 3, nullptr, /*dropout=*/0.0);
  with_config->train();
  without->train();
  // The fixture's classifier is in the file, so both models hold the same weights; training mode
  // with dropout 0 computes the eval-mode logits that HF gives.
  CHECK(max_relative_error(without->forward(in), expected["logits"]) <= 1e-5);
  CHECK(max_relative_error(with_config->forward(in), expected["logits"]) > 1e-3);
  CHECK_THROWS_WITH_AS(nn::load_bert_for_classification(kTinyBert, 3, nullptr, 1.0),
                       doctest::Contains("dropout must be < 1"), Error);
}

TEST_CASE("bert: parameter names and counts follow HF") {
  auto model = nn::load_bert_for_classification(kTinyBert, 3);
  auto params = model->state_dict();
  CHECK(params.count("bert.embeddings.word_embeddings.weight"));
  CHECK(params.count("bert.embeddings.LayerNorm.weight"));
  CHECK(params.count("bert.encoder.layer.1.attention.self.query.weight"));
  CHECK(params.count("bert.encoder.layer.1.attention.output.LayerNorm.bias"));
  CHECK(params.count("bert.encoder.layer.0.intermediate.dense.weight"));
  CHECK(params.count("bert.encoder.layer.0.output.dense.bias"));
  CHECK(params.count("bert.pooler.dense.weight"));
  CHECK(params.count("classifier.weight"));
  // Every tensor of HF's state dict has a parameter here, and no more.
  auto file = io::load_safetensors(kTinyBert + "/model.safetensors");
  size_t hf_params = 0;
  for (auto& [name, t] : file) hf_params += name.find("position_ids") == std::string::npos;
  CHECK(params.size() == hf_params);
  // hidden 64, 2 layers, intermediate 128, vocab 1000, 64 positions, 2 types, 3 labels
  const int64_t h = 64, inter = 128;
  const int64_t embeddings = (1000 + 64 + 2) * h + 2 * h;
  const int64_t layer = 4 * (h * h + h) + 2 * h + (h * inter + inter) + (inter * h + h) + 2 * h;
  const int64_t expected = embeddings + 2 * layer + (h * h + h) + (h * 3 + 3);
  CHECK(model->num_parameters() == expected);
  model->bert->set_requires_grad(false);
  CHECK(model->num_trainable_parameters() == h * 3 + 3);
}

TEST_CASE("bert: Module::to the CPU keeps every parameter's storage, device() reports it") {
  auto model = nn::load_bert_for_classification(kTinyBert, 3);
  CHECK(model->device() == Device::cpu());
  std::vector<std::shared_ptr<Storage>> storages;
  for (auto& [name, p] : model->named_parameters()) storages.push_back(p.storage());
  model->to(Device::cpu());
  size_t i = 0;
  for (auto& [name, p] : model->named_parameters()) CHECK(p.storage() == storages[i++]);
  // The CUDA move (same handles, values kept) is tests/cuda/test_train_cuda.cpp.
}

TEST_CASE("bert: base checkpoint into a classifier initialises the head and reports it") {
  // Re-save the tiny model without "bert." and without the classifier: a BertModel checkpoint.
  fs::path dir = fs::temp_directory_path() / "tinytune_test_base_bert";
  fs::create_directories(dir);
  fs::copy_file(kTinyBert + "/config.json", dir / "config.json", fs::copy_options::overwrite_existing);
  std::map<std::string, Tensor> base;
  for (auto& [name, t] : io::load_safetensors(kTinyBert + "/model.safetensors"))
    if (name.rfind("bert.", 0) == 0) base[name.substr(5)] = t;
  io::save_safetensors((dir / "model.safetensors").string(), base);
  nn::LoadReport report;
  auto model = nn::load_bert_for_classification(dir.string(), 2, &report);
  CHECK(report.initialized == std::vector<std::string>{"classifier.weight", "classifier.bias"});
  auto plain = nn::load_bert_model(dir.string());
  CHECK(plain->num_parameters() == model->bert->num_parameters());
  fs::remove_all(dir);
}

namespace {

std::string load_error(const fs::path& dir) {
  try {
    nn::load_bert_for_classification(dir.string(), 3);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("bert: broken checkpoints give errors naming the tensor and the file") {
  fs::path dir = fs::temp_directory_path() / "tinytune_test_broken_bert";
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::copy_file(kTinyBert + "/config.json", dir / "config.json");
  auto tensors = io::load_safetensors(kTinyBert + "/model.safetensors");
  const std::string weights = (dir / "model.safetensors").string();

  SUBCASE("missing tensor") {
    auto t = tensors;
    t.erase("bert.encoder.layer.1.attention.self.key.weight");
    io::save_safetensors(weights, t);
    std::string msg = load_error(dir);
    CHECK(msg.find("bert.encoder.layer.1.attention.self.key.weight") != std::string::npos);
    CHECK(msg.find(weights) != std::string::npos);
  }
  SUBCASE("wrong shape") {
    auto t = tensors;
    t["bert.encoder.layer.0.output.dense.weight"] = zeros({64, 100});
    io::save_safetensors(weights, t);
    std::string msg = load_error(dir);
    CHECK(msg.find("bert.encoder.layer.0.output.dense.weight") != std::string::npos);
    CHECK(msg.find("[64, 100]") != std::string::npos);
    CHECK(msg.find("[64, 128]") != std::string::npos);
  }
  SUBCASE("truncated file") {
    fs::copy_file(kTinyBert + "/model.safetensors", weights);
    fs::resize_file(weights, fs::file_size(weights) / 2);
    CHECK(load_error(dir).find(weights) != std::string::npos);
  }
  SUBCASE("lying header length") {
    std::ofstream(weights, std::ios::binary) << std::string("\xff\xff\xff\x00\x00\x00\x00\x00{}", 10);
    CHECK(load_error(dir).find(weights) != std::string::npos);
  }
  SUBCASE("no weights file") {
    std::string msg = load_error(dir);
    CHECK(msg.find("model.safetensors") != std::string::npos);
    CHECK(msg.find("not found") != std::string::npos);
  }
  fs::remove_all(dir);
}

TEST_CASE("bert: bad configs and directories are named in the error") {
  fs::path dir = fs::temp_directory_path() / "tinytune_test_bad_config";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string config = (dir / "config.json").string();
  auto error_for = [&](const std::string& json) {
    std::ofstream(config) << json;
    try {
      nn::BertConfig::from_json_file(config);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(error_for("{\"hidden_size\": 64,").find("invalid JSON") != std::string::npos);
  // A number beyond a double's range is nlohmann's out_of_range, not parse_error (fuzz_bert_config).
  CHECK(error_for("{\"hidden_size\": 1E1111}").find("invalid JSON") != std::string::npos);
  CHECK(error_for("{\"hidden_size\": \"big\"}").find("hidden_size") != std::string::npos);
  CHECK(error_for("{\"hidden_size\": 65, \"num_attention_heads\": 4}").find("divisible") != std::string::npos);
  CHECK(error_for("{\"hidden_act\": \"relu\"}").find("hidden_act") != std::string::npos);
  CHECK(error_for("{\"model_type\": \"gpt2\"}").find(config) != std::string::npos);
  std::string missing;
  try {
    nn::load_bert_model((dir / "nowhere").string());
  } catch (const Error& e) {
    missing = e.what();
  }
  CHECK(missing.find("nowhere") != std::string::npos);
  fs::remove_all(dir);
}

namespace {

// The error message of loading `dir` as a classifier, run in a child process under a 4 GiB
// address-space limit and a 60 s alarm, so that an attempt to build a model of absurd size
// fails this test ("died of signal ...", "std::bad_alloc") instead of swapping the machine.
std::string load_error_limited(const fs::path& dir) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(fds[0]);
    // ASan reserves terabytes of address space for its shadow memory, so it cannot run under
    // this limit; scripts/sanitize.sh bounds memory with ASAN_OPTIONS's hard_rss_limit_mb.
    const rlimit limit{rlim_t{4} << 30, rlim_t{4} << 30};
    if (!test::kUnderAsan) ::setrlimit(RLIMIT_AS, &limit);
    ::alarm(60);
    std::string message = "loaded without an error";
    try {
      nn::load_bert_for_classification(dir.string(), 2);
    } catch (const Error& e) {
      message = e.what();
    } catch (const std::exception& e) {
      message = std::string("not a tt::Error: ") + e.what();
    }
    if (::write(fds[1], message.data(), message.size()) < 0) ::_exit(2);
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string message;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;) message.append(buffer, n);
  ::close(fds[0]);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  if (WIFSIGNALED(status)) return "died of signal " + std::to_string(WTERMSIG(status));
  return message;
}

}  // namespace

TEST_CASE("bert: config.json sizes the weights do not have are errors before building the model") {
  fs::path dir = fs::temp_directory_path() / ("tinytune_test_huge_config_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::copy_file(kTinyBert + "/model.safetensors", dir / "model.safetensors");
  std::ifstream in(kTinyBert + "/config.json");
  const std::string original((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string config = (dir / "config.json").string();
  auto error_with = [&](const std::string& field, const std::string& value) {
    std::ofstream(config) << std::regex_replace(
        original, std::regex("\"" + field + "\": [0-9]+"), "\"" + field + "\": " + value);
    return load_error_limited(dir);
  };
  for (const std::string field : {"num_hidden_layers", "hidden_size"}) {
    CAPTURE(field);
    const std::string message = error_with(field, "1000000000");
    INFO("message: ", message);
    CHECK(message.find(config) != std::string::npos);
    CHECK(message.find(field) != std::string::npos);
    CHECK(message.find("1000000000") != std::string::npos);
  }
  SUBCASE("smaller mismatches name the weights' tensor too") {
    const std::string layers = error_with("num_hidden_layers", "3");
    CHECK(layers.find("num_hidden_layers") != std::string::npos);
    CHECK(layers.find("2 layers") != std::string::npos);
    const std::string vocab = error_with("vocab_size", "999");
    CHECK(vocab.find("vocab_size") != std::string::npos);
    CHECK(vocab.find("word_embeddings") != std::string::npos);
    CHECK(vocab.find("[1000, 64]") != std::string::npos);
    const std::string intermediate = error_with("intermediate_size", "64");
    CHECK(intermediate.find("intermediate_size") != std::string::npos);
  }
  fs::remove_all(dir);
}

TEST_CASE("bert: sizes beyond sane bounds are errors even without weights to compare with") {
  fs::path dir = fs::temp_directory_path() / ("tinytune_test_bounds_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string config = (dir / "config.json").string();
  for (const std::string field : {"num_hidden_layers", "hidden_size", "vocab_size",
                                  "intermediate_size", "max_position_embeddings"}) {
    CAPTURE(field);
    std::ofstream(config) << "{\"" << field << "\": 1000000000, \"num_attention_heads\": 4}";
    test::check_error([&] { nn::BertConfig::from_json_file(config); }, {config, field, "at most"});
  }
  fs::remove_all(dir);
}
