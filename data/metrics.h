// The official GLUE metrics, computed as scikit-learn and scipy compute them (the reference
// implementations HF's evaluate/run_glue call), in double precision.
//
//   accuracy      sklearn.metrics.accuracy_score
//   f1            sklearn.metrics.f1_score (binary, positive class 1; 0 when tp+fp+fn == 0,
//                 sklearn's zero_division default)
//   f1_macro      sklearn.metrics.f1_score(average="macro"): the unweighted mean of each class's
//                 F1 over the classes that occur in the labels or the predictions
//   mcc           sklearn.metrics.matthews_corrcoef (any number of classes; 0 when undefined,
//                 i.e. when predictions or labels are constant)
//   pearson       scipy.stats.pearsonr(...)[0]  (NaN when either input is constant, as scipy)
//   spearmanr     scipy.stats.spearmanr(...)[0] (ties get their average rank; NaN when constant)
//
// Every function checks that its inputs have the same, non-zero length.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tinytune/data/glue.h"

namespace tt::data {

double accuracy(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels);
double f1_binary(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels);
double f1_macro(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels);
double matthews_corrcoef(const std::vector<int64_t>& predictions,
                         const std::vector<int64_t>& labels);
double pearson(const std::vector<double>& x, const std::vector<double>& y);
double spearman(const std::vector<double>& x, const std::vector<double>& y);

// Ranks 1..n, ties sharing their average rank (scipy.stats.rankdata(method="average")).
std::vector<double> average_ranks(const std::vector<double>& values);

// The task's official metrics, keyed "accuracy", "f1", "mcc", "pearson", "spearmanr" (the set
// in glue_spec(task).metrics), plus "main": the GLUE leaderboard's task score, i.e. the one
// metric, or the mean of the two for MRPC/QQP (f1, accuracy) and STS-B (pearson, spearmanr).
// Classification tasks take class ids; STS-B takes this overload only with float scores.
std::map<std::string, double> glue_metrics(GlueTask task, const std::vector<int64_t>& predictions,
                                           const std::vector<int64_t>& labels);
// STS-B: predicted and gold scores. Other tasks: class ids held as doubles (must be integral).
std::map<std::string, double> glue_metrics(GlueTask task, const std::vector<double>& predictions,
                                           const std::vector<double>& labels);

// The same for any spec, your own data's included (data/text_dataset.h): the metrics listed in
// spec.metrics ("accuracy", "f1", "f1_macro", "mcc"; regression: "pearson", "spearmanr") and
// "main": spec.main_metric when it names one of several metrics, else their mean. glue_metrics
// is task_metrics(glue_spec(task), ...).
std::map<std::string, double> task_metrics(const GlueTaskSpec& spec, const std::vector<int64_t>& predictions,
                                           const std::vector<int64_t>& labels);
std::map<std::string, double> task_metrics(const GlueTaskSpec& spec, const std::vector<double>& predictions,
                                           const std::vector<double>& labels);

}  // namespace tt::data
