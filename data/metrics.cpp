// GLUE metrics; see metrics.h for the reference each one follows.
#include "tinytune/data/metrics.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>

#include "tinytune/core/error.h"

namespace tt::data {

namespace {

template <typename A, typename B>
void check_sizes(const char* metric, const std::vector<A>& predictions,
                 const std::vector<B>& labels, size_t min_size = 1) {
  TT_CHECK(predictions.size() == labels.size(), metric, ": expected as many predictions as labels, got ",
           predictions.size(), " and ", labels.size());
  TT_CHECK(predictions.size() >= min_size, metric, ": expected at least ", min_size,
           " value(s), got ", predictions.size());
}

}  // namespace

double accuracy(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels) {
  check_sizes("accuracy", predictions, labels);
  int64_t correct = 0;
  for (size_t i = 0; i < labels.size(); ++i) correct += predictions[i] == labels[i];
  return static_cast<double>(correct) / static_cast<double>(labels.size());
}

double f1_binary(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels) {
  check_sizes("f1", predictions, labels);
  int64_t tp = 0, fp = 0, fn = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    TT_CHECK((predictions[i] == 0 || predictions[i] == 1) && (labels[i] == 0 || labels[i] == 1),
             "f1: expected binary class ids 0/1, got prediction ", predictions[i], " and label ",
             labels[i], " at index ", i);
    tp += predictions[i] == 1 && labels[i] == 1;
    fp += predictions[i] == 1 && labels[i] == 0;
    fn += predictions[i] == 0 && labels[i] == 1;
  }
  // 2PR/(P+R) = 2tp/(2tp+fp+fn); with no positives anywhere sklearn returns 0 (zero_division).
  const int64_t denominator = 2 * tp + fp + fn;
  return denominator == 0 ? 0.0 : 2.0 * static_cast<double>(tp) / static_cast<double>(denominator);
}

double matthews_corrcoef(const std::vector<int64_t>& predictions,
                         const std::vector<int64_t>& labels) {
  check_sizes("mcc", predictions, labels);
  // sklearn's multiclass form (Gorodkin 2004) from per-class totals: t_k (true count of class
  // k), p_k (predicted count), c (correct), s (samples).
  std::map<int64_t, std::pair<double, double>> totals;  // class -> (t_k, p_k)
  double correct = 0.0;
  for (size_t i = 0; i < labels.size(); ++i) {
    totals[labels[i]].first += 1.0;
    totals[predictions[i]].second += 1.0;
    correct += predictions[i] == labels[i];
  }
  const double s = static_cast<double>(labels.size());
  double tp_dot = 0.0, pp_dot = 0.0, tt_dot = 0.0;
  for (const auto& [cls, tp] : totals) {
    tp_dot += tp.first * tp.second;
    pp_dot += tp.second * tp.second;
    tt_dot += tp.first * tp.first;
  }
  const double cov_ytyp = correct * s - tp_dot;
  const double cov_ypyp = s * s - pp_dot;
  const double cov_ytyt = s * s - tt_dot;
  const double product = cov_ypyp * cov_ytyt;
  return product == 0.0 ? 0.0 : cov_ytyp / std::sqrt(product);
}

double pearson(const std::vector<double>& x, const std::vector<double>& y) {
  check_sizes("pearson", x, y, 2);
  const double n = static_cast<double>(x.size());
  // scipy gives NaN when either input is exactly constant.
  const bool x_const = std::all_of(x.begin(), x.end(), [&](double v) { return v == x[0]; });
  const bool y_const = std::all_of(y.begin(), y.end(), [&](double v) { return v == y[0]; });
  if (x_const || y_const) return std::numeric_limits<double>::quiet_NaN();
  // Two passes (mean, then centred sums) as scipy does: no cancellation from sum(x^2) - n*mean^2.
  const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n;
  const double my = std::accumulate(y.begin(), y.end(), 0.0) / n;
  double sxy = 0.0, sxx = 0.0, syy = 0.0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double dx = x[i] - mx, dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  const double r = sxy / (std::sqrt(sxx) * std::sqrt(syy));
  return std::clamp(r, -1.0, 1.0);
}

std::vector<double> average_ranks(const std::vector<double>& values) {
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(values.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && values[order[j + 1]] == values[order[i]]) ++j;
    // Positions i..j (0-based) tie: each gets the mean of ranks i+1..j+1.
    const double rank = 0.5 * static_cast<double>(i + j) + 1.0;
    for (size_t k = i; k <= j; ++k) ranks[order[k]] = rank;
    i = j + 1;
  }
  return ranks;
}

