// GLUE readers: every task's official TSV layout on small hand-written snippets
// (tests/fixtures/glue/<TASK>/, same columns, header, BOM and quirks as the real files), the
// malformed inputs each reader must refuse with file and line, QQP's counted skips, and a smoke
// test on the real files in ../shared/glue when that folder exists.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "tinytune/core/error.h"
#include "tinytune/data/glue.h"

using namespace tt;
using namespace tt::data;

namespace {

const std::string kDir = TINYTUNE_FIXTURE_DIR "/glue/";

// Requires read_glue_split to throw tt::Error whose message holds every fragment.
void check_error(GlueTask task, const std::string& file, bool labelled,
                 std::initializer_list<std::string> fragments) {
  const std::string path = kDir + file;
  std::string message;
  try {
    read_glue_split(task, path, labelled);
  } catch (const Error& e) {
    message = e.what();
  }
  INFO("file: ", file, "\nmessage: ", message);
  REQUIRE_MESSAGE(!message.empty(), "expected a tt::Error");
  for (const std::string& fragment : fragments) {
    INFO("missing fragment: ", fragment);
    CHECK(message.find(fragment) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("glue: task names parse, case-insensitively and by folder name") {
  CHECK(parse_glue_task("sst2") == GlueTask::sst2);
  CHECK(parse_glue_task("SST-2") == GlueTask::sst2);
  CHECK(parse_glue_task("STS-B") == GlueTask::stsb);
  CHECK(parse_glue_task("CoLA") == GlueTask::cola);
  CHECK(parse_glue_task("mnli") == GlueTask::mnli);
  for (GlueTask task : all_glue_tasks()) CHECK(parse_glue_task(glue_task_name(task)) == task);
  CHECK(all_glue_tasks().size() == 9);
  CHECK_THROWS_WITH_AS(parse_glue_task("sst3"),
                       doctest::Contains("unknown name 'sst3' (expected one of cola, sst2, mrpc, "
                                         "stsb, qqp, mnli, qnli, rte, wnli)"),
                       Error);
}

TEST_CASE("glue: task specs name the official folders, files, labels and metrics") {
  const GlueTaskSpec& mnli = glue_spec(GlueTask::mnli);
  CHECK(std::string(mnli.folder) == "MNLI");
  CHECK(mnli.dev_files == std::vector<std::string>{"dev_matched.tsv", "dev_mismatched.tsv"});
  CHECK(mnli.test_files == std::vector<std::string>{"test_matched.tsv", "test_mismatched.tsv"});
  CHECK(mnli.labels == std::vector<std::string>{"contradiction", "entailment", "neutral"});
  CHECK(mnli.num_labels == 3);
  CHECK(glue_spec(GlueTask::rte).labels ==
        std::vector<std::string>{"entailment", "not_entailment"});
  CHECK(glue_spec(GlueTask::qnli).labels == glue_spec(GlueTask::rte).labels);
  for (GlueTask t : {GlueTask::cola, GlueTask::sst2, GlueTask::mrpc, GlueTask::qqp, GlueTask::wnli})
    CHECK(glue_spec(t).labels == std::vector<std::string>{"0", "1"});
  CHECK(glue_spec(GlueTask::stsb).is_regression);
  CHECK(glue_spec(GlueTask::stsb).num_labels == 1);
  CHECK(std::string(glue_spec(GlueTask::stsb).folder) == "STS-B");
  CHECK(std::string(glue_spec(GlueTask::sst2).folder) == "SST-2");
  CHECK(glue_spec(GlueTask::cola).metrics == std::vector<std::string>{"mcc"});
  CHECK(glue_spec(GlueTask::mrpc).metrics == std::vector<std::string>{"f1", "accuracy"});
  CHECK(glue_spec(GlueTask::stsb).metrics == std::vector<std::string>{"pearson", "spearmanr"});
  CHECK(!glue_spec(GlueTask::cola).labelled.header);
  CHECK(glue_spec(GlueTask::cola).unlabelled.header);
}

TEST_CASE("glue: CoLA has no header in train/dev, a header in test, quotes are plain text") {
  GlueSplit train = read_glue_split(GlueTask::cola, kDir + "CoLA/train.tsv", true);
  REQUIRE(train.examples.size() == 3);
  CHECK(train.examples[0].text_a == "The cat sat on the mat.");
  CHECK(train.examples[0].label == 1);
  CHECK(train.examples[1].label == 0);
  CHECK(train.examples[2].text_a == "She said \"hello to everyone.");  // unbalanced quote kept
  CHECK(!train.examples[0].has_b);
  CHECK(train.examples[0].has_label);
  CHECK(train.examples[2].line == 3);
  CHECK(train.skipped == 0);
  // The real CoLA dev.tsv ends without a newline: its last row still counts.
  GlueSplit dev = read_glue_split(GlueTask::cola, kDir + "CoLA/dev.tsv", true);
  REQUIRE(dev.examples.size() == 2);
  CHECK(dev.examples[1].text_a == "Barked dog the the.");
  GlueSplit test = read_glue_split(GlueTask::cola, kDir + "CoLA/test.tsv", false);
  REQUIRE(test.examples.size() == 2);
  CHECK(test.examples[1].id == "1");
  CHECK(test.examples[1].text_a == "Fly birds south the.");
  CHECK(!test.examples[1].has_label);
  CHECK(test.examples[1].line == 3);
}

TEST_CASE("glue: SST-2 keeps sentences verbatim and strips CRLF") {
  GlueSplit dev = read_glue_split(GlueTask::sst2, kDir + "SST-2/dev.tsv", true);
  REQUIRE(dev.examples.size() == 3);
  CHECK(dev.examples[0].text_a == "it 's a charming little film . ");
  CHECK(dev.examples[0].label == 1);
  CHECK(dev.examples[1].label == 0);
  CHECK(dev.examples[2].text_a == "\" unbalanced quote ");
  GlueSplit crlf = read_glue_split(GlueTask::sst2, kDir + "SST-2/dev_crlf.tsv", true);
  REQUIRE(crlf.examples.size() == 2);
  CHECK(crlf.examples[1].label == 0);
  GlueSplit test = read_glue_split(GlueTask::sst2, kDir + "SST-2/test.tsv", false);
  REQUIRE(test.examples.size() == 2);
  CHECK(test.examples[0].text_a == "a quiet triumph .");
  CHECK(test.examples[0].id == "0");
}

TEST_CASE("glue: MRPC skips its byte-order-marked header, label first, sentences at 3 and 4") {
  GlueSplit dev = read_glue_split(GlueTask::mrpc, kDir + "MRPC/dev.tsv", true);
  REQUIRE(dev.examples.size() == 2);
  CHECK(dev.examples[0].label == 1);
  CHECK(dev.examples[0].text_a == "The firm said profits rose .");
  CHECK(dev.examples[0].text_b == "Profits rose , the firm said .");
  CHECK(dev.examples[0].has_b);
  CHECK(dev.examples[1].label == 0);
  CHECK(dev.examples[1].text_b == "\" She arrived late , \" he said .");
  GlueSplit test = read_glue_split(GlueTask::mrpc, kDir + "MRPC/test.tsv", false);
  REQUIRE(test.examples.size() == 1);
  CHECK(test.examples[0].text_b == "Shares dropped a lot .");
}

TEST_CASE("glue: STS-B reads float scores and UTF-8 text") {
  GlueSplit dev = read_glue_split(GlueTask::stsb, kDir + "STS-B/dev.tsv", true);
  REQUIRE(dev.examples.size() == 3);
  CHECK(dev.examples[0].score == 5.0f);
  CHECK(dev.examples[1].score == 0.25f);
  CHECK(dev.examples[2].score == 3.8f);
  CHECK(dev.examples[2].text_a == "Caf\xC3\xA9 au lait is nice.");
  CHECK(dev.examples[1].text_b == "Rain expected today.");
  CHECK(dev.examples[0].label == -1);
  GlueSplit test = read_glue_split(GlueTask::stsb, kDir + "STS-B/test.tsv", false);
  REQUIRE(test.examples.size() == 1);
  CHECK(test.examples[0].text_b == "A girl is singing.");
}

TEST_CASE("glue: QQP skips and counts rows with missing fields") {
  GlueSplit train = read_glue_split(GlueTask::qqp, kDir + "QQP/train.tsv", true);
  REQUIRE(train.examples.size() == 3);
  CHECK(train.skipped == 2);  // one question broken over lines 3 and 4 by a newline
  CHECK(train.skipped_lines == std::vector<int64_t>{3, 4});
  CHECK(train.skip_report().find("QQP/train.tsv: skipped 2 QQP rows with missing fields "
                                 "(lines 3, 4)") != std::string::npos);
  CHECK(train.examples[0].text_a == "How do I learn C++?");
  CHECK(train.examples[0].label == 1);
  CHECK(train.examples[1].id == "2");
  CHECK(train.examples[2].text_a == "Is \"this\" a question?");
  CHECK(train.examples[2].label == 0);
  GlueSplit test = read_glue_split(GlueTask::qqp, kDir + "QQP/test.tsv", false);
  REQUIRE(test.examples.size() == 1);
  CHECK(test.examples[0].text_b == "Where is France?");
  CHECK(test.skip_report().empty());
  // A row with all its fields but a bad label is still an error, even for QQP.
  check_error(GlueTask::qqp, "malformed/qqp_bad_label.tsv", true,
              {"qqp_bad_label.tsv:2:", "non-numeric label 'yes' (expected one of 0, 1)"});
}

TEST_CASE("glue: MNLI train (12 columns), dev (16) and test (10), gold label is the last") {
  GlueSplit train = read_glue_split(GlueTask::mnli, kDir + "MNLI/train.tsv", true);
  REQUIRE(train.examples.size() == 3);
  CHECK(train.examples[0].text_a == "The cat slept.");
  CHECK(train.examples[0].text_b == "The cat was awake.");
  CHECK(train.examples[0].label == 0);  // contradiction
  CHECK(train.examples[1].label == 1);  // entailment
  CHECK(train.examples[2].label == 2);  // neutral
  GlueSplit matched = read_glue_split(GlueTask::mnli, kDir + "MNLI/dev_matched.tsv", true);
  REQUIRE(matched.examples.size() == 2);
  CHECK(matched.examples[0].label == 2);  // gold_label, not label1 ("neutral" vs "entailment")
  CHECK(matched.examples[1].label == 0);
  GlueSplit mismatched = read_glue_split(GlueTask::mnli, kDir + "MNLI/dev_mismatched.tsv", true);
  REQUIRE(mismatched.examples.size() == 1);
  CHECK(mismatched.examples[0].label == 1);
  GlueSplit test = read_glue_split(GlueTask::mnli, kDir + "MNLI/test_matched.tsv", false);
  REQUIRE(test.examples.size() == 1);
  CHECK(test.examples[0].text_b == "An animal moved.");
  check_error(GlueTask::mnli, "malformed/mnli_short_row.tsv", true,
              {"mnli_short_row.tsv:2:", "expected 12 tab-separated columns, got 11"});
}

TEST_CASE("glue: QNLI, RTE and WNLI pairs with text and digit labels") {
  GlueSplit qnli = read_glue_split(GlueTask::qnli, kDir + "QNLI/dev.tsv", true);
  REQUIRE(qnli.examples.size() == 2);
  CHECK(qnli.examples[0].text_a == "Who wrote it?");
  CHECK(qnli.examples[0].label == 0);
  CHECK(qnli.examples[1].label == 1);
  CHECK(read_glue_split(GlueTask::qnli, kDir + "QNLI/test.tsv", false).examples.size() == 1);
  GlueSplit rte = read_glue_split(GlueTask::rte, kDir + "RTE/dev.tsv", true);
  REQUIRE(rte.examples.size() == 2);
  CHECK(rte.examples[0].text_b == "Ann owns a car.");
  CHECK(rte.examples[0].label == 0);
  CHECK(rte.examples[1].label == 1);
  CHECK(read_glue_split(GlueTask::rte, kDir + "RTE/test.tsv", false).examples.size() == 2);
  GlueSplit wnli = read_glue_split(GlueTask::wnli, kDir + "WNLI/dev.tsv", true);
  REQUIRE(wnli.examples.size() == 2);
  CHECK(wnli.examples[0].label == 1);
  CHECK(wnli.examples[1].label == 0);
  CHECK(read_glue_split(GlueTask::wnli, kDir + "WNLI/test.tsv", false).examples.size() == 1);
}

TEST_CASE("glue: malformed files are errors naming the file, the line and what was expected") {
  check_error(GlueTask::cola, "malformed/cola_wrong_columns.tsv", true,
              {"malformed/cola_wrong_columns.tsv:2:", "expected 4 tab-separated columns, got 3"});
  check_error(GlueTask::stsb, "malformed/stsb_non_numeric.tsv", true,
              {"malformed/stsb_non_numeric.tsv:3:", "non-numeric label 'high'",
               "similarity score in [0, 5]"});
  check_error(GlueTask::stsb, "malformed/stsb_out_of_range.tsv", true,
              {"stsb_out_of_range.tsv:2:", "7.5 out of range"});
  check_error(GlueTask::rte, "malformed/rte_unknown_label.tsv", true,
              {"malformed/rte_unknown_label.tsv:3:",
               "unknown label 'contradiction' (expected one of entailment, not_entailment)"});
  check_error(GlueTask::sst2, "malformed/sst2_non_numeric_label.tsv", true,
              {"sst2_non_numeric_label.tsv:3:", "non-numeric label 'positive' (expected one of 0, 1)"});
  check_error(GlueTask::sst2, "malformed/sst2_unknown_label.tsv", true,
              {"sst2_unknown_label.tsv:2:", "unknown label '2' (expected one of 0, 1)"});
  check_error(GlueTask::sst2, "malformed/sst2_bad_utf8.tsv", true,
              {"malformed/sst2_bad_utf8.tsv:3:", "invalid UTF-8 at byte 5"});
  for (GlueTask task : all_glue_tasks())
    check_error(task, "malformed/empty.tsv", true, {"malformed/empty.tsv: empty file"});
  check_error(GlueTask::sst2, "malformed/header_only.tsv", true,
              {"header_only.tsv: no examples", "after the header"});
  // A test file read as labelled fails on its header, saying which layout was expected.
  check_error(GlueTask::rte, "malformed/rte_test_as_labelled.tsv", true,
              {"rte_test_as_labelled.tsv:1:", "expected 4 tab-separated columns, got 3",
               "header of a RTE labelled (train/dev) file"});
  check_error(GlueTask::rte, "RTE/no_such_file.tsv", true, {"RTE/no_such_file.tsv", "cannot open"});
  // A labelled file read as a test file: header has one column too many.
  check_error(GlueTask::qnli, "QNLI/dev.tsv", false, {"QNLI/dev.tsv:1:", "expected 3"});
}

TEST_CASE("glue: a header line must name the task's columns, a header-less file is refused") {
  // Without the check, a file missing its header lost its first example silently.
  check_error(GlueTask::sst2, "malformed/sst2_no_header.tsv", true,
              {"malformed/sst2_no_header.tsv:1:", "a gripping , funny film<TAB>1",
               "expected the SST-2 labelled (train/dev) header 'sentence<TAB>label'"});
  check_error(GlueTask::sst2, "malformed/sst2_wrong_header.tsv", true,
              {"malformed/sst2_wrong_header.tsv:1:", "'text<TAB>label'",
               "expected the SST-2 labelled (train/dev) header 'sentence<TAB>label'"});
  // MNLI accepts two headers (train: 12 columns, dev: 16); the message names both.
  check_error(GlueTask::mnli, "malformed/mnli_renamed_header.tsv", true,
              {"mnli_renamed_header.tsv:1:", "sentence2<TAB>label1<TAB>label'",
               "sentence2<TAB>label1<TAB>gold_label' or '", "label5<TAB>gold_label'"});
}

TEST_CASE("glue: every fixture file of every task reads with its header checked") {
  for (GlueTask task : all_glue_tasks()) {
    const GlueTaskSpec& spec = glue_spec(task);
    std::vector<std::pair<std::string, bool>> files{{spec.train_file, true}};
    for (const std::string& f : spec.dev_files) files.emplace_back(f, true);
    for (const std::string& f : spec.test_files) files.emplace_back(f, false);
    for (const auto& [file, labelled] : files) {
      const std::string path = kDir + spec.folder + "/" + file;
      if (!std::filesystem::exists(path)) continue;
      INFO(path);
      CHECK_FALSE(read_glue_split(task, path, labelled).examples.empty());
    }
  }
}

// The real GLUE files, when this machine has them: row counts from ../shared/glue/SOURCES.md.
TEST_CASE("glue: real dev/train/test files in ../shared/glue have the official row counts") {
  const std::string root = TINYTUNE_FIXTURE_DIR "/../../../shared/glue";
  if (!std::filesystem::exists(root + "/SOURCES.md")) {
    WARN_MESSAGE(false, "skipped: ../shared/glue not present (real GLUE files not checked)");
    return;
  }
  struct Expect {
    GlueTask task;
    const char* file;
    bool labelled;
    size_t rows;
  };
  const Expect expects[] = {
      {GlueTask::cola, "CoLA/dev.tsv", true, 1043},   {GlueTask::cola, "CoLA/test.tsv", false, 1063},
      {GlueTask::cola, "CoLA/train.tsv", true, 8551}, {GlueTask::mrpc, "MRPC/dev.tsv", true, 408},
      {GlueTask::mrpc, "MRPC/test.tsv", false, 1725}, {GlueTask::mrpc, "MRPC/train.tsv", true, 3668},
      {GlueTask::qnli, "QNLI/dev.tsv", true, 5463},   {GlueTask::qnli, "QNLI/test.tsv", false, 5463},
      {GlueTask::rte, "RTE/dev.tsv", true, 277},      {GlueTask::rte, "RTE/test.tsv", false, 3000},
      {GlueTask::rte, "RTE/train.tsv", true, 2490},   {GlueTask::sst2, "SST-2/dev.tsv", true, 872},
      {GlueTask::sst2, "SST-2/test.tsv", false, 1821}, {GlueTask::sst2, "SST-2/train.tsv", true, 67349},
      {GlueTask::stsb, "STS-B/dev.tsv", true, 1500},  {GlueTask::stsb, "STS-B/test.tsv", false, 1379},
      {GlueTask::stsb, "STS-B/train.tsv", true, 5749}, {GlueTask::wnli, "WNLI/dev.tsv", true, 71},
      {GlueTask::wnli, "WNLI/test.tsv", false, 146},  {GlueTask::wnli, "WNLI/train.tsv", true, 635},
  };
  for (const Expect& e : expects) {
    const std::string path = root + "/" + e.file;
    if (!std::filesystem::exists(path)) {
      WARN_MESSAGE(false, "skipped: ", path, " not present");
      continue;
    }
    INFO(e.file);
    GlueSplit split = read_glue_split(e.task, path, e.labelled);
    CHECK(split.examples.size() == e.rows);
    CHECK(split.skipped == 0);
    for (const GlueExample& ex : split.examples) {
      REQUIRE(!ex.text_a.empty());
      REQUIRE(ex.has_label == e.labelled);
    }
  }
  // SOURCES.md: SST-2 train holds 37,569 positive rows.
  if (std::filesystem::exists(root + "/SST-2/train.tsv")) {
    GlueSplit sst2 = read_glue_split(GlueTask::sst2, root + "/SST-2/train.tsv", true);
    size_t positive = 0;
    for (const GlueExample& ex : sst2.examples) positive += ex.label == 1;
    CHECK(positive == 37569);
  }
}
