// The columns, labels and problem type of your own data, over data/text_table.h's reader; see
// text_dataset.h.
#include "tinytune/data/text_dataset.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>

#include "tinytune/core/error.h"
#include "tinytune/core/join.h"
#include "tinytune/data/text_table.h"

namespace tt::data {

namespace {


// The asked-for columns of one file (data/text_table.h reads it); at least one row.
TextTable read_file(const std::string& path, const std::vector<std::string>& columns) {
  const TableFormat format = table_format_of(path);
  std::ifstream in(path, std::ios::binary);
  TT_CHECK(in, path, ": cannot open (expected a readable CSV, TSV or JSONL file)");
  TextTable table = read_text_table(in, format, path, columns);
  TT_CHECK(!table.rows.empty(), path, ": no examples (expected at least one row after the header)");
  return table;
}

std::optional<int64_t> as_integer(const std::string& s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::optional<double> as_number(const std::string& s) {
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// The labels of a classification run, from the training file (text_dataset.h: the order).
struct LabelSet {
  bool integers = false;
  std::vector<std::string> names;
  const char* origin = "the training file's labels";  // how errors name the set
  std::optional<int64_t> find(const std::string& label) const {
    if (integers) {
      const auto v = as_integer(label);
      if (!v) return std::nullopt;
      const auto it = std::find(names.begin(), names.end(), std::to_string(*v));
      return it == names.end() ? std::nullopt : std::optional<int64_t>(it - names.begin());
    }
    const auto it = std::find(names.begin(), names.end(), label);
    return it == names.end() ? std::nullopt : std::optional<int64_t>(it - names.begin());
  }
};

bool all_integers(const TextTable& t, size_t column) {
  return std::all_of(t.rows.begin(), t.rows.end(),
                     [&](const auto& row) { return as_integer(row[column]).has_value(); });
}
bool all_numbers(const TextTable& t, size_t column) {
  return std::all_of(t.rows.begin(), t.rows.end(),
                     [&](const auto& row) { return as_number(row[column]).has_value(); });
}

LabelSet label_set(const TextTable& train, size_t column) {
  const std::string& name = train.columns[column];
  LabelSet set;
  set.integers = all_integers(train, column);
  if (set.integers) {
    std::vector<int64_t> values;
    for (const auto& row : train.rows) values.push_back(*as_integer(row[column]));
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    for (int64_t v : values) set.names.push_back(std::to_string(v));
  } else {
    for (size_t r = 0; r < train.rows.size(); ++r) {
      TT_CHECK(!train.rows[r][column].empty(), train.source, ":", train.lines[r], ": column '", name,
               "': empty label (expected a class name in every row)");
      set.names.push_back(train.rows[r][column]);
    }
    std::sort(set.names.begin(), set.names.end());
    set.names.erase(std::unique(set.names.begin(), set.names.end()), set.names.end());
  }
  TT_CHECK(set.names.size() >= 2, train.source, ": column '", name, "' holds one label ('",
           set.names.front(), "') in every row (expected at least two classes; for scores use "
           "--problem-type regression)");
  return set;
}

bool decide_regression(ProblemType type, const TextTable& train, size_t column) {
  if (type == ProblemType::regression) return true;
  if (type == ProblemType::classification) return false;
  return !all_integers(train, column) && all_numbers(train, column);
}

// Where the request's columns are in a file's table; the label's only when the file has it.
struct ColumnIndex {
  std::vector<size_t> text;
  std::optional<size_t> label;
};
ColumnIndex locate(const TextTable& table, const TextDataRequest& request, bool label_required) {
  ColumnIndex index;
  for (const std::string& name : request.text_columns) index.text.push_back(table.column(name));
  if (label_required || table.has_column(request.label_column)) index.label = table.column(request.label_column);
  return index;
}

GlueSplit to_split(const TextTable& table, const ColumnIndex& index, const LabelSet& labels, bool regression) {
  GlueSplit split;
  split.path = table.source;
  split.labelled = index.label.has_value();
  split.regression = regression;
  for (size_t r = 0; r < table.rows.size(); ++r) {
    const std::vector<std::string>& row = table.rows[r];
    GlueExample ex;
    ex.line = table.lines[r];
    ex.text_a = row[index.text[0]];
    ex.has_b = index.text.size() == 2;
    if (ex.has_b) ex.text_b = row[index.text[1]];
    ex.has_label = split.labelled;
    if (split.labelled) {
      const std::string& label = row[*index.label];
      const std::string where = detail::concat(table.source, ":", ex.line, ": column '",
                                               table.columns[*index.label], "': ");
      if (regression) {
        const auto v = as_number(label);
        TT_CHECK(v.has_value(), where, "non-numeric label '", label, "' (expected a number: this is a "
                 "regression run)");
        // Scores are floats: a finite double beyond float's range would become inf.
        TT_CHECK(std::abs(*v) <= std::numeric_limits<float>::max(), where, "label ", label, " is beyond "
                 "a 32-bit float's range (expected a score within +-3.4e38)");
        ex.score = static_cast<float>(*v);
      } else {
        const auto id = labels.find(label);
        TT_CHECK(id.has_value(), where, "unknown label '", label, "' (", labels.origin, ": ",
                 join(labels.names), ")");
        ex.label = *id;
      }
    }
    split.examples.push_back(std::move(ex));
  }
  return split;
}

// A model's class names as a label set: integers compare by value when every name is one.
LabelSet model_label_set(const std::vector<std::string>& names) {
  LabelSet set;
  set.names = names;
  set.origin = "the model's labels";
  set.integers = !names.empty() && std::all_of(names.begin(), names.end(), [](const std::string& n) {
    const auto v = as_integer(n);
    return v && std::to_string(*v) == n;
  });
  return set;
}

}  // namespace

GlueTaskSpec own_task_spec(const std::vector<std::string>& label_names, bool regression) {
  GlueTaskSpec spec{};
  spec.name = "own";
  spec.folder = "";
  spec.is_regression = regression;
  spec.labels = regression ? std::vector<std::string>{} : label_names;
  spec.num_labels = regression ? 1 : static_cast<int64_t>(label_names.size());
  spec.metrics = regression ? std::vector<std::string>{"pearson", "spearmanr"}
                            : std::vector<std::string>{"accuracy", "f1_macro"};
  spec.main_metric = regression ? "mean(pearson,spearmanr)" : "accuracy";
  return spec;
}

GlueSplit labelled_split(const TextTable& table, const std::vector<std::string>& text_columns,
                         const std::string& label_column, const std::vector<std::string>& label_names,
                         bool regression) {
  TT_CHECK(!text_columns.empty() && text_columns.size() <= 2, "labelled_split: expected one or two "
           "text columns, got ", text_columns.size());
  TT_CHECK(!table.rows.empty(), table.source, ": no rows (expected labelled rows after the header)");
  ColumnIndex index;
  for (const std::string& name : text_columns) index.text.push_back(table.column(name));
  index.label = table.column(label_column);
  return to_split(table, index, model_label_set(label_names), regression);
}

ProblemType parse_problem_type(const std::string& name, const std::string& flag) {
  if (name == "auto") return ProblemType::automatic;
  if (name == "classification") return ProblemType::classification;
  if (name == "regression") return ProblemType::regression;
  throw Error(detail::concat(flag, ": expected auto, classification or regression, got '", name, "'"));
}

TextDataset read_text_dataset(const TextDataRequest& request) {
  const size_t n_text = request.text_columns.size();
  TT_CHECK(n_text == 1 || n_text == 2, "--text-columns: expected one or two column names, got ", n_text);
  TT_CHECK(!request.label_column.empty(), "--label-column: expected a column name, got ''");
  std::vector<std::string> columns = request.text_columns;
  columns.push_back(request.label_column);

  const TextTable train = read_file(request.train_file, columns);
  const TextTable validation = read_file(request.validation_file, columns);
  const ColumnIndex train_index = locate(train, request, true);
  const ColumnIndex validation_index = locate(validation, request, true);
  const bool regression = decide_regression(request.problem_type, train, *train_index.label);
  const LabelSet labels = regression ? LabelSet{} : label_set(train, *train_index.label);

  TextDataset out;
  out.spec = own_task_spec(labels.names, regression);
  out.spec.train_file = request.train_file;
  out.spec.dev_files = {request.validation_file};
  if (!request.test_file.empty()) out.spec.test_files = {request.test_file};
  out.train = to_split(train, train_index, labels, regression);
  out.validation = to_split(validation, validation_index, labels, regression);
  if (!request.test_file.empty()) {
    const TextTable test = read_file(request.test_file, columns);
    out.test = to_split(test, locate(test, request, false), labels, regression);  // labels optional
  }
  return out;
}

}  // namespace tt::data
