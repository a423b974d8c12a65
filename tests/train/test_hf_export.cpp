// export_hf_classifier: every family's adapter merged into an HF model directory that loads
// back with the adapted model's logits, holds no adapter tensor and names its classes; the
// directory appears whole or not at all. (HF's own load of such a directory: ctest cli.export.)
// And TextClassifier names its classes from what the adapter or the model stored.
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tinytune/core/io/safetensors.h"
#include "tinytune/nn/hf_checkpoint.h"
#include "tinytune/peft/adapter_io.h"
#include "tinytune/train/hf_export.h"
#include "tinytune/train/evaluate.h"
#include "tinytune/train/glue_task.h"
#include "tinytune/train/text_classifier.h"
#include "tinytune/train/trainer.h"
#include "tests/peft/random_adapter.h"
#include "tests/train/tiny_glue_setup.h"
#include "tests/test_util.h"

using namespace tt;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

const std::string kFixtures = TINYTUNE_FIXTURE_DIR;

// The tiny BERT with the small vocabulary (an exported model needs a vocab.txt).
fs::path tiny_model_dir(const test::TempDir& tmp) {
  const fs::path dir = tmp.dir / "tiny";
  fs::create_directories(dir);
  fs::copy_file(kFixtures + "/tiny_bert/config.json", dir / "config.json");
  fs::copy_file(kFixtures + "/tiny_bert/model.safetensors", dir / "model.safetensors");
  fs::copy_file(kFixtures + "/vocab_small.txt", dir / "vocab.txt");
  return dir;
}

nn::BertInputs fixture_inputs() {
  auto e = io::load_safetensors(kFixtures + "/tiny_bert_expected.safetensors");
  return {e["input_ids"], e["token_type_ids"], e["attention_mask"]};
}

Tensor logits_of(nn::BertForSequenceClassification& model) {
  model.eval();
  NoGradGuard no_grad;
  return model.forward(fixture_inputs());
}

peft::PeftConfig family_config(const std::string& method) {
  peft::PeftConfig c;
  c.method = method;
  c.lora_r = 4;
  c.c3a_block_size = 16;
  return c;
}

json read_json(const fs::path& path) { return json::parse(std::ifstream(path)); }

}  // namespace

TEST_CASE("hf_export: every family's merged model loads back with the adapted logits, no adapter tensor") {
  test::TempDir tmp;
  const fs::path source = tiny_model_dir(tmp);
  const std::vector<std::string> names{"contradiction", "entailment", "neutral"};
  for (const std::string family : {"lora", "condlora", "c3a", "goft", "qgoft"}) {
    CAPTURE(family);
    auto model = nn::load_bert_for_classification(source.string(), 3);
    peft::apply_peft(*model, family_config(family), {"classifier."});
    test::randomize_adapter(*model, 11);  // adapters far from identity: merging must matter
    const Tensor adapted = logits_of(*model);
    const fs::path out = tmp.dir / (family + "_export");
    train::export_hf_classifier(*model, {.source_model_dir = source.string(), .output_dir = out.string(),
                                         .label_names = names});

    auto plain = nn::load_bert_for_classification(source.string(), 3);  // the names a plain model has
    const auto stored = io::load_safetensors((out / "model.safetensors").string());
    CHECK(stored.size() == plain->named_parameters().size());
    for (auto& [name, p] : plain->named_parameters()) CHECK_MESSAGE(stored.count(name), name);

    auto loaded = train::TextClassifier::load(out.string());
    CHECK(loaded.label_names() == names);
    CHECK(test::max_relative_error(logits_of(loaded.model()), adapted) < 1e-5);

    const json config = read_json(out / "config.json");
    CHECK(config["id2label"].dump() == R"({"0":"contradiction","1":"entailment","2":"neutral"})");
    CHECK(config["label2id"]["neutral"] == 2);
    CHECK(config["problem_type"] == "single_label_classification");
    CHECK(config["architectures"] == json::array({"BertForSequenceClassification"}));
    CHECK(config["hidden_size"] == 64);  // the source's fields are kept
    CHECK(read_json(out / "tokenizer_config.json")["tokenizer_class"] == "BertTokenizer");
  }
}

TEST_CASE("hf_export: a regression head is LABEL_0 with problem_type regression") {
  test::TempDir tmp;
  const fs::path source = tiny_model_dir(tmp);
  auto model = nn::load_bert_for_classification(source.string(), 1);
  train::export_hf_classifier(*model, {.source_model_dir = source.string(), .output_dir = (tmp.dir / "out").string(), .label_names = {}});
  const json config = read_json(tmp.dir / "out" / "config.json");
  CHECK(config["id2label"].dump() == R"({"0":"LABEL_0"})");
  CHECK(config["problem_type"] == "regression");
  CHECK(train::TextClassifier::load((tmp.dir / "out").string()).num_labels() == 1);
}

