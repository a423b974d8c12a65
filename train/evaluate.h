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
// the model's device, and returns glue_metrics(task, ...) including "main".
std::map<std::string, double> evaluate_glue(nn::BertForSequenceClassification& model,
                                            const data::Batcher& batches, data::GlueTask task);

// "query,value" -> {"query", "value"} (empty items dropped): comma-separated CLI lists.
std::vector<std::string> split_commas(const std::string& s);

}  // namespace tt::train
