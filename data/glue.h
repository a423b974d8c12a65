// The nine GLUE tasks (Wang et al. 2019): what each task's official TSV files look like, and a
// reader that turns one file into examples.
//
// Formats, exactly as GLUE's download script wrote them (checked against the real files in
// ../shared/glue, and the official layouts for QQP and MNLI):
//   CoLA   train/dev: NO header, 4 columns  source, label, original mark, sentence
//          test:      header "index sentence"
//   SST-2  train/dev: header "sentence label";   test: "index sentence"
//   MRPC   train/dev: header (starts with a UTF-8 BOM) "Quality #1 ID #2 ID #1 String #2 String";
//          test:      "index #1 ID #2 ID #1 String #2 String"
//   STS-B  train/dev: 10 columns, sentence1/2 at 7/8, float score in [0, 5] at 9; test: 9 columns
//   QQP    train/dev: "id qid1 qid2 question1 question2 is_duplicate"; test: "id question1 question2"
//          The official train file has rows broken by embedded newlines: those rows (wrong
//          column count) are skipped and counted, as HF's run_glue does, never an error.
//   MNLI   train: 12 columns, dev_{matched,mismatched}: 16 columns (label1..label5 added);
//          sentence1 at 8, sentence2 at 9, gold_label LAST; test_{matched,mismatched}: 10 columns
//   QNLI/RTE/WNLI  "index sentence1 sentence2 label" (QNLI: question, sentence); test: no label
//
// Lines are split on '\t' only, with NO quote handling: GLUE sentences contain unbalanced quote
// characters (HF reads these files with quoting disabled). A trailing '\r' is stripped, as is a
// UTF-8 byte-order mark at the start of the file. Every row is checked to be valid UTF-8, and a
// header line must name the official columns (GlueColumns::headers).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tt::data {

enum class GlueTask { cola, sst2, mrpc, stsb, qqp, mnli, qnli, rte, wnli };

// All nine, in the GLUE paper's order.
const std::vector<GlueTask>& all_glue_tasks();

// "cola", "sst2", "mrpc", "stsb", "qqp", "mnli", "qnli", "rte", "wnli"; case-insensitive, and the
// official folder names ("SST-2", "STS-B", ...) are accepted too. Anything else is a tt::Error
// listing the valid names.
GlueTask parse_glue_task(const std::string& name);
const char* glue_task_name(GlueTask task);  // the canonical lower-case name ("sst2")

// Where the text and label live in one kind of file (labelled train/dev, or unlabelled test).
struct GlueColumns {
  std::vector<int> num_columns;  // accepted column counts (MNLI: 12 for train, 16 for dev)
  bool header = true;            // first line is a header (CoLA train/dev have none)
  int id = -1;                   // the row's "index"/"id" column, -1 when there is none
  int text_a = -1;
  int text_b = -1;               // -1: single-sentence task
  int label = -1;                // -1: no label (test files); kLastColumn: the last column
  // The header line the official files have (column names joined by tabs), one per entry of
  // num_columns; empty when header is false. The first line must be one of them exactly: a
  // file without its header line would otherwise lose its first row as "the header".
  std::vector<std::string> headers;
};
constexpr int kLastColumn = -2;

struct GlueTaskSpec {
  GlueTask task = GlueTask::cola;
  const char* name;    // "sst2"
  const char* folder;  // official folder name: "SST-2"
  std::string train_file;               // "train.tsv"
  std::vector<std::string> dev_files;   // MNLI: dev_matched.tsv, dev_mismatched.tsv
  std::vector<std::string> test_files;  // MNLI: test_matched.tsv, test_mismatched.tsv
  GlueColumns labelled;                 // train and dev files
  GlueColumns unlabelled;               // test files
  bool is_regression = false;           // STS-B: float score, no label list
  // Label strings in class-id order. MNLI uses HF transformers' processor order
  // (contradiction, entailment, neutral); binary tasks whose files hold 0/1 use {"0", "1"}.
  std::vector<std::string> labels;
  int64_t num_labels = 0;  // labels.size(), or 1 for STS-B
  // The metrics glue_metrics() reports for the task, and how its "main" score is formed
  // (the GLUE leaderboard's task score: one metric, or the mean of two).
  std::vector<std::string> metrics;
  const char* main_metric;  // "mcc", "accuracy", "mean(f1,accuracy)", "mean(pearson,spearmanr)"
};

const GlueTaskSpec& glue_spec(GlueTask task);

struct GlueExample {
  std::string text_a;
  std::string text_b;      // empty when !has_b
  bool has_b = false;
  bool has_label = false;  // false for test files
  int64_t label = -1;      // class id (index into spec.labels); -1 for STS-B and test files
  float score = 0.0f;      // STS-B only: the similarity in [0, 5]
  std::string id;          // the row's "index"/"id" column (test submissions need it); else ""
  int64_t line = 0;        // 1-based line in the file, for messages
};

struct GlueSplit {
  GlueTask task = GlueTask::cola;
  std::string path;
  bool labelled = true;
  std::vector<GlueExample> examples;
  // Scores rather than class ids, for a split of your own data (data/text_dataset.h); a GLUE
  // split's follows its task (STS-B). is_regression() says which the split holds.
  bool regression = false;
  bool is_regression() const;
  // QQP only: rows with missing fields (wrong column count) that were skipped.
  int64_t skipped = 0;
  std::vector<int64_t> skipped_lines;  // the first 20 of them
  // "" when nothing was skipped; else e.g. "PATH: skipped 2 QQP rows with missing fields
  // (lines 5, 9)". Callers print it: the reader does not write to stderr itself.
  std::string skip_report() const;
};

// Reads one GLUE TSV file. labelled: train/dev (true) or test files (false). Malformed input is
// a tt::Error starting "PATH:LINE: " and saying what was expected: "expected N tab-separated
// columns, got M", "non-numeric label 'x'", "unknown label 'x' (expected one of ...)",
// "invalid UTF-8", or "PATH: empty file". QQP rows with a wrong column count are skipped instead.
GlueSplit read_glue_split(GlueTask task, const std::string& path, bool labelled);

// The tab-separated fields of one TSV line, as views into it. No quote handling: GLUE files
// hold stray quotes, and HF's run_glue reads them with quoting disabled too.
std::vector<std::string_view> split_tabs(std::string_view line);


}  // namespace tt::data
