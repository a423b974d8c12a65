// GLUE task specs and the TSV reader. See glue.h for the formats.
#include "tinytune/data/glue.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string_view>

#include "tinytune/core/error.h"
#include "tinytune/core/utf8.h"

namespace tt::data {

namespace {

// Shorthand for the column layouts below.
GlueColumns cols(std::vector<int> num_columns, bool header, int id, int a, int b, int label) {
  GlueColumns c;
  c.num_columns = std::move(num_columns);
  c.header = header;
  c.id = id;
  c.text_a = a;
  c.text_b = b;
  c.label = label;
  return c;
}

std::vector<GlueTaskSpec> make_specs() {
  const std::vector<std::string> binary = {"0", "1"};
  const std::vector<std::string> dev = {"dev.tsv"}, test = {"test.tsv"};
  std::vector<GlueTaskSpec> specs;
  auto add = [&](GlueTask task, const char* name, const char* folder, GlueColumns labelled,
                 GlueColumns unlabelled, std::vector<std::string> labels,
                 std::vector<std::string> metrics, const char* main_metric) {
    GlueTaskSpec s{task, name, folder, "train.tsv", dev, test, std::move(labelled),
                   std::move(unlabelled), false, std::move(labels), 0, std::move(metrics),
                   main_metric};
    s.is_regression = task == GlueTask::stsb;
    s.num_labels = s.is_regression ? 1 : static_cast<int64_t>(s.labels.size());
    specs.push_back(std::move(s));
  };
  //                                  labelled (train/dev)            unlabelled (test)
  //                                  ncols  header id  a  b  label    ncols header id a  b
  add(GlueTask::cola, "cola", "CoLA", cols({4}, false, -1, 3, -1, 1), cols({2}, true, 0, 1, -1, -1),
      binary, {"mcc"}, "mcc");
  add(GlueTask::sst2, "sst2", "SST-2", cols({2}, true, -1, 0, -1, 1), cols({2}, true, 0, 1, -1, -1),
      binary, {"accuracy"}, "accuracy");
  add(GlueTask::mrpc, "mrpc", "MRPC", cols({5}, true, -1, 3, 4, 0), cols({5}, true, 0, 3, 4, -1),
      binary, {"f1", "accuracy"}, "mean(f1,accuracy)");
  add(GlueTask::stsb, "stsb", "STS-B", cols({10}, true, 0, 7, 8, 9), cols({9}, true, 0, 7, 8, -1),
      {}, {"pearson", "spearmanr"}, "mean(pearson,spearmanr)");
  add(GlueTask::qqp, "qqp", "QQP", cols({6}, true, 0, 3, 4, 5), cols({3}, true, 0, 1, 2, -1),
      binary, {"f1", "accuracy"}, "mean(f1,accuracy)");
  add(GlueTask::mnli, "mnli", "MNLI", cols({12, 16}, true, 0, 8, 9, kLastColumn),
      cols({10}, true, 0, 8, 9, -1), {"contradiction", "entailment", "neutral"}, {"accuracy"},
      "accuracy");
  add(GlueTask::qnli, "qnli", "QNLI", cols({4}, true, 0, 1, 2, 3), cols({3}, true, 0, 1, 2, -1),
      {"entailment", "not_entailment"}, {"accuracy"}, "accuracy");
  add(GlueTask::rte, "rte", "RTE", cols({4}, true, 0, 1, 2, 3), cols({3}, true, 0, 1, 2, -1),
      {"entailment", "not_entailment"}, {"accuracy"}, "accuracy");
  add(GlueTask::wnli, "wnli", "WNLI", cols({4}, true, 0, 1, 2, 3), cols({3}, true, 0, 1, 2, -1),
      binary, {"accuracy"}, "accuracy");
  // MNLI evaluates on two dev sets (matched: same genres as train; mismatched: other genres).
  specs[5].dev_files = {"dev_matched.tsv", "dev_mismatched.tsv"};
  specs[5].test_files = {"test_matched.tsv", "test_mismatched.tsv"};
  return specs;
}

const std::vector<GlueTaskSpec>& specs() {
  static const std::vector<GlueTaskSpec> all = make_specs();
  return all;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
  return out;
}


bool looks_numeric(std::string_view s) {
  double value;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  return ec == std::errc() && end == s.data() + s.size() && !s.empty();
}

}  // namespace

const std::vector<GlueTask>& all_glue_tasks() {
  static const std::vector<GlueTask> tasks = {GlueTask::cola, GlueTask::sst2, GlueTask::mrpc,
                                              GlueTask::stsb, GlueTask::qqp,  GlueTask::mnli,
                                              GlueTask::qnli, GlueTask::rte,  GlueTask::wnli};
  return tasks;
}

GlueTask parse_glue_task(const std::string& name) {
  const std::string key = lower(name);
  std::vector<std::string> names;
  for (const GlueTaskSpec& s : specs()) {
    if (key == s.name || key == lower(s.folder)) return s.task;
    names.push_back(s.name);
  }
  throw Error(detail::concat("GLUE task: unknown name '", name, "' (expected one of ",
                             join(names, ", "), ")"));
}

const char* glue_task_name(GlueTask task) { return glue_spec(task).name; }

const GlueTaskSpec& glue_spec(GlueTask task) {
  for (const GlueTaskSpec& s : specs())
    if (s.task == task) return s;
  throw Error(detail::concat("glue_spec: invalid GlueTask value ", static_cast<int>(task)));
}

std::string GlueSplit::skip_report() const {
  if (skipped == 0) return "";
  std::ostringstream out;
  out << path << ": skipped " << skipped << " " << glue_spec(task).folder
      << " rows with missing fields (lines ";
  for (size_t i = 0; i < skipped_lines.size(); ++i) out << (i ? ", " : "") << skipped_lines[i];
  if (static_cast<int64_t>(skipped_lines.size()) < skipped) out << ", ...";
  out << ")";
  return out.str();
}

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (true) {
    size_t tab = line.find('\t', start);
    if (tab == std::string_view::npos) {
      fields.push_back(line.substr(start));
      return fields;
    }
    fields.push_back(line.substr(start, tab - start));
    start = tab + 1;
  }
}

