// What build/bin/predict reads and writes around train::TextClassifier: which columns of a
// user's table hold the text, the predictions as TSV or JSON Lines, and the GLUE benchmark's
// submission files.
#pragma once
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "tinytune/data/glue.h"
#include "tinytune/data/text_table.h"
#include "tinytune/train/text_classifier.h"

namespace tt::train {

// The column(s) holding the text: `requested` ("a" or "a,b", names; --text-columns) when given,
// else the first pair found of (sentence1, sentence2), (question1, question2),
// (question, sentence), else "sentence", else "text", else the first column. Errors name
// the table's source and the flag: an unknown column, more than two.
std::vector<size_t> text_columns(const data::TextTable& table, const std::string& requested);

// Column `column` of every row, in order.
std::vector<std::string> column_values(const data::TextTable& table, size_t column);

enum class PredictionFormat { tsv, jsonl };
// From the output file's extension: .tsv or .jsonl (.json); else an error naming --output.
PredictionFormat prediction_format_of(const std::string& path);

// One line per prediction, after a header line for TSV:
//   tsv    label<TAB><name_0><TAB>...   the label name, then each class's probability
//          score                        regression: the model's output
//   jsonl  {"label": "positive", "probabilities": {"negative": 0.1, "positive": 0.9}}
//          {"score": 3.2}               regression
void write_predictions(std::ostream& out, PredictionFormat format,
                       const std::vector<Prediction>& predictions,
                       const std::vector<std::string>& label_names);

// Metrics of `predictions` against the gold labels of `gold` (data::labelled_split, in the same
// order): accuracy and f1_macro for classes, pearson and spearmanr for scores, and "main"
// (data::task_metrics over data::own_task_spec(label_names, ...)), as train_glue reports them.
std::map<std::string, double> prediction_metrics(const data::GlueSplit& gold,
                                                 const std::vector<Prediction>& predictions,
                                                 const std::vector<std::string>& label_names);

// The name GLUE's server expects for `task`'s predictions on `test_file`: "SST-2.tsv", ...;
// MNLI: "MNLI-m.tsv" for test_matched.tsv, "MNLI-mm.tsv" for test_mismatched.tsv (an error
// naming the file for any other MNLI file).
std::string glue_submission_name(data::GlueTask task, const std::string& test_file);

// "index<TAB>prediction", then a line per example: its id and the task's label string
// (spec.labels[class]: "entailment", ... for MNLI, QNLI, RTE; 0/1 for the others) or, for
// STS-B, the score.
void write_glue_submission(std::ostream& out, const data::GlueSplit& test,
                           const std::vector<Prediction>& predictions);

}  // namespace tt::train
