// A tiny GLUE run for the trainer's tests (CPU ones in tests/train, CUDA ones in tests/cuda):
// the tiny HF BERT fixture with the small committed vocab, and a synthetic SST-2-format task.
#pragma once
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "tinytune/train/train_config.h"

namespace tt::test {

namespace fs = std::filesystem;

// A model directory (tiny BERT weights + the small committed vocab) and an SST-2-format task
// whose label is whether "good" or "bad" appears: learnable in a few dozen steps.
struct TinySetup {
  fs::path root;
  explicit TinySetup(const std::string& name = "trainer")
      : root(fs::temp_directory_path() / ("tinytune_" + name + "_" + std::to_string(::getpid()))) {
    make();
  }
  fs::path model = root / "model", data = root / "glue";
  void make() {
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
    c.device = "cpu";  // "auto" would pick a GPU where there is one; tests/cuda runs that case
    return c;
  }
};

// `field` of every metrics.jsonl line that has `key`, in order (a line without `field` throws).
template <class T>
std::vector<T> logged_values(const fs::path& metrics, const char* key, const char* field) {
  std::vector<T> values;
  std::ifstream in(metrics);
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    if (j.contains(key)) values.push_back(j.at(field).get<T>());
  }
  return values;
}

// The "loss" of every logged step, in order.
inline std::vector<double> logged_losses(const fs::path& metrics) {
  return logged_values<double>(metrics, "loss", "loss");
}

// The step of every evaluation line, in order.
inline std::vector<int64_t> eval_steps(const fs::path& metrics) {
  return logged_values<int64_t>(metrics, "eval", "step");
}

}  // namespace tt::test
