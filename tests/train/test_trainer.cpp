// The trainer on the tiny HF BERT fixture and a small synthetic SST-2-format task: it learns,
// its outputs are complete, and an interrupted run resumed from checkpoint.h5 gives losses
// bit-identical to an uninterrupted one.
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "tests/test_util.h"
#include "train/trainer.h"

using namespace tt;
namespace fs = std::filesystem;

namespace {

// A model directory (tiny BERT weights + the small committed vocab) and an SST-2-format task
// whose label is whether "good" or "bad" appears: learnable in a few dozen steps.
struct TinySetup {
  fs::path root = fs::temp_directory_path() / ("tinytune_trainer_" + std::to_string(::getpid()));
  fs::path model = root / "model", data = root / "glue";
  TinySetup() {
    fs::remove_all(root);
    fs::create_directories(model);
    fs::create_directories(data / "SST-2");
    const std::string fixtures = TINYTUNE_FIXTURE_DIR;
    fs::copy_file(fixtures + "/tiny_bert/config.json", model / "config.json");
    fs::copy_file(fixtures + "/tiny_bert/model.safetensors", model / "model.safetensors");
    fs::copy_file(fixtures + "/vocab_small.txt", model / "vocab.txt");
    write_split("train.tsv", 96, 1);
    write_split("dev.tsv", 32, 2);
  }
  ~TinySetup() { fs::remove_all(root); }
  void write_split(const std::string& name, int rows, unsigned seed) {
    const std::vector<std::string> filler{"the", "movie", "is", "very", "not", "a", "city", "day",
                                          "year", "time", "we", "they", "play", "run"};
    std::mt19937 rng(seed);
    std::ofstream out(data / "SST-2" / name);
    out << "sentence\tlabel\n";
    for (int i = 0; i < rows; ++i) {
      const bool positive = i % 2 == 0;
      std::string sentence;
      for (int w = 0; w < 5; ++w) sentence += filler[rng() % filler.size()] + " ";
      sentence += positive ? "good" : "bad";
      out << sentence << '\t' << (positive ? 1 : 0) << '\n';
    }
  }
  train::TrainConfig config(const std::string& out) const {
    train::TrainConfig c;
    c.task = "sst2";
    c.model_dir = model.string();
    c.data_dir = data.string();
    c.output_dir = (root / out).string();
    c.batch_size = 8;
    c.eval_batch_size = 16;
    c.log_every = 1;
    c.threads = 1;
    return c;
  }
};

std::vector<double> logged_losses(const fs::path& metrics) {
  std::vector<double> losses;
  std::ifstream in(metrics);
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    if (j.contains("loss")) losses.push_back(j["loss"].get<double>());
  }
  return losses;
}

}  // namespace

TEST_CASE("trainer: full fine-tuning learns the tiny task and writes every output") {
  TinySetup setup;
  train::TrainConfig c = setup.config("full");
  c.peft = "full";
  c.epochs = 4;
  c.lr = 1e-3;
  train::TrainResult r = train::train_glue(c);
  CHECK(r.steps == 4 * 12);
  CHECK(r.best_metrics.at("accuracy") >= 0.9);
  for (const char* f : {"metrics.jsonl", "results.json", "checkpoint.h5", "best.h5", "training.svg"})
    CHECK(fs::exists(fs::path(c.output_dir) / f));
  auto results = nlohmann::json::parse(std::ifstream(fs::path(c.output_dir) / "results.json"));
  CHECK(results["trainable_parameters"] == results["total_parameters"]);
  CHECK(results["dev"]["accuracy"].get<double>() == r.best_metrics.at("accuracy"));
  CHECK(results["examples_per_second"].get<double>() > 0);
  auto losses = logged_losses(fs::path(c.output_dir) / "metrics.jsonl");
  REQUIRE(losses.size() == 48);
  CHECK(losses.back() < losses.front());
}

TEST_CASE("trainer: N steps, save, resume, N steps == 2N straight steps, bit for bit") {
  TinySetup setup;
  for (const char* peft : {"full", "lora"}) {
    CAPTURE(peft);
    train::TrainConfig straight = setup.config(std::string("straight_") + peft);
    straight.peft = peft;
    straight.max_steps = 16;  // 12 batches an epoch: the resume point and the run cross epochs
    straight.lr = 1e-3;
    straight.warmup_ratio = 0.25;
    train::train_glue(straight);
    auto expected = logged_losses(fs::path(straight.output_dir) / "metrics.jsonl");
    REQUIRE(expected.size() == 16);

    // The same run stopped after step 8 (saving checkpoint.h5), then resumed to the end.
    train::TrainConfig first = straight;
    first.output_dir = (setup.root / (std::string("resumed_") + peft)).string();
    first.stop_after = 8;
    train::TrainResult part1 = train::train_glue(first);
    CHECK(part1.steps == 8);
    CHECK(part1.stopped_early);
    train::TrainConfig second = first;
    second.stop_after = 0;
    second.resume = (fs::path(first.output_dir) / "checkpoint.h5").string();
    train::TrainResult part2 = train::train_glue(second);
    CHECK(part2.steps == 16);
    auto resumed = logged_losses(fs::path(first.output_dir) / "metrics.jsonl");
    REQUIRE(resumed.size() == 16);
    for (size_t i = 0; i < 16; ++i) {
      CAPTURE(i);
      CHECK(resumed[i] == expected[i]);  // exact: same kernels, same thread count
    }
  }
}

TEST_CASE("trainer: bad settings and inputs are clear errors naming the flag or file") {
  TinySetup setup;
  auto error_of = [](train::TrainConfig c) {
    try {
      train::train_glue(c);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  train::TrainConfig c = setup.config("bad");
  auto with = [&](auto change) {
    train::TrainConfig copy = c;
    change(copy);
    return error_of(copy);
  };
  CHECK(with([](auto& x) { x.task = "sst3"; }).find("sst3") != std::string::npos);
  CHECK(with([](auto& x) { x.lr = -1; }).find("--lr") != std::string::npos);
  CHECK(with([](auto& x) { x.batch_size = 0; }).find("--batch-size") != std::string::npos);
  CHECK(with([](auto& x) { x.peft = "dora"; }).find("--peft") != std::string::npos);
  CHECK(with([](auto& x) { x.model_dir = "/nonexistent/model"; }).find("/nonexistent/model") != std::string::npos);
  CHECK(with([](auto& x) { x.task = "rte"; }).find("RTE/train.tsv") != std::string::npos);
  CHECK(with([](auto& x) { x.adapter.target_modules = {"qvery"}; }).find("qvery") != std::string::npos);
  CHECK(with([](auto& x) { x.device = "cuda"; }).find("--device") != std::string::npos);
  // A corrupted checkpoint given to --resume.
  fs::path bad = setup.root / "corrupt.h5";
  std::ofstream(bad) << "not an hdf5 file";
  CHECK(with([&](auto& x) { x.resume = bad.string(); }).find(bad.string()) != std::string::npos);
}
