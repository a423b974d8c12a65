// Dev-set evaluation of a sequence classifier with the task's official GLUE metrics: the one
// loop train_glue, eval_adapter and lorahub share.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "tinytune/data/batching.h"
#include "tinytune/data/glue.h"
#include "tinytune/nn/bert.h"

namespace tt::train {

// Runs `model` (in eval mode, no grad; the mode is restored) over every batch of `batches`, on
// the model's device, and returns glue_metrics(task, ...) including "main". per_example, when
// given, receives each example's prediction in the split's order: the class id, or the score
// for regression.
std::map<std::string, double> evaluate_glue(nn::BertForSequenceClassification& model,
                                            const data::Batcher& batches, data::GlueTask task,
                                            std::vector<double>* per_example = nullptr);

// The same for any task spec (your own data's too: data/text_dataset.h), with task_metrics. When
// `mean_loss` is given it receives the mean per-example loss (cross-entropy, or the squared
// error of a regression), the eval_loss HF's Trainer reports; per_example as above. Batches
// without labels (a test file's) give per_example alone: no metrics (an empty map), loss NaN.
std::map<std::string, double> evaluate_task(nn::BertForSequenceClassification& model,
                                            const data::Batcher& batches, const data::GlueTaskSpec& spec,
                                            double* mean_loss = nullptr,
                                            std::vector<double>* per_example = nullptr);

// "query,value" -> {"query", "value"} (empty items dropped): comma-separated CLI lists.
std::vector<std::string> split_commas(const std::string& s);

}  // namespace tt::train
