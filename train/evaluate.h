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

// "query,value" -> {"query", "value"} (empty items dropped): comma-separated CLI lists.
std::vector<std::string> split_commas(const std::string& s);

}  // namespace tt::train
