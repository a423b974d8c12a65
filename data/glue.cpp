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
#include "tinytune/core/join.h"
#include "tinytune/core/utf8.h"

namespace tt::data {

namespace {

// Shorthand for the column layouts below: the column counts follow from the header lines
// (tab-separated names); a file kind without a header gives its count instead.
GlueColumns cols(std::vector<std::string> headers, int id, int a, int b, int label,
                 int headerless_columns = 0) {
  GlueColumns c;
  c.header = !headers.empty();
  if (!c.header) c.num_columns = {headerless_columns};
  for (const std::string& h : headers)
    c.num_columns.push_back(1 + static_cast<int>(std::count(h.begin(), h.end(), '\t')));
  c.headers = std::move(headers);
  c.id = id;
  c.text_a = a;
  c.text_b = b;
  c.label = label;
  return c;
}

// The official header lines (MNLI and QQP as the GLUE download wrote them; the rest as in the
// files under ../shared/glue).
const std::string kPairHeader = "index\tsentence1\tsentence2";
const std::string kMrpcColumns = "#1 ID\t#2 ID\t#1 String\t#2 String";
const std::string kStsbHeader =
    "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2";
const std::string kMnliHeader =
    "index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\tsentence2_binary_parse\t"
    "sentence1_parse\tsentence2_parse\tsentence1\tsentence2";

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
  //                                  labelled (train/dev): headers, id, a, b, label (, count)
  //                                  unlabelled (test):    headers, id, a, b
  add(GlueTask::cola, "cola", "CoLA", cols({}, -1, 3, -1, 1, 4),
      cols({"index\tsentence"}, 0, 1, -1, -1), binary, {"mcc"}, "mcc");
  add(GlueTask::sst2, "sst2", "SST-2", cols({"sentence\tlabel"}, -1, 0, -1, 1),
      cols({"index\tsentence"}, 0, 1, -1, -1), binary, {"accuracy"}, "accuracy");
  add(GlueTask::mrpc, "mrpc", "MRPC", cols({"Quality\t" + kMrpcColumns}, -1, 3, 4, 0),
      cols({"index\t" + kMrpcColumns}, 0, 3, 4, -1), binary, {"f1", "accuracy"},
      "mean(f1,accuracy)");
  add(GlueTask::stsb, "stsb", "STS-B", cols({kStsbHeader + "\tscore"}, 0, 7, 8, 9),
      cols({kStsbHeader}, 0, 7, 8, -1), {}, {"pearson", "spearmanr"},
      "mean(pearson,spearmanr)");
  add(GlueTask::qqp, "qqp", "QQP", cols({"id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate"}, 0, 3, 4, 5),
      cols({"id\tquestion1\tquestion2"}, 0, 1, 2, -1), binary, {"f1", "accuracy"},
      "mean(f1,accuracy)");
  add(GlueTask::mnli, "mnli", "MNLI",
      cols({kMnliHeader + "\tlabel1\tgold_label",
            kMnliHeader + "\tlabel1\tlabel2\tlabel3\tlabel4\tlabel5\tgold_label"},
           0, 8, 9, kLastColumn),
      cols({kMnliHeader}, 0, 8, 9, -1), {"contradiction", "entailment", "neutral"},
      {"accuracy"}, "accuracy");
  add(GlueTask::qnli, "qnli", "QNLI", cols({"index\tquestion\tsentence\tlabel"}, 0, 1, 2, 3),
      cols({"index\tquestion\tsentence"}, 0, 1, 2, -1), {"entailment", "not_entailment"},
      {"accuracy"}, "accuracy");
  add(GlueTask::rte, "rte", "RTE", cols({kPairHeader + "\tlabel"}, 0, 1, 2, 3),
      cols({kPairHeader}, 0, 1, 2, -1), {"entailment", "not_entailment"}, {"accuracy"},
      "accuracy");
  add(GlueTask::wnli, "wnli", "WNLI", cols({kPairHeader + "\tlabel"}, 0, 1, 2, 3),
      cols({kPairHeader}, 0, 1, 2, -1), binary, {"accuracy"}, "accuracy");
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



bool looks_numeric(std::string_view s) {
  double value;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  return ec == std::errc() && end == s.data() + s.size() && !s.empty();
}

// A header line as messages show it: tabs as <TAB>, so that the columns can be told apart.
std::string shown(std::string_view line) {
  std::string out;
  for (char c : line) out += c == '\t' ? std::string("<TAB>") : std::string(1, c);
  return out;
}

// The first line of a file whose kind has a header must be one of the official header lines.
void check_header(const std::string& path, const std::string& line, const GlueColumns& layout,
                  const char* folder, const char* kind) {
  if (std::find(layout.headers.begin(), layout.headers.end(), line) != layout.headers.end())
    return;
  std::vector<std::string> expected;
  for (const std::string& h : layout.headers)
    expected.push_back(detail::concat("'", shown(h), "'"));
  throw Error(detail::concat(path, ":1: the first line '", shown(line), "' is not the header; "
                             "expected the ", folder, " ", kind, " header ",
                             join(expected, " or "), " (is the file missing its header line?)"));
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

bool GlueSplit::is_regression() const { return regression || glue_spec(task).is_regression; }

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
      check_header(path, line, layout, spec.folder, kind);
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
