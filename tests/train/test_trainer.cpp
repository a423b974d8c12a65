// The trainer on the tiny HF BERT fixture and a small synthetic SST-2-format task: it learns,
// its outputs are complete, and an interrupted run resumed from checkpoint.h5 gives losses
// bit-identical to an uninterrupted one.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <vector>
#include <nlohmann/json.hpp>

#include "tinytune/core/cuda/runtime.h"
#include "tests/test_util.h"
#include "tests/train/tiny_glue_setup.h"
#include "tinytune/train/checkpoint.h"
#include "tinytune/train/trainer.h"

using namespace tt;
using tt::test::eval_steps;
using tt::test::logged_losses;
using tt::test::TinySetup;
namespace fs = std::filesystem;

namespace {

// metrics.jsonl's lines without their examples_per_second (a timing).
std::vector<nlohmann::json> untimed_lines(const fs::path& metrics) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(metrics);
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    j.erase("examples_per_second");
    lines.push_back(j);
  }
  return lines;
}

std::string file_text(const fs::path& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
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
  CHECK(results["device"] == "cpu");
  auto losses = logged_losses(fs::path(c.output_dir) / "metrics.jsonl");
  REQUIRE(losses.size() == 48);
  CHECK(losses.back() < losses.front());
  // Every step line carries the gradient norm before clipping (clipping is on by default).
  std::ifstream metrics(fs::path(c.output_dir) / "metrics.jsonl");
  int64_t with_norm = 0;
  for (std::string line; std::getline(metrics, line);) {
    auto j = nlohmann::json::parse(line);
    if (!j.contains("loss")) continue;
    REQUIRE(j.contains("grad_norm"));
    CHECK(std::isfinite(j["grad_norm"].get<double>()));
    CHECK(j["grad_norm"].get<double>() > 0);
    ++with_norm;
  }
  CHECK(with_norm == 48);
}

TEST_CASE("trainer: evaluation at each epoch's end, every N steps, or once after the last step") {
  TinySetup setup;
  train::TrainConfig c = setup.config("epoch_eval");
  c.epochs = 3;  // 12 batches an epoch
  c.lr = 1e-3;
  train::train_glue(c);
  CHECK(eval_steps(fs::path(c.output_dir) / "metrics.jsonl") == std::vector<int64_t>{12, 24, 36});

  c = setup.config("eval_every");
  c.epochs = 2;
  c.eval_every = 5;  // steps 5, 10, 15, 20 and the epoch ends 12 and 24 (20 is not evaluated twice)
  train::train_glue(c);
  CHECK(eval_steps(fs::path(c.output_dir) / "metrics.jsonl") == std::vector<int64_t>{5, 10, 12, 15, 20, 24});

  c = setup.config("no_epoch_eval");
  c.epochs = 3;
  c.epoch_eval = false;
  train::TrainResult r = train::train_glue(c);
  CHECK(eval_steps(fs::path(c.output_dir) / "metrics.jsonl") == std::vector<int64_t>{36});
  CHECK(r.final_metrics.count("accuracy") == 1);

  c = setup.config("max_steps_mid_epoch");
  c.max_steps = 18;  // the run ends mid-epoch: its last step is evaluated too
  train::train_glue(c);
  CHECK(eval_steps(fs::path(c.output_dir) / "metrics.jsonl") == std::vector<int64_t>{12, 18});
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
    // The whole metrics.jsonl (evaluations too) is the straight run's but for the timing, and
    // the plot, drawn from it, is the same file.
    CHECK(untimed_lines(fs::path(first.output_dir) / "metrics.jsonl") ==
          untimed_lines(fs::path(straight.output_dir) / "metrics.jsonl"));
    const std::string svg = file_text(fs::path(first.output_dir) / "training.svg");
    CHECK(svg == file_text(fs::path(straight.output_dir) / "training.svg"));
    // A dot per point (under 30 a panel): the 16 losses and the evaluations at steps 12 and 16.
    size_t dots = 0;
    for (size_t at = svg.find("<circle"); at != std::string::npos; at = svg.find("<circle", at + 1)) ++dots;
    CHECK(dots == 16 + 2);
  }
}

TEST_CASE("trainer: a checkpoint at each epoch's end, so a run that dies loses that epoch at most") {
  TinySetup setup;
  for (bool epoch_save : {true, false}) {
    CAPTURE(epoch_save);
    train::TrainConfig c = setup.config(epoch_save ? "epoch_save" : "no_epoch_save");
    c.epochs = 2;  // 12 batches an epoch
    c.epoch_eval = false;
    c.eval_every = 18;
    c.epoch_save = epoch_save;
    // The evaluation at step 18 cannot write best.h5 (a directory is in its way): the run dies
    // there, mid-epoch 2, as a killed one would.
    const fs::path out(c.output_dir);
    fs::create_directories(out / "best.h5" / "in_the_way");
    CHECK_THROWS_AS(train::train_glue(c), Error);
    if (!epoch_save) {
      CHECK(!fs::exists(out / "checkpoint.h5"));
      continue;
    }
    const train::Checkpoint saved = train::load_checkpoint((out / "checkpoint.h5").string());
    CHECK(saved.integers.at("step") == 12);
    CHECK(saved.integers.at("epoch") == 1);
    CHECK(saved.integers.at("next_batch") == 0);
    fs::remove_all(out / "best.h5");
    c.resume = (out / "checkpoint.h5").string();
    CHECK(train::train_glue(c).steps == 24);
    CHECK(tt::test::eval_steps(out / "metrics.jsonl") == std::vector<int64_t>{18, 24});
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
  if (!cuda::is_available()) {  // with a GPU, --device cuda is a valid run (tests/cuda)
    const std::string no_gpu = with([](auto& x) { x.device = "cuda"; });
    CHECK(no_gpu.find("--device cuda") != std::string::npos);
    CHECK(no_gpu.find("CUDA") != std::string::npos);
  }
  CHECK(with([](auto& x) { x.bf16 = true; }).find("--bf16") != std::string::npos);  // on the CPU
  // A corrupted checkpoint given to --resume.
  fs::path bad = setup.root / "corrupt.h5";
  std::ofstream(bad) << "not an hdf5 file";
  CHECK(with([&](auto& x) { x.resume = bad.string(); }).find(bad.string()) != std::string::npos);
}
