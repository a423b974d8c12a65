#include "tinytune/train/evaluate.h"

#include <cmath>

#include "tinytune/core/ops.h"
#include "tinytune/data/metrics.h"

namespace tt::train {

std::map<std::string, double> evaluate_glue(nn::BertForSequenceClassification& model,
                                            const data::Batcher& batches, data::GlueTask task,
                                            std::vector<double>* per_example) {
  return evaluate_task(model, batches, data::glue_spec(task), nullptr, per_example);
}

std::map<std::string, double> evaluate_task(nn::BertForSequenceClassification& model,
                                            const data::Batcher& batches, const data::GlueTaskSpec& spec,
                                            double* mean_loss, std::vector<double>* per_example) {
  NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  const bool regression = spec.is_regression;
  std::vector<int64_t> classes, labels;
  std::vector<double> predictions, scores;
  double loss_sum = 0.0;
  bool labelled = true;  // a test file's batches carry no labels: predictions only
  const Device device = model.device();
  if (per_example) per_example->assign(batches.num_examples(), 0.0);
  batches.for_each_batch(0, [&](const data::Batch& host) {
    const data::Batch b = host.to(device);  // labels are read from the host copy
    Tensor logits = model.forward({b.input_ids, b.token_type_ids, b.attention_mask});
    labelled = labelled && host.labels.defined();
    if (mean_loss && labelled) {
      // Both losses are batch means: weighted by the batch's size, they sum to the dev total.
      Tensor loss = regression ? mse_loss(logits.squeeze(-1), b.labels.to(logits.dtype()))
                               : cross_entropy(logits, b.labels);
      loss_sum += loss.to(Device::cpu()).item() * static_cast<double>(host.input_ids.size(0));
    }
    if (regression) {
      auto p = logits.squeeze(-1).to_vector<double>();
      predictions.insert(predictions.end(), p.begin(), p.end());
      if (labelled) {
        auto y = host.labels.to_vector<double>();
        scores.insert(scores.end(), y.begin(), y.end());
      }
      if (per_example)
        for (size_t r = 0; r < p.size(); ++r) (*per_example)[host.example_index[r]] = p[r];
    } else {
      auto p = argmax(logits, -1).to_vector<int64_t>();
      classes.insert(classes.end(), p.begin(), p.end());
      if (labelled) {
        auto y = host.labels.to_vector<int64_t>();
        labels.insert(labels.end(), y.begin(), y.end());
      }
      if (per_example)
        for (size_t r = 0; r < p.size(); ++r) (*per_example)[host.example_index[r]] = static_cast<double>(p[r]);
    }
  });
  model.train(was_training);
  if (mean_loss)
    *mean_loss = labelled ? loss_sum / static_cast<double>(std::max<int64_t>(1, batches.num_examples())) : NAN;
  if (!labelled) return {};
  return regression ? data::task_metrics(spec, predictions, scores)
                    : data::task_metrics(spec, classes, labels);
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