GlueSplit read_glue_split(GlueTask task, const std::string& path, bool labelled) {
  const GlueTaskSpec& spec = glue_spec(task);
  const GlueColumns& layout = labelled ? spec.labelled : spec.unlabelled;
  const char* kind = labelled ? "labelled (train/dev)" : "unlabelled (test)";

  std::ifstream in(path, std::ios::binary);
  TT_CHECK(in, path, ": cannot open GLUE ", spec.folder, " file (expected a readable TSV file)");
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // MRPC's files start with a UTF-8 byte-order mark; it is not part of the first field.
  if (content.rfind("\xEF\xBB\xBF", 0) == 0) content.erase(0, 3);
  TT_CHECK(!content.empty(), path, ": empty file (expected a GLUE ", spec.folder, " ", kind,
           " TSV file)");

  GlueSplit split;
  split.task = task;
  split.path = path;
  split.labelled = labelled;
  // Without a header the column count is the spec's; with one, the header fixes it (MNLI's
  // train and dev files differ), after checking that the header's count is an accepted one.
  int expected_columns = layout.header ? -1 : layout.num_columns.front();
  std::vector<std::string> accepted;
  for (int n : layout.num_columns) accepted.push_back(std::to_string(n));

  size_t pos = 0;
  int64_t line_no = 0;
  while (pos < content.size()) {
    size_t end = content.find('\n', pos);
    if (end == std::string::npos) end = content.size();  // last line without a newline
    std::string line = content.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();  // CRLF files

    const int64_t bad = find_invalid_utf8(line);
    TT_CHECK(bad < 0, path, ":", line_no, ": invalid UTF-8 at byte ", bad + 1,
             " of the line (expected UTF-8 text)");
    const std::vector<std::string_view> fields = split_tabs(line);
    const int ncols = static_cast<int>(fields.size());

    if (line_no == 1 && layout.header) {
      TT_CHECK(std::find(layout.num_columns.begin(), layout.num_columns.end(), ncols) !=
                   layout.num_columns.end(),
               path, ":", line_no, ": expected ", join(accepted, " or "),
               " tab-separated columns, got ", ncols, " (header of a ", spec.folder, " ", kind,
               " file)");
      expected_columns = ncols;
      continue;
    }
    if (ncols != expected_columns) {
      // QQP's official train file has rows broken by newlines inside questions: skip and count
      // them (HF's run_glue drops them the same way) rather than refusing the whole file.
      if (task == GlueTask::qqp) {
        ++split.skipped;
        if (split.skipped_lines.size() < 20) split.skipped_lines.push_back(line_no);
        continue;
      }
      throw Error(detail::concat(path, ":", line_no, ": expected ", expected_columns,
                                 " tab-separated columns, got ", ncols, " (", spec.folder, " ",
                                 kind, " file)"));
    }

    GlueExample ex;
    ex.line = line_no;
    ex.text_a = std::string(fields[layout.text_a]);
    ex.has_b = layout.text_b >= 0;
    if (ex.has_b) ex.text_b = std::string(fields[layout.text_b]);
    if (layout.id >= 0) ex.id = std::string(fields[layout.id]);
    if (layout.label != -1) {
      const int column = layout.label == kLastColumn ? ncols - 1 : layout.label;
      const std::string_view label = fields[column];
      ex.has_label = true;
      if (spec.is_regression) {
        double value = 0.0;
        auto [ptr, ec] = std::from_chars(label.data(), label.data() + label.size(), value);
        TT_CHECK(ec == std::errc() && ptr == label.data() + label.size() && !label.empty(),
                 path, ":", line_no, ": non-numeric label '", label,
                 "' (expected a similarity score in [0, 5])");
        TT_CHECK(std::isfinite(value) && value >= 0.0 && value <= 5.0, path, ":", line_no,
                 ": label ", label, " out of range (expected a similarity score in [0, 5])");
        ex.score = static_cast<float>(value);
      } else {
        auto it = std::find(spec.labels.begin(), spec.labels.end(), label);
        if (it == spec.labels.end()) {
          // Tasks whose labels are the digits 0/1 get the more telling "non-numeric" message.
          const bool numeric_labels = looks_numeric(spec.labels.front());
          throw Error(detail::concat(path, ":", line_no, ": ",
                                     numeric_labels && !looks_numeric(label) ? "non-numeric"
                                                                             : "unknown",
                                     " label '", label, "' (expected one of ",
                                     join(spec.labels, ", "), ")"));
        }
        ex.label = it - spec.labels.begin();
      }
    }
    split.examples.push_back(std::move(ex));
  }
  TT_CHECK(!split.examples.empty(), path, ": no examples (expected at least one data row",
           layout.header ? " after the header" : "", ")");
  return split;
}

}  // namespace tt::data
