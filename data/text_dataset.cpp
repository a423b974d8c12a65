// CSV/TSV/JSONL readers and the label handling of your own data; see text_dataset.h.
#include "tinytune/data/text_dataset.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "tinytune/core/error.h"
#include "tinytune/core/utf8.h"

namespace tt::data {

namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out;
}

std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  TT_CHECK(in, path, ": cannot open (expected a readable CSV, TSV or JSONL file)");
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (content.rfind("\xEF\xBB\xBF", 0) == 0) content.erase(0, 3);  // a UTF-8 byte-order mark
  return content;
}

enum class FileKind { csv, tsv, jsonl };

FileKind file_kind(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == ".csv") return FileKind::csv;
  if (ext == ".tsv") return FileKind::tsv;
  if (ext == ".jsonl" || ext == ".json") return FileKind::jsonl;
  throw Error(detail::concat(path, ": unknown file type '", ext,
                             "' (expected a .csv, .tsv or .jsonl file)"));
}

struct RawRecord {
  int64_t line = 0;
  std::vector<std::string> fields;
};

// RFC 4180 records separated by `sep` (see text_dataset.h). `line` counts physical lines, so a
// quoted field with line breaks moves the next record's line on.
class DelimitedParser {
 public:
  DelimitedParser(const std::string& path, const std::string& text, char sep)
      : path_(path), s_(text), sep_(sep) {}

  std::vector<RawRecord> records() {
    std::vector<RawRecord> out;
    while (i_ < s_.size()) {
      RawRecord r{line_, {}};
      bool quoted_any = false;
      while (true) {
        quoted_any |= i_ < s_.size() && s_[i_] == '"';
        r.fields.push_back(field(r.fields.size() + 1));
        if (i_ >= s_.size()) break;
        if (s_[i_] == sep_) {
          ++i_;
          continue;
        }
        ++i_;  // '\n'
        ++line_;
        break;
      }
      const bool blank = r.fields.size() == 1 && r.fields[0].empty() && !quoted_any;
      if (!blank) out.push_back(std::move(r));
    }
    return out;
  }

 private:
  std::string where(size_t column) const {
    return detail::concat(path_, ":", line_, ": field ", column, ": ");
  }
  bool at_line_end(size_t i) const {
    return i >= s_.size() || s_[i] == '\n' || (s_[i] == '\r' && (i + 1 == s_.size() || s_[i + 1] == '\n'));
  }
  // One field; leaves i_ on the separator, the '\n' or the end (a '\r' before '\n' consumed).
  std::string field(size_t column) {
    std::string value;
    if (i_ < s_.size() && s_[i_] == '"') {
      const int64_t opened = line_;
      ++i_;
      while (true) {
        TT_CHECK(i_ < s_.size(), path_, ":", opened, ": field ", column,
                 ": quoted field never closed (expected a closing '\"' before the end of the file)");
        const char c = s_[i_++];
        if (c == '"') {
          if (i_ < s_.size() && s_[i_] == '"') {
            value += '"';
            ++i_;
            continue;
          }
          break;
        }
        if (c == '\n') ++line_;
        value += c;
      }
      TT_CHECK(i_ >= s_.size() || s_[i_] == sep_ || at_line_end(i_), where(column),
               "text after a closing quote (expected the separator or the end of the line; "
               "a quote inside a quoted field is written \"\")");
    } else {
      while (i_ < s_.size() && s_[i_] != sep_ && s_[i_] != '\n') {
        TT_CHECK(s_[i_] != '"', where(column), "a quote inside an unquoted field (expected the "
                 "whole field quoted, with each quote doubled: RFC 4180)");
        value += s_[i_++];
      }
      if (!value.empty() && value.back() == '\r' && (i_ >= s_.size() || s_[i_] == '\n'))
        value.pop_back();
    }
    if (i_ < s_.size() && s_[i_] == '\r') ++i_;  // CRLF after a quoted field
    return value;
  }

  const std::string& path_;
  const std::string& s_;
  char sep_;
  size_t i_ = 0;
  int64_t line_ = 1;
};