TEST_CASE("hf_export: an existing directory is kept without overwrite and replaced with it") {
  test::TempDir tmp;
  const fs::path source = tiny_model_dir(tmp), out = tmp.dir / "out";
  auto model = nn::load_bert_for_classification(source.string(), 2);
  fs::create_directories(out);
  std::ofstream(out / "mine.txt") << "keep me";
  test::check_error([&] { train::export_hf_classifier(*model, {.source_model_dir = source.string(), .output_dir = out.string(), .label_names = {}}); },
                    {out.string(), "already exists", "--overwrite"});
  CHECK(fs::exists(out / "mine.txt"));
  train::export_hf_classifier(*model, {.source_model_dir = source.string(), .output_dir = out.string() + "/",
                                       .label_names = {}, .overwrite = true});
  CHECK(!fs::exists(out / "mine.txt"));
  CHECK(fs::exists(out / "model.safetensors"));
  for (auto& entry : fs::directory_iterator(tmp.dir))  // no temporary or old copy left beside it
    CHECK_MESSAGE(entry.path().filename().string().find(".tmp-") == std::string::npos, entry.path());
  // A source without vocab.txt: an error naming it, and no directory.
  fs::remove(source / "vocab.txt");
  test::check_error([&] { train::export_hf_classifier(*model, {.source_model_dir = source.string(), .output_dir = (tmp.dir / "x").string(), .label_names = {}}); },
                    {"vocab.txt", "not found"});
  CHECK(!fs::exists(tmp.dir / "x"));
}

TEST_CASE("text_classifier: class names from the adapter's tinytune_label_names, else the model's id2label") {
  test::TempDir tmp;
  const fs::path source = tiny_model_dir(tmp);
  auto model = nn::load_bert_for_classification(source.string(), 2);
  peft::apply_peft(*model, family_config("lora"), {"classifier."});
  peft::save_adapter(*model, family_config("lora"), (tmp.dir / "named").string(), source.string(),
                     {"classifier"}, {"negative", "positive"});
  peft::save_adapter(*model, family_config("lora"), (tmp.dir / "unnamed").string(), source.string());
  CHECK(peft::read_adapter_config((tmp.dir / "named").string()).label_names ==
        std::vector<std::string>{"negative", "positive"});
  CHECK(peft::read_adapter_config((tmp.dir / "unnamed").string()).label_names.empty());
  auto named = train::TextClassifier::load(source.string(), (tmp.dir / "named").string());
  CHECK(named.label_names() == std::vector<std::string>{"negative", "positive"});
  const auto p = named.predict({"the movie is good"});
  CHECK((p[0].label_name == "negative" || p[0].label_name == "positive"));
  // No names stored: HF's defaults (the base model's id2label has 3 entries, not 2).
  CHECK(train::TextClassifier::load(source.string(), (tmp.dir / "unnamed").string()).label_names() ==
        std::vector<std::string>{"LABEL_0", "LABEL_1"});
  // The caller's names win over the stored ones.
  CHECK(train::TextClassifier::load(source.string(), (tmp.dir / "named").string(), {"bad", "good"}).label_names() ==
        std::vector<std::string>{"bad", "good"});
  // A stored list of the wrong length is an error naming the file.
  json config = read_json(tmp.dir / "named" / "adapter_config.json");
  config["tinytune_label_names"] = {"a", "b", "c"};
  std::ofstream(tmp.dir / "named" / "adapter_config.json") << config.dump();
  test::check_error([&] { train::TextClassifier::load(source.string(), (tmp.dir / "named").string()); },
                    {"adapter_config.json", "tinytune_label_names has 3 names", "2 classes"});
}

TEST_CASE("hf_export: train_glue --peft full leaves its best model in <output-dir>/model, which evaluates as the run did") {
  test::TinySetup setup("hf_export_full");
  train::TrainConfig c = setup.config("full");
  c.peft = "full";
  c.epochs = 4;  // as tests/train/test_trainer.cpp's full run, which learns the task
  c.lr = 1e-3;
  const train::TrainResult result = train::train_glue(c);
  const fs::path model_dir = fs::path(c.output_dir) / "model";
  REQUIRE(fs::exists(model_dir / "model.safetensors"));
  CHECK(fs::exists(model_dir / "vocab.txt"));
  CHECK(read_json(model_dir / "config.json")["id2label"].dump() == R"({"0":"0","1":"1"})");
  CHECK(!fs::exists(fs::path(c.output_dir) / "adapter"));

  const train::OpenedGlueTask dev = train::open_glue_task(
      {.task = "sst2", .data_dir = c.data_dir, .files = {"dev"}, .model_dir = model_dir.string()});
  const data::Batcher batches(dev.splits[0], *dev.tokenizer, {.batch_size = c.eval_batch_size});
  auto exported = train::TextClassifier::load(model_dir.string());
  CHECK(exported.label_names() == std::vector<std::string>{"0", "1"});
  const auto metrics = train::evaluate_glue(exported.model(), batches, dev.task);
  CHECK(metrics.at("accuracy") == doctest::Approx(result.best_metrics.at("accuracy")).epsilon(1e-12));
  CHECK(result.best_metrics.at("accuracy") > 0.6);  // learnt: the equality above is not 0.5 = 0.5
}
