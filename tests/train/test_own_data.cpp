// The trainer on your own CSV data (labels "pos"/"neg" named in results.json), HF Trainer's
// result files, the refusal of an output directory that holds a run, and MNLI's two dev sets.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "tests/test_util.h"
#include "tests/train/tiny_glue_setup.h"
#include "tinytune/core/ops.h"
#include "tinytune/data/glue.h"
#include "tinytune/data/text_dataset.h"
#include "tinytune/train/evaluate.h"
#include "tinytune/train/glue_task.h"
#include "tinytune/train/run_report.h"
#include "tinytune/train/trainer.h"
#include "tinytune/train/training_run.h"

using namespace tt;
using tt::test::TinySetup;
namespace fs = std::filesystem;

namespace {

// SST-2-like rows: filler words and "good" (pos) or "bad" (neg); a quoted field now and then.
void write_sentiment_csv(const fs::path& path, int rows, unsigned seed) {
  const std::vector<std::string> filler{"the", "movie", "is", "very", "not", "a", "city", "day",
                                        "year", "time", "we", "they", "play", "run"};
  std::mt19937 rng(seed);
  std::ofstream out(path);
  out << "id,sentence,label\n";
  for (int i = 0; i < rows; ++i) {
    const bool positive = rng() % 2 == 0;
    std::string sentence;
    for (int w = 0; w < 5; ++w) sentence += filler[rng() % filler.size()] + (w == 2 ? ", " : " ");
    sentence += positive ? "good" : "bad";
    out << i << ",\"" << sentence << "\"," << (positive ? "pos" : "neg") << '\n';
  }
}

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in, "missing ", path.string());
  return nlohmann::json::parse(in);
}

}  // namespace

TEST_CASE("trainer: your own CSV data trains and names its labels in results.json") {
  TinySetup setup("own_data");
  write_sentiment_csv(setup.root / "train.csv", 300, 1);
  write_sentiment_csv(setup.root / "dev.csv", 60, 2);
  train::TrainConfig c = setup.config("own");
  c.train_file = (setup.root / "train.csv").string();
  c.validation_file = (setup.root / "dev.csv").string();
  c.peft = "full";
  c.lr = 1e-3;
  c.epochs = 2;  // 38 batches an epoch (37 of 8, a last one of 4)
  train::TrainResult r = train::train_glue(c);
  CHECK(r.steps == 2 * 38);
  CHECK(r.best_metrics.at("accuracy") >= 0.9);
  CHECK(r.best_metrics.count("f1_macro") == 1);
  CHECK(r.best_metrics.at("main") == r.best_metrics.at("accuracy"));

  const fs::path out(c.output_dir);
  const auto results = read_json(out / "results.json");
  CHECK(results["task"] == "own");
  CHECK(results["labels"] == nlohmann::json({"neg", "pos"}));
  CHECK(results["problem_type"] == "classification");
  CHECK(results["main_metric"] == "accuracy");
  CHECK(results["train_examples"] == 300);

  const auto eval = read_json(out / "eval_results.json");
  CHECK(eval["eval_samples"] == 60);
  CHECK(eval["eval_accuracy"].get<double>() == r.final_metrics.at("accuracy"));
  CHECK(eval["eval_f1_macro"].get<double>() == r.final_metrics.at("f1_macro"));
  CHECK(eval.count("eval_main") == 0);
  // A model this accurate has a dev cross-entropy below chance's ln 2.
  CHECK(eval["eval_loss"].get<double>() > 0);
  CHECK(eval["eval_loss"].get<double>() < std::log(2.0));
  CHECK(eval["epoch"].get<double>() == 2.0);
  const auto all = read_json(out / "all_results.json");
  for (const char* key : {"train_runtime", "train_samples_per_second", "train_loss", "eval_loss", "eval_accuracy"})
    CHECK_MESSAGE(all.contains(key), key);
  CHECK(all["train_samples"] == 300);
}

TEST_CASE("trainer: an own-data regression run reports pearson and spearmanr") {
  TinySetup setup("own_regression");
  {
    std::ofstream out(setup.root / "scores.jsonl");
    for (int i = 0; i < 40; ++i)
      out << nlohmann::json({{"text", i % 2 ? "a very good movie" : "a bad day"}, {"score", i % 2 ? 4.5 : 0.5}}).dump()
          << '\n';
  }
  train::TrainConfig c = setup.config("regression");
  c.train_file = c.validation_file = (setup.root / "scores.jsonl").string();
  c.text_columns = {"text"};
  c.label_column = "score";
  c.max_steps = 3;
  train::TrainResult r = train::train_glue(c);
  CHECK(r.final_metrics.count("pearson") == 1);
  CHECK(r.final_metrics.count("spearmanr") == 1);
  const auto results = read_json(fs::path(c.output_dir) / "results.json");
  CHECK(results["problem_type"] == "regression");
  CHECK(results["labels"].empty());
}