double spearman(const std::vector<double>& x, const std::vector<double>& y) {
  check_sizes("spearmanr", x, y, 2);
  for (size_t i = 0; i < x.size(); ++i)
    TT_CHECK(!std::isnan(x[i]) && !std::isnan(y[i]), "spearmanr: expected no NaN values, got one at index ", i);
  return pearson(average_ranks(x), average_ranks(y));
}

double f1_macro(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels) {
  check_sizes("f1_macro", predictions, labels);
  std::map<int64_t, std::array<int64_t, 3>> counts;  // class -> (tp, fp, fn)
  for (size_t i = 0; i < labels.size(); ++i) {
    if (predictions[i] == labels[i]) {
      ++counts[labels[i]][0];
    } else {
      ++counts[predictions[i]][1];
      ++counts[labels[i]][2];
    }
  }
  // Every class seen (sklearn's unique_labels of both) has 2tp+fp+fn > 0.
  double sum = 0.0;
  for (const auto& [cls, c] : counts)
    sum += 2.0 * static_cast<double>(c[0]) / static_cast<double>(2 * c[0] + c[1] + c[2]);
  return sum / static_cast<double>(counts.size());
}

namespace {

// "main": the metric main_metric names when the spec lists several (your own data: accuracy
// beside f1_macro); otherwise the mean of the spec's metrics (GLUE's task score).
void add_main(const GlueTaskSpec& spec, std::map<std::string, double>& out) {
  if (spec.metrics.size() > 1 && out.count(spec.main_metric)) {
    out["main"] = out.at(spec.main_metric);
    return;
  }
  double sum = 0.0;
  for (const std::string& metric : spec.metrics) sum += out.at(metric);
  out["main"] = sum / static_cast<double>(spec.metrics.size());
}

}  // namespace

std::map<std::string, double> task_metrics(const GlueTaskSpec& spec, const std::vector<int64_t>& predictions,
                                           const std::vector<int64_t>& labels) {
  TT_CHECK(!spec.is_regression, "task_metrics: ", spec.name,
           " is a regression task (expected float scores: use the std::vector<double> overload)");
  check_sizes("task_metrics", predictions, labels);
  for (size_t i = 0; i < labels.size(); ++i)
    TT_CHECK(predictions[i] >= 0 && predictions[i] < spec.num_labels && labels[i] >= 0 &&
                 labels[i] < spec.num_labels,
             "task_metrics: ", spec.name, " expects class ids in [0, ", spec.num_labels,
             "), got prediction ", predictions[i], " and label ", labels[i], " at index ", i);
  std::map<std::string, double> out;
  for (const std::string& metric : spec.metrics) {
    if (metric == "accuracy") out[metric] = accuracy(predictions, labels);
    if (metric == "f1") out[metric] = f1_binary(predictions, labels);
    if (metric == "f1_macro") out[metric] = f1_macro(predictions, labels);
    if (metric == "mcc") out[metric] = matthews_corrcoef(predictions, labels);
  }
  add_main(spec, out);
  return out;
}

std::map<std::string, double> task_metrics(const GlueTaskSpec& spec, const std::vector<double>& predictions,
                                           const std::vector<double>& labels) {
  if (!spec.is_regression) {
    // Class ids carried as doubles: convert exactly, refusing anything non-integral.
    auto to_ids = [&](const std::vector<double>& values, const char* what) {
      std::vector<int64_t> ids(values.size());
      for (size_t i = 0; i < values.size(); ++i) {
        TT_CHECK(std::floor(values[i]) == values[i], "task_metrics: ", spec.name,
                 " expects integral class ids, got ", what, " ", values[i], " at index ", i);
        ids[i] = static_cast<int64_t>(values[i]);
      }
      return ids;
    };
    return task_metrics(spec, to_ids(predictions, "prediction"), to_ids(labels, "label"));
  }
  std::map<std::string, double> out;
  out["pearson"] = pearson(predictions, labels);
  out["spearmanr"] = spearman(predictions, labels);
  out["main"] = 0.5 * (out["pearson"] + out["spearmanr"]);
  return out;
}

std::map<std::string, double> glue_metrics(GlueTask task, const std::vector<int64_t>& predictions,
                                           const std::vector<int64_t>& labels) {
  return task_metrics(glue_spec(task), predictions, labels);
}

std::map<std::string, double> glue_metrics(GlueTask task, const std::vector<double>& predictions,
                                           const std::vector<double>& labels) {
  return task_metrics(glue_spec(task), predictions, labels);
}

}  // namespace tt::data
