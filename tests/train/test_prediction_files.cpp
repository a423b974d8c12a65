// predict's files around TextClassifier: which columns hold the text, the predictions as TSV
// and JSON Lines, and GLUE's submission files (names, header, label strings).
#include <sstream>

#include "tinytune/train/prediction_files.h"
#include "tests/test_util.h"

using namespace tt;

namespace {

data::TextTable table(std::vector<std::string> columns) {
  data::TextTable t;
  t.source = "in.csv";
  t.header_line = 1;
  t.header = columns;
  t.columns = std::move(columns);
  t.rows.push_back(std::vector<std::string>(t.columns.size(), "x"));
  return t;
}

train::Prediction classified(int64_t label, std::vector<double> probabilities, std::string name) {
  train::Prediction p;
  p.label = label;
  p.label_name = std::move(name);
  p.probabilities = std::move(probabilities);
  p.score = p.probabilities[label];
  return p;
}

}  // namespace

TEST_CASE("prediction_files: the text columns default to a known pair, then sentence/text, then the first") {
  CHECK(train::text_columns(table({"id", "sentence2", "sentence1"}), "") == std::vector<size_t>{2, 1});
  CHECK(train::text_columns(table({"question", "sentence", "label"}), "") == std::vector<size_t>{0, 1});
  CHECK(train::text_columns(table({"label", "sentence"}), "") == std::vector<size_t>{1});
  CHECK(train::text_columns(table({"id", "text"}), "") == std::vector<size_t>{1});
  CHECK(train::text_columns(table({"review", "stars"}), "") == std::vector<size_t>{0});
  CHECK(train::text_columns(table({"a", "b", "c"}), "c,a") == std::vector<size_t>{2, 0});
  test::check_error([] { train::text_columns(table({"a"}), "z"); },
                    {"--text-columns", "in.csv:1: no column 'z'"});
  test::check_error([] { train::text_columns(table({"a", "b", "c"}), "a,b,c"); },
                    {"--text-columns", "one column or two"});
}

TEST_CASE("prediction_files: TSV and JSONL predictions carry the label name and each class's probability") {
  const std::vector<std::string> names{"negative", "positive"};
  const std::vector<train::Prediction> ps{classified(1, {0.25, 0.75}, "positive"),
                                          classified(0, {0.5, 0.5}, "negative")};
  std::ostringstream tsv, jsonl;
  train::write_predictions(tsv, train::PredictionFormat::tsv, ps, names);
  CHECK(tsv.str() == "label\tnegative\tpositive\npositive\t0.25\t0.75\nnegative\t0.5\t0.5\n");
  train::write_predictions(jsonl, train::PredictionFormat::jsonl, ps, names);
  CHECK(jsonl.str() ==
        "{\"label\":\"positive\",\"probabilities\":{\"negative\":0.25,\"positive\":0.75}}\n"
        "{\"label\":\"negative\",\"probabilities\":{\"negative\":0.5,\"positive\":0.5}}\n");
  train::Prediction score;
  score.score = 3.5;
  std::ostringstream regression;
  train::write_predictions(regression, train::PredictionFormat::tsv, {score}, {});
  CHECK(regression.str() == "score\n3.5\n");
  CHECK(train::prediction_format_of("out/p.jsonl") == train::PredictionFormat::jsonl);
  test::check_error([] { train::prediction_format_of("p.csv"); }, {"--output", "p.csv", ".tsv or .jsonl"});
}

TEST_CASE("prediction_files: GLUE submission files have the benchmark's names and label strings") {
  using data::GlueTask;
  CHECK(train::glue_submission_name(GlueTask::cola, "x/test.tsv") == "CoLA.tsv");
  CHECK(train::glue_submission_name(GlueTask::sst2, "test.tsv") == "SST-2.tsv");
  CHECK(train::glue_submission_name(GlueTask::stsb, "test.tsv") == "STS-B.tsv");
  CHECK(train::glue_submission_name(GlueTask::mnli, "MNLI/test_matched.tsv") == "MNLI-m.tsv");
  CHECK(train::glue_submission_name(GlueTask::mnli, "MNLI/test_mismatched.tsv") == "MNLI-mm.tsv");
  test::check_error([] { train::glue_submission_name(GlueTask::mnli, "mine.tsv"); }, {"--input", "mine.tsv", "MNLI-m.tsv"});

  data::GlueSplit rte;
  rte.task = GlueTask::rte;
  for (const char* id : {"0", "1"}) {
    data::GlueExample e;
    e.id = id;
    rte.examples.push_back(e);
  }
  std::ostringstream out;
  train::write_glue_submission(out, rte, {classified(1, {0.1, 0.9}, "LABEL_1"), classified(0, {0.8, 0.2}, "LABEL_0")});
  CHECK(out.str() == "index\tprediction\n0\tnot_entailment\n1\tentailment\n");

  data::GlueSplit stsb;
  stsb.task = GlueTask::stsb;
  stsb.examples.resize(1);
  stsb.examples[0].id = "5";
  train::Prediction score;
  score.score = 4.25;
  std::ostringstream sts;
  train::write_glue_submission(sts, stsb, {score});
  CHECK(sts.str() == "index\tprediction\n5\t4.25\n");
}
