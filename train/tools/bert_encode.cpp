// bert_encode: runs a BERT encoder (inference, eval mode, no grad) over a GLUE split and reports
// the throughput; optionally saves inputs and outputs of the first batches for comparison
// with HF transformers (scripts/compare_minilm.py).
//
//   bert_encode --model models/all-MiniLM-L6-v2 --task sst2 --split dev --batch-size 32
//               --threads 2 [--output out.safetensors --save-batches 4] [--gemm openblas]
#include <omp.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>

#include "tinytune/core/autograd/grad_mode.h"
#include "tinytune/core/blas/gemm.h"
#include "tinytune/core/cpu_malloc.h"
#include "tinytune/core/io/safetensors.h"
#include "tinytune/data/batching.h"
#include "tinytune/nn/hf_checkpoint.h"
#include "tinytune/train/glue_task.h"

using namespace tt;

namespace {

struct Options {
  std::string model_dir = "models/all-MiniLM-L6-v2", task_name = "sst2", data_dir = "data/glue";
  std::string split = "dev", output, gemm = "own";
  int64_t batch_size = 32, max_seq_length = 128, save_batches = 4, limit = 0;
  int threads = 0;
};

void add_flags(CLI::App& app, Options& o) {
  app.add_option("--model", o.model_dir, "HF BERT directory")->capture_default_str();
  app.add_option("--task", o.task_name, "GLUE task (cola, sst2, mrpc, stsb, qqp, mnli, qnli, rte, wnli)")->capture_default_str();
  app.add_option("--data-dir", o.data_dir, "directory with <TASK>/dev.tsv (scripts/get_glue.sh)")->capture_default_str();
  app.add_option("--split", o.split, "file name without .tsv (dev, train, dev_matched, ...)")->capture_default_str();
  app.add_option("--batch-size", o.batch_size)->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--max-seq-length", o.max_seq_length)->check(CLI::Range(int64_t{3}, int64_t{512}))->capture_default_str();
  app.add_option("--threads", o.threads, "OpenMP threads (0: OpenMP's default)")->check(CLI::NonNegativeNumber);
  app.add_option("--limit", o.limit, "encode only the first N examples (0: all)")->check(CLI::NonNegativeNumber);
  app.add_option("--output", o.output, "safetensors file for inputs/outputs of the first batches");
  app.add_option("--save-batches", o.save_batches, "how many batches --output keeps")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--gemm", o.gemm, "GEMM backend: own or openblas")->capture_default_str();
}

// The first --save-batches batches' inputs and outputs, for the comparison with HF.
void keep_batch(std::map<std::string, Tensor>& saved, size_t i, const data::Batch& batch,
                const nn::BertOutputs& out) {
  const std::string p = "batch" + std::to_string(i) + ".";
  saved[p + "input_ids"] = batch.input_ids;
  saved[p + "token_type_ids"] = batch.token_type_ids;
  saved[p + "attention_mask"] = batch.attention_mask;
  saved[p + "last_hidden_state"] = out.last_hidden_state;
  saved[p + "pooled"] = out.pooled;
}

void encode(const Options& o) {
  if (o.threads > 0) omp_set_num_threads(o.threads);
  blas::set_gemm_backend(blas::parse_gemm_backend(o.gemm));
  train::OpenedGlueTask opened = train::open_glue_task({.task = o.task_name, .data_dir = o.data_dir,
                                                        .files = {o.split + ".tsv"},
                                                        .labelled = o.split != "test",
                                                        .model_dir = o.model_dir});
  data::GlueSplit& examples = opened.splits[0];
  if (o.limit > 0 && o.limit < static_cast<int64_t>(examples.examples.size()))
    examples.examples.resize(o.limit);
  auto tokenize_start = std::chrono::steady_clock::now();
  data::Batcher batcher(examples, *opened.tokenizer, {.batch_size = o.batch_size, .max_seq_length = o.max_seq_length});
  double tokenize_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - tokenize_start).count();
  auto model = nn::load_bert_model(o.model_dir);
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
    nn::BertOutputs out = run(batches[i]);
    sentences += batches[i].input_ids.size(0);
    if (!o.output.empty() && static_cast<int64_t>(i) < o.save_batches) keep_batch(saved, i, batches[i], out);
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!o.output.empty()) io::save_safetensors(o.output, saved);
  std::cout << "{\"task\": \"" << o.task_name << "\", \"split\": \"" << o.split
            << "\", \"sentences\": " << sentences << ", \"batch_size\": " << o.batch_size
            << ", \"threads\": " << omp_get_max_threads() << ", \"gemm\": \"" << o.gemm
            << "\", \"encode_seconds\": " << seconds << ", \"sentences_per_second\": "
            << sentences / seconds << ", \"tokenize_seconds\": " << tokenize_seconds << "}\n";
}

}  // namespace

int main(int argc, char** argv) {
  tune_cpu_malloc();  // freed tensors are reused, not faulted in afresh (core/cpu_malloc.h)
  CLI::App app{"Encode a GLUE split with a BERT checkpoint and report sentences/s"};
  Options o;
  add_flags(app, o);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);  // prints the message; exit code 2 class for usage errors
  }
  try {
    encode(o);
    return 0;
  } catch (const Error& e) {
    std::cerr << "bert_encode: " << e.what() << "\n";
    return 1;
  }
}
