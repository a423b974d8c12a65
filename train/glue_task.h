// What every GLUE tool opens before it works: the task, the split files it reads and the model's
// tokenizer (open_glue_task), then the model with the task's head (load_glue_classifier).
// train_glue, eval_adapter, lorahub and bert_encode all open their inputs through these, so a
// missing file gets the same message everywhere: "--data-dir: <file> not found (run
// scripts/get_glue.sh <TASK>)".
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "tinytune/data/glue.h"
#include "tinytune/data/wordpiece.h"
#include "tinytune/nn/bert.h"

namespace tt::train {

struct GlueTaskRequest {
  std::string task;      // --task: cola, sst2, ...
  std::string data_dir;  // --data-dir: the files are <data_dir>/<the task's folder>/<file>
  // The split files to read, in this order: "train" and "dev" stand for the task's training
  // file and its first dev file; any other entry is a file name ("test.tsv").
  std::vector<std::string> files;
  bool labelled = true;   // false: the files have no labels (GLUE's test files)
  std::string model_dir;  // the tokenizer's vocab.txt is read from here; empty: no tokenizer
};

struct OpenedGlueTask {
  data::GlueTask task;
  const data::GlueTaskSpec* spec;
  std::vector<data::GlueSplit> splits;  // the request's files, in its order
  std::unique_ptr<data::WordPieceTokenizer> tokenizer;  // null without a model_dir
};

// Every file is checked to exist before any is read (a missing one fails early, before the
// model loads). Errors: an unknown task, a missing file, a model directory without vocab.txt.
OpenedGlueTask open_glue_task(const GlueTaskRequest& request);

// The WordPiece tokenizer of the HF model directory `model_dir`: its vocab.txt, with the
// settings of its tokenizer_config.json when it has one (data/tokenizer_config.h).
std::unique_ptr<data::WordPieceTokenizer> open_tokenizer(const std::string& model_dir);

// The BERT checkpoint in `model_dir` with a classifier of the task's size. `dropout` < 0: the
// checkpoint's config.json's.
std::shared_ptr<nn::BertForSequenceClassification> load_glue_classifier(const std::string& model_dir,
                                                                        const data::GlueTaskSpec& spec,
                                                                        double dropout = -1);

}  // namespace tt::train
