// GLUE metrics; see metrics.h for the reference each one follows.
#include "tinytune/data/metrics.h"

#include <algorithm>
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

std::map<std::string, double> glue_metrics(GlueTask task, const std::vector<int64_t>& predictions,
                                           const std::vector<int64_t>& labels) {
  const GlueTaskSpec& spec = glue_spec(task);
  TT_CHECK(!spec.is_regression, "glue_metrics: ", spec.name,
           " is a regression task (expected float scores: use the std::vector<double> overload)");
  check_sizes("glue_metrics", predictions, labels);
  for (size_t i = 0; i < labels.size(); ++i)
    TT_CHECK(predictions[i] >= 0 && predictions[i] < spec.num_labels && labels[i] >= 0 &&
                 labels[i] < spec.num_labels,
             "glue_metrics: ", spec.name, " expects class ids in [0, ", spec.num_labels,
             "), got prediction ", predictions[i], " and label ", labels[i], " at index ", i);
  std::map<std::string, double> out;
  for (const std::string& metric : spec.metrics) {
    if (metric == "accuracy") out[metric] = accuracy(predictions, labels);
    if (metric == "f1") out[metric] = f1_binary(predictions, labels);
    if (metric == "mcc") out[metric] = matthews_corrcoef(predictions, labels);
  }
  // The GLUE leaderboard's task score: the mean of the task's official metrics.
  double sum = 0.0;
  for (const std::string& metric : spec.metrics) sum += out.at(metric);
  out["main"] = sum / static_cast<double>(spec.metrics.size());
  return out;
}

std::map<std::string, double> glue_metrics(GlueTask task, const std::vector<double>& predictions,
                                           const std::vector<double>& labels) {
  const GlueTaskSpec& spec = glue_spec(task);
  if (!spec.is_regression) {
    // Class ids carried as doubles: convert exactly, refusing anything non-integral.
    auto to_ids = [&](const std::vector<double>& values, const char* what) {
      std::vector<int64_t> ids(values.size());
      for (size_t i = 0; i < values.size(); ++i) {
        TT_CHECK(std::floor(values[i]) == values[i], "glue_metrics: ", spec.name,
                 " expects integral class ids, got ", what, " ", values[i], " at index ", i);
        ids[i] = static_cast<int64_t>(values[i]);
      }
      return ids;
    };
    return glue_metrics(task, to_ids(predictions, "prediction"), to_ids(labels, "label"));
  }
  std::map<std::string, double> out;
  out["pearson"] = pearson(predictions, labels);
  out["spearmanr"] = spearman(predictions, labels);
  out["main"] = 0.5 * (out["pearson"] + out["spearmanr"]);
  return out;
}

}  // namespace tt::data
