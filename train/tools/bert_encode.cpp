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
#include "tinytune/train/tools/bert_encode_flags.h"

using namespace tt;

namespace {

using tools::bert_encode::Options;

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
  tools::bert_encode::add_bert_encode_flags(app, o);
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
