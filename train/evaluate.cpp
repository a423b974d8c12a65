#include "tinytune/train/evaluate.h"

#include "tinytune/core/ops.h"
#include "tinytune/data/metrics.h"

namespace tt::train {

std::map<std::string, double> evaluate_glue(nn::BertForSequenceClassification& model,
                                            const data::Batcher& batches, data::GlueTask task,
                                            std::vector<double>* per_example) {
  NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  const bool regression = data::glue_spec(task).is_regression;
  std::vector<int64_t> classes, labels;
  std::vector<double> predictions, scores;
  const Device device = model.device();
  if (per_example) per_example->assign(batches.num_examples(), 0.0);
  batches.for_each_batch(0, [&](const data::Batch& host) {
    const data::Batch b = host.to(device);  // labels are read from the host copy
    Tensor logits = model.forward({b.input_ids, b.token_type_ids, b.attention_mask});
    if (regression) {
      auto p = logits.squeeze(-1).to_vector<double>(), y = host.labels.to_vector<double>();
      predictions.insert(predictions.end(), p.begin(), p.end());
      scores.insert(scores.end(), y.begin(), y.end());
      if (per_example)
        for (size_t r = 0; r < p.size(); ++r) (*per_example)[host.example_index[r]] = p[r];
    } else {
      auto p = argmax(logits, -1).to_vector<int64_t>(), y = host.labels.to_vector<int64_t>();
      classes.insert(classes.end(), p.begin(), p.end());
      labels.insert(labels.end(), y.begin(), y.end());
      if (per_example)
        for (size_t r = 0; r < p.size(); ++r) (*per_example)[host.example_index[r]] = static_cast<double>(p[r]);
    }
  });
  model.train(was_training);
  return regression ? data::glue_metrics(task, predictions, scores)
                    : data::glue_metrics(task, classes, labels);
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::string item;
  for (char c : s + ",") {
    if (c != ',') {
      item += c;
    } else if (!item.empty()) {
      out.push_back(item);
      item.clear();
    }
  }
  return out;
}

}  // namespace tt::train