std::vector<std::string> header_names(const RawRecord& header, const std::string& path) {
  std::vector<std::string> names = header.fields;
  for (size_t i = 0; i < names.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      TT_CHECK(names[i] != names[j], path, ":", header.line, ": column '", names[i],
               "' appears twice in the header (expected unique column names)");
  return names;
}

TextRecords read_delimited(const std::string& path, const std::string& content, char sep,
                         const std::vector<std::string>& columns, const std::vector<bool>& required) {
  std::vector<RawRecord> raw = DelimitedParser(path, content, sep).records();
  const char* kind = sep == ',' ? "comma" : "tab";
  TT_CHECK(!raw.empty(), path, ": empty file (expected a header line of column names, then records)");
  const std::vector<std::string> names = header_names(raw[0], path);
  TextRecords table{path, {}, {}};
  std::vector<int> index;
  for (size_t c = 0; c < columns.size(); ++c) {
    const auto it = std::find(names.begin(), names.end(), columns[c]);
    TT_CHECK(it != names.end() || !required[c], path, ":", raw[0].line, ": no column '", columns[c],
             "' in the header (it has: ", join(names), ")");
    index.push_back(it == names.end() ? -1 : static_cast<int>(it - names.begin()));
    table.present.push_back(it != names.end());
  }
  for (size_t r = 1; r < raw.size(); ++r) {
    const RawRecord& rec = raw[r];
    TT_CHECK(rec.fields.size() == names.size(), path, ":", rec.line, ": expected ", names.size(),
             " ", kind, "-separated fields (as in the header), got ", rec.fields.size());
    TextRecord out{rec.line, {}};
    for (size_t c = 0; c < columns.size(); ++c)
      out.values.push_back(index[c] < 0 ? std::string() : rec.fields[index[c]]);
    table.records.push_back(std::move(out));
  }
  return table;
}

// A JSON value as a column's text: strings as they are, numbers and booleans as JSON writes them.
std::string json_cell(const nlohmann::json& v, const std::string& path, int64_t line,
                      const std::string& column) {
  if (v.is_string()) return v.get<std::string>();
  TT_CHECK(v.is_number() || v.is_boolean(), path, ":", line, ": column '", column,
           "': expected a string, a number or a boolean, got ", v.type_name());
  return v.dump();
}

TextRecords read_jsonl(const std::string& path, const std::string& content,
                     const std::vector<std::string>& columns, const std::vector<bool>& required) {
  TextRecords table{path, std::vector<bool>(columns.size(), false), {}};
  size_t pos = 0;
  int64_t line_no = 0;
  while (pos < content.size()) {
    size_t end = content.find('\n', pos);
    if (end == std::string::npos) end = content.size();
    std::string line = content.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank line
    const int64_t bad = find_invalid_utf8(line);
    TT_CHECK(bad < 0, path, ":", line_no, ": invalid UTF-8 at byte ", bad + 1, " of the line");
    nlohmann::json object;
    try {
      object = nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
      throw Error(detail::concat(path, ":", line_no, ":", e.byte, ": not valid JSON (expected one "
                                 "JSON object per line): ", e.what()));
    } catch (const nlohmann::json::exception& e) {  // out_of_range: a number beyond a double's range
      throw Error(detail::concat(path, ":", line_no, ": not valid JSON (expected one JSON object per "
                                 "line): ", e.what()));
    }
    TT_CHECK(object.is_object(), path, ":", line_no, ": expected a JSON object, got ", object.type_name());
    const bool first = table.records.empty();
    TextRecord rec{line_no, {}};
    for (size_t c = 0; c < columns.size(); ++c) {
      const bool has = object.contains(columns[c]);
      if (first) table.present[c] = has;
      // Optional columns: present in the first record means present in every record.
      TT_CHECK(has || !(required[c] || table.present[c]), path, ":", line_no, ": no key '", columns[c],
               "' in the object (expected it in every line", required[c] ? "" : ", as in the first", ")");
      rec.values.push_back(has ? json_cell(object[columns[c]], path, line_no, columns[c]) : "");
    }
    table.records.push_back(std::move(rec));
  }
  TT_CHECK(!table.records.empty(), path, ": empty file (expected one JSON object per line)");
  return table;
}

void check_utf8(const TextRecords& table, const std::vector<std::string>& columns) {
  for (const TextRecord& r : table.records)
    for (size_t c = 0; c < columns.size(); ++c) {
      const int64_t bad = find_invalid_utf8(r.values[c]);
      TT_CHECK(bad < 0, table.path, ":", r.line, ": column '", columns[c], "': invalid UTF-8 at byte ",
               bad + 1, " (expected UTF-8 text)");
    }
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

bool all_integers(const TextRecords& t, size_t column) {
  return std::all_of(t.records.begin(), t.records.end(),
                     [&](const TextRecord& r) { return as_integer(r.values[column]).has_value(); });
}
bool all_numbers(const TextRecords& t, size_t column) {
  return std::all_of(t.records.begin(), t.records.end(),
                     [&](const TextRecord& r) { return as_number(r.values[column]).has_value(); });
}

LabelSet label_set(const TextRecords& train, size_t column, const std::string& name) {
  LabelSet set;
  set.integers = all_integers(train, column);
  if (set.integers) {
    std::vector<int64_t> values;
    for (const TextRecord& r : train.records) values.push_back(*as_integer(r.values[column]));
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    for (int64_t v : values) set.names.push_back(std::to_string(v));
  } else {
    for (const TextRecord& r : train.records) {
      TT_CHECK(!r.values[column].empty(), train.path, ":", r.line, ": column '", name,
               "': empty label (expected a class name in every row)");
      set.names.push_back(r.values[column]);
    }
    std::sort(set.names.begin(), set.names.end());
    set.names.erase(std::unique(set.names.begin(), set.names.end()), set.names.end());
  }
  TT_CHECK(set.names.size() >= 2, train.path, ": column '", name, "' holds one label ('",
           set.names.front(), "') in every row (expected at least two classes; for scores use "
           "--problem-type regression)");
  return set;
}

bool decide_regression(ProblemType type, const TextRecords& train, size_t column) {
  if (type == ProblemType::regression) return true;
  if (type == ProblemType::classification) return false;
  return !all_integers(train, column) && all_numbers(train, column);
}

GlueSplit to_split(const TextRecords& table, const TextDataRequest& request, const LabelSet* labels,
                   bool regression, bool with_labels) {
  GlueSplit split;
  split.path = table.path;
  split.labelled = with_labels;
  split.regression = regression;
  const size_t label_col = request.text_columns.size();
  const std::string& label_name = request.label_column;
  for (const TextRecord& r : table.records) {
    GlueExample ex;
    ex.line = r.line;
    ex.text_a = r.values[0];
    ex.has_b = request.text_columns.size() == 2;
    if (ex.has_b) ex.text_b = r.values[1];
    ex.has_label = with_labels;
    if (with_labels && regression) {
      const auto v = as_number(r.values[label_col]);
      TT_CHECK(v.has_value(), table.path, ":", r.line, ": column '", label_name, "': non-numeric label '",
               r.values[label_col], "' (expected a number: this is a regression run)");
      // Scores are floats: a finite double beyond float's range would become inf.
      TT_CHECK(std::abs(*v) <= std::numeric_limits<float>::max(), table.path, ":", r.line, ": column '",
               label_name, "': label ", r.values[label_col], " is beyond a 32-bit float's range (expected "
               "a score within +-3.4e38)");
      ex.score = static_cast<float>(*v);
    } else if (with_labels) {
      const auto id = labels->find(r.values[label_col]);
      TT_CHECK(id.has_value(), table.path, ":", r.line, ": column '", label_name, "': unknown label '",
               r.values[label_col], "' (the training file's labels: ", join(labels->names), ")");
      ex.label = *id;
    }
    split.examples.push_back(std::move(ex));
  }
  return split;
}

GlueTaskSpec own_spec(const TextDataRequest& request, bool regression, const LabelSet& labels) {
  GlueTaskSpec spec{};
  spec.name = "own";
  spec.folder = "";
  spec.train_file = request.train_file;
  spec.dev_files = {request.validation_file};
  if (!request.test_file.empty()) spec.test_files = {request.test_file};
  spec.is_regression = regression;
  spec.labels = regression ? std::vector<std::string>{} : labels.names;
  spec.num_labels = regression ? 1 : static_cast<int64_t>(labels.names.size());
  spec.metrics = regression ? std::vector<std::string>{"pearson", "spearmanr"}
                            : std::vector<std::string>{"accuracy", "f1_macro"};
  spec.main_metric = regression ? "mean(pearson,spearmanr)" : "accuracy";
  return spec;
}

}  // namespace

ProblemType parse_problem_type(const std::string& name, const std::string& flag) {
  if (name == "auto") return ProblemType::automatic;
  if (name == "classification") return ProblemType::classification;
  if (name == "regression") return ProblemType::regression;
  throw Error(detail::concat(flag, ": expected auto, classification or regression, got '", name, "'"));
}

TextRecords read_text_records(const std::string& path, const std::vector<std::string>& columns,
                              const std::vector<bool>& required) {
  const FileKind kind = file_kind(path);
  const std::string content = read_whole_file(path);
  TT_CHECK(content.find_first_not_of(" \t\r\n") != std::string::npos, path, ": empty file (expected ",
           kind == FileKind::jsonl ? "one JSON object per line" : "a header line of column names, then records",
           ")");
  TextRecords table = kind == FileKind::jsonl ? read_jsonl(path, content, columns, required)
                                            : read_delimited(path, content, kind == FileKind::csv ? ',' : '\t',
                                                             columns, required);
  TT_CHECK(!table.records.empty(), path, ": no examples (expected at least one record after the "
           "header line)");
  check_utf8(table, columns);
  return table;
}

TextDataset read_text_dataset(const TextDataRequest& request) {
  const size_t n_text = request.text_columns.size();
  TT_CHECK(n_text == 1 || n_text == 2, "--text-columns: expected one or two column names, got ", n_text);
  TT_CHECK(!request.label_column.empty(), "--label-column: expected a column name, got ''");
  std::vector<std::string> columns = request.text_columns;
  columns.push_back(request.label_column);
  const std::vector<bool> all(columns.size(), true);
  std::vector<bool> label_optional(columns.size(), true);
  label_optional.back() = false;

  const TextRecords train = read_text_records(request.train_file, columns, all);
  const TextRecords validation = read_text_records(request.validation_file, columns, all);
  const bool regression = decide_regression(request.problem_type, train, n_text);
  const LabelSet labels = regression ? LabelSet{} : label_set(train, n_text, request.label_column);

  TextDataset out;
  out.spec = own_spec(request, regression, labels);
  out.train = to_split(train, request, &labels, regression, true);
  out.validation = to_split(validation, request, &labels, regression, true);
  if (!request.test_file.empty()) {
    const TextRecords test = read_text_records(request.test_file, columns, label_optional);
    out.test = to_split(test, request, &labels, regression, test.present.back());
  }
  return out;
}

}  // namespace tt::data
