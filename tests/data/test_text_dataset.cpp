// Your own data (data/text_dataset.h): CSV with RFC 4180 quoting, TSV (no quoting) and JSONL
// giving the same examples, a TSV's quotes read verbatim by train_glue's reader and predict's,
// the label set and its order, the problem type, and every malformed input refused with its
// file, line and column.
#include <doctest/doctest.h>

#include <fstream>
#include <string>
#include <vector>

#include "tests/test_util.h"
#include "tinytune/core/error.h"
#include "tinytune/data/text_dataset.h"
#include "tinytune/data/text_table.h"

using namespace tt;
using namespace tt::data;
using tt::test::TempDir;

namespace {

std::string write(const TempDir& tmp, const std::string& name, const std::string& content) {
  const std::string path = tmp.file(name);
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

TextDataRequest request(const std::string& train, const std::string& dev,
                        std::vector<std::string> text = {"sentence"}) {
  TextDataRequest r;
  r.train_file = train;
  r.validation_file = dev;
  r.text_columns = std::move(text);
  r.label_column = "label";
  return r;
}

// Requires `f` to throw a tt::Error holding every fragment.
template <typename F>
void expect_error(F f, std::initializer_list<std::string> fragments) {
  tt::test::check_error(f, fragments);
}

}  // namespace

TEST_CASE("text data: CSV quoting per RFC 4180 (commas, doubled quotes, line breaks, CRLF)") {
  TempDir tmp;
  const std::string csv = write(tmp, "train.csv",
                                "id,sentence,label\r\n"
                                "1,plain words,pos\r\n"
                                "2,\"a, comma\",neg\r\n"
                                "3,\"she said \"\"fine\"\"\",pos\r\n"
                                "4,\"two\nlines\",neg\r\n"
                                "\r\n"
                                "5,,pos\r\n");
  TextDataset d = read_text_dataset(request(csv, csv));
  REQUIRE(d.train.examples.size() == 5);
  CHECK(d.train.examples[0].text_a == "plain words");
  CHECK(d.train.examples[1].text_a == "a, comma");
  CHECK(d.train.examples[2].text_a == "she said \"fine\"");
  CHECK(d.train.examples[3].text_a == "two\nlines");
  CHECK(d.train.examples[4].text_a == "");
  // Lines are physical: the two-line field spans lines 5 and 6, line 7 is blank (skipped).
  CHECK(d.train.examples[3].line == 5);
  CHECK(d.train.examples[4].line == 8);
  CHECK(d.spec.labels == std::vector<std::string>{"neg", "pos"});  // byte order
  CHECK(d.train.examples[0].label == 1);
  CHECK(d.train.examples[1].label == 0);
  CHECK(!d.spec.is_regression);
  CHECK(d.spec.num_labels == 2);
  CHECK(d.spec.metrics == std::vector<std::string>{"accuracy", "f1_macro"});
  CHECK(std::string(d.spec.main_metric) == "accuracy");
  CHECK(!d.train.examples[0].has_b);
}

TEST_CASE("text data: CSV, TSV and JSONL files with the same rows give the same examples") {
  TempDir tmp;
  const std::string csv = write(tmp, "d.csv",
                                "premise,hypothesis,label\n"
                                "a cat sits,an animal sits,yes\n"
                                "\"it rains, hard\",it is dry,no\n"
                                "\"quote \"\"q\"\"\",x,yes\n");
  const std::string tsv = write(tmp, "d.tsv",
                                "label\tpremise\thypothesis\n"
                                "yes\ta cat sits\tan animal sits\n"
                                "no\tit rains, hard\tit is dry\n"
                                "yes\tquote \"q\"\tx\n");
  const std::string jsonl = write(tmp, "d.jsonl",
                                  "{\"premise\": \"a cat sits\", \"hypothesis\": \"an animal sits\", \"label\": \"yes\"}\n"
                                  "\n"
                                  "{\"label\": \"no\", \"hypothesis\": \"it is dry\", \"premise\": \"it rains, hard\", \"x\": null}\n"
                                  "{\"premise\": \"quote \\\"q\\\"\", \"hypothesis\": \"x\", \"label\": \"yes\"}\n");
  std::vector<TextDataset> read;
  for (const std::string& f : {csv, tsv, jsonl}) read.push_back(read_text_dataset(request(f, f, {"premise", "hypothesis"})));
  for (const TextDataset& d : read) {
    REQUIRE(d.train.examples.size() == 3);
    CHECK(d.spec.labels == std::vector<std::string>{"no", "yes"});
    for (size_t i = 0; i < 3; ++i) {
      CAPTURE(i);
      CHECK(d.train.examples[i].has_b);
      CHECK(d.train.examples[i].text_a == read[0].train.examples[i].text_a);
      CHECK(d.train.examples[i].text_b == read[0].train.examples[i].text_b);
      CHECK(d.train.examples[i].label == read[0].train.examples[i].label);
    }
  }
  CHECK(read[0].train.examples[2].text_a == "quote \"q\"");
  CHECK(read[2].train.examples[1].line == 3);  // the blank JSONL line still counts
}

TEST_CASE("text data: label order and the problem type (integers, floats, strings)") {
  TempDir tmp;
  const std::string ints = write(tmp, "ints.csv", "sentence,label\na,10\nb,2\nc,0\nd,2\n");
  TextDataset d = read_text_dataset(request(ints, ints));
  CHECK(d.spec.labels == std::vector<std::string>{"0", "2", "10"});  // numeric, not byte, order
  CHECK(d.train.examples[0].label == 2);
  CHECK(d.train.examples[2].label == 0);
  CHECK(!d.spec.is_regression);

  TextDataRequest forced = request(ints, ints);
  forced.problem_type = ProblemType::regression;
  d = read_text_dataset(forced);
  CHECK(d.spec.is_regression);
  CHECK(d.train.is_regression());
  CHECK(d.train.examples[0].score == 10.0f);

  const std::string floats = write(tmp, "floats.jsonl", "{\"sentence\": \"a\", \"label\": 0.5}\n"
                                                        "{\"sentence\": \"b\", \"label\": 3}\n");
  d = read_text_dataset(request(floats, floats));
  CHECK(d.spec.is_regression);
  CHECK(d.spec.num_labels == 1);
  CHECK(d.spec.labels.empty());
  CHECK(std::string(d.spec.main_metric) == "mean(pearson,spearmanr)");
  CHECK(d.train.examples[0].score == 0.5f);
  CHECK(d.train.examples[1].score == 3.0f);

  TextDataRequest as_classes = request(floats, floats);
  as_classes.problem_type = ProblemType::classification;
  d = read_text_dataset(as_classes);
  CHECK(d.spec.labels == std::vector<std::string>{"0.5", "3"});

  const std::string words = write(tmp, "words.csv", "sentence,label\na,pos\nb,neg\n");
  TextDataRequest words_as_scores = request(words, words);
  words_as_scores.problem_type = ProblemType::regression;
  expect_error([&] { read_text_dataset(words_as_scores); },
               {words + ":2: column 'label'", "non-numeric label 'pos'"});
  CHECK_THROWS_WITH_AS(parse_problem_type("ordinal", "--problem-type"),
                       doctest::Contains("--problem-type: expected auto, classification or regression"), Error);
}

TEST_CASE("text data: bad files are errors naming the file, the line and the column") {
  TempDir tmp;
  const std::string good = write(tmp, "good.csv", "sentence,label\nfine,pos\nbad,neg\n");
  const auto fails = [&](const std::string& name, const std::string& content,
                         std::initializer_list<std::string> fragments, bool as_validation = false) {
    const std::string path = write(tmp, name, content);
    CAPTURE(name);
    expect_error([&] { read_text_dataset(as_validation ? request(good, path) : request(path, good)); },
                 fragments);
    return path;
  };
  const std::string dir = tmp.dir.string() + "/";
  fails("no_column.csv", "text,label\nx,pos\n",
        {dir + "no_column.csv:1: no column 'sentence'", "the columns are: text, label"});
  fails("unknown_label.csv", "sentence,label\nok,pos\nhm,maybe\n",
        {dir + "unknown_label.csv:3: column 'label': unknown label 'maybe'", "neg, pos"}, true);
  fails("empty.csv", "", {dir + "empty.csv: empty file"});
  fails("blank.jsonl", "\n\n", {dir + "blank.jsonl: empty file", "one JSON object per line"});
  fails("header_only.csv", "sentence,label\n", {dir + "header_only.csv: no examples"});
  fails("stray_quote.csv", "sentence,label\nok,pos\nsay \"hi\",neg\n",
        {dir + "stray_quote.csv:3: field 1: a quote inside an unquoted field"});
  fails("open_quote.csv", "sentence,label\n\"never closed,pos\nx,neg\n",
        {dir + "open_quote.csv:2: field 1: quoted field never closed"});
  fails("after_quote.csv", "sentence,label\n\"a\"b,pos\n", {dir + "after_quote.csv:2: field 1: text after a closing quote"});
  fails("short_row.csv", "sentence,label\nok,pos\nonly one field\n",
        {dir + "short_row.csv:3: expected 2 comma-separated fields", "got 1"});
  fails("short_row.tsv", "sentence\tlabel\nok\tpos\nx\ty\tz\n", {dir + "short_row.tsv:3: expected 2 tab-separated fields"});
  fails("bad.jsonl", "{\"sentence\": \"a\", \"label\": \"pos\"}\n{\"sentence\": \"b\", \"label\": }\n",
        {dir + "bad.jsonl:2:", "not valid JSON"});
  fails("array.jsonl", "[\"a\", \"pos\"]\n", {dir + "array.jsonl:1: expected a JSON object, got array"});
  fails("no_key.jsonl", "{\"sentence\": \"a\", \"label\": \"pos\"}\n{\"sentence\": \"b\"}\n",
        {dir + "no_key.jsonl:2: no key 'label'"});
  fails("null.jsonl", "{\"sentence\": null, \"label\": \"pos\"}\n",
        {dir + "null.jsonl:1: column 'sentence': expected a string, a number or a boolean, got null"});
  fails("bad_utf8.csv", "sentence,label\nok\xff,pos\n", {dir + "bad_utf8.csv:2: column 'sentence': invalid UTF-8"});
  fails("one_class.csv", "sentence,label\na,pos\nb,pos\n", {dir + "one_class.csv: column 'label' holds one label ('pos')"});
  fails("twice.csv", "sentence,sentence,label\na,b,pos\n", {dir + "twice.csv:1: column 'sentence' appears twice"});
  fails("data.txt", "sentence,label\na,pos\n", {dir + "data.txt: cannot tell the format", ".tsv, .csv or .jsonl"});
  fails("no_label.csv", "sentence\na\n", {dir + "no_label.csv:1: no column 'label'"}, true);
}

TEST_CASE("text data: a test file with or without labels") {
  TempDir tmp;
  const std::string train = write(tmp, "train.csv", "sentence,label\na,pos\nb,neg\n");
  TextDataRequest r = request(train, train);
  r.test_file = write(tmp, "test.csv", "sentence\nc\nd\ne\n");
  TextDataset d = read_text_dataset(r);
  REQUIRE(d.test.has_value());
  CHECK(d.test->examples.size() == 3);
  CHECK(!d.test->labelled);
  CHECK(!d.test->examples[0].has_label);
  r.test_file = write(tmp, "test_labelled.csv", "label,sentence\nneg,c\nunsure,d\n");
  expect_error([&] { read_text_dataset(r); }, {r.test_file + ":3: column 'label': unknown label 'unsure'"});
}

TEST_CASE("text data: a TSV field with quotes is read verbatim by train_glue's reader and predict's") {
  TempDir tmp;
  // GLUE-style sentences: a quote that opens a field, quotes inside it, "" and a lone quote.
  const std::vector<std::string> sentences = {"\"the film\" is good", "it's \"fine", "say \"\"hi\"\"", "\""};
  std::string text = "sentence\tlabel\n";
  for (size_t i = 0; i < sentences.size(); ++i) text += sentences[i] + "\t" + std::to_string(i % 2) + "\n";
  const std::string path = write(tmp, "quotes.tsv", text);
  const TextDataset d = read_text_dataset(request(path, path));
  std::ifstream in(path, std::ios::binary);
  const TextTable t = read_text_table(in, table_format_of(path), path);
  REQUIRE(d.train.examples.size() == sentences.size());
  REQUIRE(t.rows.size() == sentences.size());
  for (size_t i = 0; i < sentences.size(); ++i) {
    CAPTURE(i);
    CHECK(d.train.examples[i].text_a == sentences[i]);
    CHECK(t.rows[i][t.column("sentence")] == sentences[i]);
  }
}

// Found by fuzz_own_data: nlohmann-json reports a number beyond a double's range as out_of_range,
// not parse_error, and that exception escaped the reader without the file and line.
TEST_CASE("text data: a JSONL number too large for a double is an error naming the file and line") {
  TempDir tmp;
  const std::string good = write(tmp, "good.jsonl", "{\"sentence\": \"a\", \"label\": 1}\n{\"sentence\": \"b\", \"label\": 2}\n");
  const std::string huge = write(tmp, "huge.jsonl", "{\"sentence\": \"a\", \"label\": 1}\n{\"sentence\": \"b\", \"label\": 1e400}\n");
  expect_error([&] { read_text_dataset(request(huge, good)); },
               {tmp.dir.string() + "/huge.jsonl:2:", "not valid JSON", "number overflow"});
}

// A score is stored as a float: 1e39, finite as the double it is read as, would become inf
// (found by review, confirmed by fuzz_own_data's label check on a hand-written input).
TEST_CASE("text data: a regression label beyond a float's range is an error naming the file and line") {
  TempDir tmp;
  const std::string good = write(tmp, "good.csv", "sentence,label\na,0.5\nb,1.5\n");
  const std::string huge = write(tmp, "huge.csv", "sentence,label\na,0.5\nb,1e39\n");
  expect_error([&] { read_text_dataset(request(huge, good)); },
               {tmp.dir.string() + "/huge.csv:3: column 'label'", "1e39"});
}
