// The tables predict reads: TSV without quoting, CSV with RFC 4180 quotes (commas, quotes and
// newlines inside a field), JSON Lines; malformed input is an error naming the source and line.
#include <sstream>

#include "tinytune/data/text_table.h"
#include "tests/test_util.h"

using namespace tt;
using data::TableFormat;

namespace {

data::TextTable read(const std::string& text, TableFormat format) {
  std::istringstream in(text);
  return data::read_text_table(in, format, "in.txt");
}

}  // namespace

TEST_CASE("text_table: TSV splits on tabs only, keeps quotes, drops CR and the byte-order mark") {
  auto t = read("\xEF\xBB\xBFsentence\tlabel\r\n\"a \"quoted\" film\t1\r\n\nplain, with comma\t0\n", TableFormat::tsv);
  CHECK(t.columns == std::vector<std::string>{"sentence", "label"});
  REQUIRE(t.rows.size() == 2);
  CHECK(t.rows[0] == std::vector<std::string>{"\"a \"quoted\" film", "1"});
  CHECK(t.rows[1] == std::vector<std::string>{"plain, with comma", "0"});
  CHECK(t.lines == std::vector<int64_t>{2, 4});
}

TEST_CASE("text_table: CSV fields in quotes hold commas, doubled quotes and newlines") {
  auto t = read("id,text\n1,\"good, really\"\n2,\"she said \"\"no\"\"\"\n3,\"two\nlines\"\n4,plain\n",
                TableFormat::csv);
  REQUIRE(t.rows.size() == 4);
  CHECK(t.rows[0][1] == "good, really");
  CHECK(t.rows[1][1] == "she said \"no\"");
  CHECK(t.rows[2][1] == "two\nlines");
  CHECK(t.rows[3] == std::vector<std::string>{"4", "plain"});
  CHECK(t.lines == std::vector<int64_t>{2, 3, 4, 6});
}

TEST_CASE("text_table: JSON Lines take the first object's keys, numbers become text") {
  auto t = read("{\"text\": \"fine\", \"id\": 7}\n\n{\"id\": 8, \"text\": \"bad\", \"extra\": true}\n",
                TableFormat::jsonl);
  CHECK(t.columns == std::vector<std::string>{"id", "text"});  // nlohmann's objects sort keys
  CHECK(t.rows == std::vector<std::vector<std::string>>{{"7", "fine"}, {"8", "bad"}});
  CHECK(t.column("text", "in.txt") == 1);
}

TEST_CASE("text_table: malformed input is an error naming the source, the line and what was expected") {
  test::check_error([] { read("a\tb\nonly\n", TableFormat::tsv); }, {"in.txt:2:", "expected 2 fields", "got 1"});
  test::check_error([] { read("a,b\n1,\"open\n", TableFormat::csv); }, {"in.txt:2:", "never closed"});
  test::check_error([] { read("{\"text\": \"x\"}\n[1]\n", TableFormat::jsonl); }, {"in.txt:2:", "JSON object"});
  test::check_error([] { read("{\"text\": \"x\"}\n{\"other\": 1}\n", TableFormat::jsonl); },
                    {"in.txt:2:", "no key \"text\""});
  test::check_error([] { read("{\"text\": [1]}\n", TableFormat::jsonl); }, {"in.txt:1:", "expected a string"});
  test::check_error([] { read("", TableFormat::tsv); }, {"in.txt", "empty input"});
  test::check_error([] { read("a\tb\n", TableFormat::tsv).column("c", "in.txt"); },
                    {"in.txt", "no column \"c\"", "\"a\", \"b\""});
  test::check_error([] { data::table_format_of("notes.txt"); }, {"notes.txt", ".tsv, .csv or .jsonl"});
  CHECK(data::table_format_of("x.CSV.csv") == TableFormat::csv);
  CHECK(data::table_format_of("x.jsonl") == TableFormat::jsonl);
}