TEST_CASE("trainer: an output directory holding a run is refused unless overwritten or resumed") {
  TinySetup setup("overwrite");
  train::TrainConfig c = setup.config("run");
  c.peft = "lora";
  c.max_steps = 2;
  train::train_glue(c);
  const fs::path out(c.output_dir);
  REQUIRE(fs::exists(out / "best.h5"));
  tt::test::check_error([&] { train::train_glue(c); },
                        {"--output-dir: " + out.string() + " already holds a run", "--overwrite-output-dir",
                         "--resume " + (out / "checkpoint.h5").string()});
  // Overwritten by a run that stops before its first evaluation: the old best weights are gone
  // (they would have become this run's adapter).
  train::TrainConfig again = c;
  again.overwrite_output_dir = true;
  again.stop_after = 1;
  CHECK(train::train_glue(again).steps == 1);
  CHECK(!fs::exists(out / "best.h5"));
  CHECK(!fs::exists(out / "adapter"));
  // --resume continues in the same directory.
  train::TrainConfig resumed = c;
  resumed.resume = (out / "checkpoint.h5").string();
  CHECK(train::train_glue(resumed).steps == 2);
}

TEST_CASE("trainer: MNLI evaluates the matched and the mismatched dev sets (fixture snippets)") {
  TinySetup setup("mnli");
  train::TrainConfig c = setup.config("mnli");
  c.task = "mnli";
  c.data_dir = TINYTUNE_FIXTURE_DIR "/glue";
  c.max_steps = 2;
  c.batch_size = 2;
  train::TrainingRun run = train::start_run(c);
  train::open_task(run);
  train::load_model(run);
  train::apply_adapters(run);
  REQUIRE(run.extra_dev.size() == 1);
  CHECK(run.extra_dev[0].first == "mm");
  const auto metrics = train::evaluate(run);
  // Each against the dev file evaluated on its own.
  const auto tokenizer = train::open_tokenizer(c.model_dir);
  const data::BatcherOptions options{.batch_size = c.eval_batch_size, .max_seq_length = c.max_seq_length};
  for (const auto& [file, key] : {std::pair<std::string, std::string>{"dev_matched.tsv", "accuracy"},
                                  {"dev_mismatched.tsv", "accuracy_mm"}}) {
    CAPTURE(file);
    const data::GlueSplit split = data::read_glue_split(data::GlueTask::mnli, c.data_dir + "/MNLI/" + file, true);
    const data::Batcher batches(split, *tokenizer, options);
    CHECK(metrics.at(key) == train::evaluate_glue(*run.model, batches, data::GlueTask::mnli).at("accuracy"));
  }
  CHECK(metrics.at("main") == metrics.at("accuracy"));

  train::TrainResult r = train::train_glue(c);
  const auto results = read_json(fs::path(c.output_dir) / "results.json");
  CHECK(results["dev"].contains("accuracy"));
  CHECK(results["dev"].contains("accuracy_mm"));
  CHECK(results["dev"]["main"] == results["dev"]["accuracy"]);
  const auto eval = read_json(fs::path(c.output_dir) / "eval_results.json");
  CHECK(eval["eval_accuracy_mm"].get<double>() == r.final_metrics.at("accuracy_mm"));
}

TEST_CASE("trainer: eval_loss is the dev set's mean cross-entropy (batches weighted by size)") {
  TinySetup setup("eval_loss");
  write_sentiment_csv(setup.root / "train.csv", 40, 1);
  write_sentiment_csv(setup.root / "dev.csv", 60, 2);  // eval batches of 16: 16, 16, 16, 12
  train::TrainConfig c = setup.config("eval_loss");
  c.train_file = (setup.root / "train.csv").string();
  c.validation_file = (setup.root / "dev.csv").string();
  train::TrainingRun run = train::start_run(c);
  train::open_task(run);
  train::load_model(run);
  train::apply_adapters(run);
  train::evaluate(run);
  // The same loss over one batch of all 60 rows.
  const data::TextDataset own = data::read_text_dataset(
      {.train_file = c.train_file, .validation_file = c.validation_file, .test_file = "",
       .text_columns = {"sentence"}});
  const data::Batcher all(own.validation, *train::open_tokenizer(c.model_dir),
                          {.batch_size = 60, .max_seq_length = c.max_seq_length});
  NoGradGuard no_grad;
  run.model->eval();
  const data::Batch b = all.make_batch(all.batch_plan(0)[0]);
  const double expected = cross_entropy(run.model->forward({b.input_ids, b.token_type_ids, b.attention_mask}),
                                        b.labels).item();
  CHECK(run.last_eval_loss == doctest::Approx(expected).epsilon(1e-5));
}
