// Your own data for train_glue (--train-file, --validation-file, --test-file): CSV, TSV or JSONL
// files with named columns, read into the same splits the GLUE reader gives (GlueSplit), with a
// task spec of their own (the labels, the metrics) so the trainer treats both alike.
//
// The files are read by data/text_table.h, the reader predict uses too, by extension: .csv
// (RFC 4180 quoting: a quoted field may hold commas, line breaks and "" for a quote), .tsv
// (fields split on tabs, no quoting: a '"' is text) or .jsonl (one JSON object per line; a
// value is a string, a number or a boolean). Only the asked-for columns are read and checked
// (valid UTF-8); every row must have the header's number of fields.
//
// Labels (--label-column) are read from the training file:
//   classification: the label set is every distinct label of the training file, in numeric
//                   order when all are integers ("0" < "2" < "10"), else in byte order ("neg" <
//                   "pos"). A validation or test label outside the set is an error.
//   regression:     every label must be a number; the model predicts one score.
// --problem-type auto (the default) picks classification for integers and strings, regression
// when every label is a number and one at least is not an integer (HF's run_classification
// rule: int and string columns classify, float columns regress).
//
// Errors start "PATH:LINE: " (and the column's name where one is at fault) and say what was
// expected: a missing column, a malformed record, an unknown label, an empty file.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "tinytune/data/glue.h"
#include "tinytune/data/text_table.h"

namespace tt::data {

enum class ProblemType { automatic, classification, regression };
// "auto", "classification", "regression"; anything else is a tt::Error naming `flag`.
ProblemType parse_problem_type(const std::string& name, const std::string& flag);

struct TextDataRequest {
  std::string train_file, validation_file;
  std::string test_file;                  // optional ("": none)
  std::vector<std::string> text_columns;  // one (single sentence) or two (a pair)
  std::string label_column = "label";
  ProblemType problem_type = ProblemType::automatic;
};

struct TextDataset {
  // name "own", labels, num_labels, is_regression, metrics (accuracy and f1_macro; or pearson
  // and spearmanr) and main_metric ("accuracy"; or "mean(pearson,spearmanr)"). The GLUE-only
  // fields (task, folder, file names, column layouts) are unused.
  GlueTaskSpec spec;
  GlueSplit train, validation;
  std::optional<GlueSplit> test;  // labelled when the file has the label column
};

// Reads the files of `request`; every error names the file, the line and the column or flag.
TextDataset read_text_dataset(const TextDataRequest& request);

// Your own data's spec for these classes (no file names): accuracy and f1_macro, or pearson and
// spearmanr (main: accuracy, or their mean).
GlueTaskSpec own_task_spec(const std::vector<std::string>& label_names, bool regression);

// A labelled table scored against a trained model's classes rather than a training file's
// (predict --label-column, eval_adapter --validation-file): the label column as class ids of
// `label_names` (integer names compare by value), or as numbers when `regression`. A missing
// column or a label outside label_names is an error naming the file, the line and the known
// labels or columns.
GlueSplit labelled_split(const TextTable& table, const std::vector<std::string>& text_columns,
                         const std::string& label_column, const std::vector<std::string>& label_names,
                         bool regression);

}  // namespace tt::data
