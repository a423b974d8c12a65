// bert_encode: runs a BERT encoder (inference, eval mode, no grad) over a GLUE split and reports
// the throughput; optionally saves inputs and outputs of the first batches for comparison
// with HF transformers (scripts/compare_minilm.py).
//
//   bert_encode --model models/all-MiniLM-L6-v2 --task sst2 --split dev --batch-size 32
//               --threads 2 [--output out.safetensors --save-batches 4] [--gemm openblas]
#include <omp.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <iostream>

#include "tinytune/core/autograd/grad_mode.h"
#include "tinytune/core/blas/gemm.h"
#include "tinytune/core/cpu_malloc.h"
#include "tinytune/core/io/safetensors.h"
#include "tinytune/data/batching.h"
#include "tinytune/data/wordpiece.h"
#include "tinytune/nn/hf_checkpoint.h"

using namespace tt;
namespace fs = std::filesystem;

int main(int argc, char** argv) {
  tune_cpu_malloc();  // freed tensors are reused, not faulted in afresh (core/cpu_malloc.h)
  CLI::App app{"Encode a GLUE split with a BERT checkpoint and report sentences/s"};
  std::string model_dir = "models/all-MiniLM-L6-v2", task_name = "sst2", data_dir = "data/glue";
  std::string split = "dev", output, gemm = "own";
  int64_t batch_size = 32, max_seq_length = 128, save_batches = 4, limit = 0;
  int threads = 0;
  app.add_option("--model", model_dir, "HF BERT directory")->capture_default_str();
  app.add_option("--task", task_name, "GLUE task (cola, sst2, mrpc, stsb, qqp, mnli, qnli, rte, wnli)")->capture_default_str();
  app.add_option("--data-dir", data_dir, "directory with <TASK>/dev.tsv (scripts/get_glue.sh)")->capture_default_str();
  app.add_option("--split", split, "file name without .tsv (dev, train, dev_matched, ...)")->capture_default_str();
  app.add_option("--batch-size", batch_size)->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--max-seq-length", max_seq_length)->check(CLI::Range(int64_t{3}, int64_t{512}))->capture_default_str();
  app.add_option("--threads", threads, "OpenMP threads (0: OpenMP's default)")->check(CLI::NonNegativeNumber);
  app.add_option("--limit", limit, "encode only the first N examples (0: all)")->check(CLI::NonNegativeNumber);
  app.add_option("--output", output, "safetensors file for inputs/outputs of the first batches");
  app.add_option("--save-batches", save_batches, "how many batches --output keeps")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--gemm", gemm, "GEMM backend: own or openblas")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);  // prints the message; exit code 2 class for usage errors
  }
  try {
    if (threads > 0) omp_set_num_threads(threads);
    blas::set_gemm_backend(blas::parse_gemm_backend(gemm));
    data::GlueTask task = data::parse_glue_task(task_name);
    const data::GlueTaskSpec& spec = data::glue_spec(task);
    std::string root = nn::resolve_hf_model_dir(model_dir);
    fs::path tsv = fs::path(data_dir) / spec.folder / (split + ".tsv");
    TT_CHECK(fs::exists(tsv), "--data-dir: ", tsv.string(), " not found (run scripts/get_glue.sh)");
    data::GlueSplit examples = data::read_glue_split(task, tsv.string(), split != "test");
    if (limit > 0 && limit < static_cast<int64_t>(examples.examples.size()))
      examples.examples.resize(limit);
    data::WordPieceTokenizer tokenizer((fs::path(root) / "vocab.txt").string());
    auto tokenize_start = std::chrono::steady_clock::now();
    data::Batcher batcher(examples, tokenizer, {.batch_size = batch_size, .max_seq_length = max_seq_length});
    double tokenize_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - tokenize_start).count();
    auto model = nn::load_bert_model(model_dir);
    model->eval();

    NoGradGuard no_grad;
    // Batches are padded before the clock starts and the first one is run once untimed, as
    // the PyTorch baseline (benchmarks/reference/encode_torch.py) does.
    std::vector<data::Batch> batches;
    for (const auto& rows : batcher.batch_plan(0)) batches.push_back(batcher.make_batch(rows));
    auto run = [&](const data::Batch& b) {
      return model->forward({b.input_ids, b.token_type_ids, b.attention_mask});
    };
    if (!batches.empty()) run(batches[0]);
    std::map<std::string, Tensor> saved;
    int64_t sentences = 0;
    auto start = std::chrono::steady_clock::now();
    for (size_t i = 0; i < batches.size(); ++i) {
      const data::Batch& batch = batches[i];
      nn::BertOutputs out = run(batch);
      sentences += batch.input_ids.size(0);
      if (!output.empty() && static_cast<int64_t>(i) < save_batches) {
        const std::string p = "batch" + std::to_string(i) + ".";
        saved[p + "input_ids"] = batch.input_ids;
        saved[p + "token_type_ids"] = batch.token_type_ids;
        saved[p + "attention_mask"] = batch.attention_mask;
        saved[p + "last_hidden_state"] = out.last_hidden_state;
        saved[p + "pooled"] = out.pooled;
      }
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!output.empty()) io::save_safetensors(output, saved);
    std::cout << "{\"task\": \"" << task_name << "\", \"split\": \"" << split
              << "\", \"sentences\": " << sentences << ", \"batch_size\": " << batch_size
              << ", \"threads\": " << omp_get_max_threads() << ", \"gemm\": \"" << gemm
              << "\", \"encode_seconds\": " << seconds << ", \"sentences_per_second\": "
              << sentences / seconds << ", \"tokenize_seconds\": " << tokenize_seconds << "}\n";
    return 0;
  } catch (const Error& e) {
    std::cerr << "bert_encode: " << e.what() << "\n";
    return 1;
  }
}
