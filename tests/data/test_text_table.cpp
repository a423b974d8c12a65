// The one reader of users' files (predict's input, train_glue's own data): TSV without quoting,
// CSV with RFC 4180 quotes (commas, quotes and newlines inside a field), JSON Lines; the kept
// columns; malformed input is an error naming the source, the line and what was expected.
#include <sstream>

#include "tinytune/data/text_table.h"
#include "tests/test_util.h"

using namespace tt;
using data::TableFormat;

namespace {

data::TextTable read(const std::string& text, TableFormat format, const std::vector<std::string>& keep = {}) {
  std::istringstream in(text);
  return data::read_text_table(in, format, "in.txt", keep);
}

}  // namespace

TEST_CASE("text_table: TSV splits on tabs only, keeps quotes, drops CR and the byte-order mark") {
  auto t = read("\xEF\xBB\xBFsentence\tlabel\r\n\"a \"quoted\" film\t1\r\n\nplain, with comma\t0\n"
                "say \"\"hi\"\"\t1\n\"\t0\n", TableFormat::tsv);
  CHECK(t.columns == std::vector<std::string>{"sentence", "label"});
  REQUIRE(t.rows.size() == 4);
  CHECK(t.rows[0] == std::vector<std::string>{"\"a \"quoted\" film", "1"});
  CHECK(t.rows[1] == std::vector<std::string>{"plain, with comma", "0"});
  CHECK(t.rows[2] == std::vector<std::string>{"say \"\"hi\"\"", "1"});  // "" is two quotes, not one
  CHECK(t.rows[3] == std::vector<std::string>{"\"", "0"});              // a lone quote opens nothing
  CHECK(t.lines == std::vector<int64_t>{2, 4, 5, 6});
}

TEST_CASE("text_table: CSV fields in quotes hold commas, doubled quotes and newlines") {
  auto t = read("\n\nid,text\r\n1,\"good, really\"\r\n2,\"she said \"\"no\"\"\"\n3,\"two\r\n\r\nlines\"\n"
                "4,plain\n5,\n6,\"\"\n", TableFormat::csv);
  CHECK(t.header_line == 3);  // blank lines before the header are skipped
  REQUIRE(t.rows.size() == 6);
  CHECK(t.rows[0][1] == "good, really");
  CHECK(t.rows[1][1] == "she said \"no\"");
  CHECK(t.rows[2][1] == "two\n\nlines");  // CRLF inside a quoted field reads as "\n"
  CHECK(t.rows[3] == std::vector<std::string>{"4", "plain"});
  CHECK(t.rows[4] == std::vector<std::string>{"5", ""});
  CHECK(t.rows[5] == std::vector<std::string>{"6", ""});
  CHECK(t.lines == std::vector<int64_t>{4, 5, 6, 9, 10, 11});
}

TEST_CASE("text_table: JSON Lines take the first object's keys, numbers become text") {
  auto t = read("{\"text\": \"fine\", \"id\": 7}\n\n  \n{\"id\": 8, \"text\": \"bad\", \"extra\": true}\n",
                TableFormat::jsonl);
  CHECK(t.columns == std::vector<std::string>{"id", "text"});  // nlohmann's objects sort keys
  CHECK(t.rows == std::vector<std::vector<std::string>>{{"7", "fine"}, {"8", "bad"}});
  CHECK(t.lines == std::vector<int64_t>{1, 4});
  CHECK(t.column("text") == 1);
}

TEST_CASE("text_table: kept columns alone are stored and checked") {
  // JSONL: a key outside `keep` may be missing or null in later lines.
  auto j = read("{\"text\": \"a\", \"id\": 1, \"label\": \"pos\"}\n{\"text\": \"b\", \"id\": null, \"label\": \"neg\"}\n"
                "{\"text\": \"c\", \"label\": \"neg\"}\n", TableFormat::jsonl, {"text", "label", "absent"});
  CHECK(j.columns == std::vector<std::string>{"label", "text"});
  CHECK(j.header == std::vector<std::string>{"id", "label", "text"});
  CHECK(j.rows == std::vector<std::vector<std::string>>{{"pos", "a"}, {"neg", "b"}, {"neg", "c"}});
  CHECK(!j.has_column("absent"));
  test::check_error([&] { j.column("absent"); }, {"in.txt:1: no column 'absent'", "the columns are: id, label, text"});
  // CSV: every row still has the header's field count; invalid UTF-8 outside `keep` is not read.
  auto c = read("a,b,c\n1,\xff,3\n", TableFormat::csv, {"c", "a"});
  CHECK(c.columns == std::vector<std::string>{"a", "c"});
  CHECK(c.rows == std::vector<std::vector<std::string>>{{"1", "3"}});
  test::check_error([] { read("a,b,c\n1,2\n", TableFormat::csv, {"a"}); }, {"in.txt:2: expected 3 comma-separated fields"});
}

TEST_CASE("text_table: malformed input is an error naming the source, the line and what was expected") {
  const auto fails = [](const std::string& text, TableFormat format, std::initializer_list<std::string> fragments) {
    CAPTURE(text);
    test::check_error([&] { read(text, format); }, fragments);
  };
  fails("a\tb\nonly\n", TableFormat::tsv, {"in.txt:2: expected 2 tab-separated fields (as the header: a, b), got 1"});
  fails("a,b\n1,\"open\nstill open\n", TableFormat::csv, {"in.txt:2: field 2: quoted field never closed"});
  fails("a,b\n1,say \"hi\"\n", TableFormat::csv, {"in.txt:2: field 2: a quote inside an unquoted field"});
  fails("a,b\n\"x\"y,1\n", TableFormat::csv, {"in.txt:2: field 1: text after a closing quote"});
  fails("a,a\n1,2\n", TableFormat::csv, {"in.txt:1: column 'a' appears twice"});
  fails("a\tb\nok\t\xc3\x28\n", TableFormat::tsv, {"in.txt:2: column 'b': invalid UTF-8 at byte 1"});
  fails("{\"text\": \"x\"}\n[1]\n", TableFormat::jsonl, {"in.txt:2: expected a JSON object, got array"});
  fails("{\"text\": \"x\"}\n{\"text\": }\n", TableFormat::jsonl, {"in.txt:2:", "not valid JSON"});
  fails("{\"text\": \"x\"}\n{\"other\": 1}\n", TableFormat::jsonl, {"in.txt:2: no key 'text'", "as in the first, line 1"});
  fails("{\"text\": [1]}\n", TableFormat::jsonl, {"in.txt:1: column 'text': expected a string", "got array"});
  fails("{\"text\": \"\xff\"}\n", TableFormat::jsonl, {"in.txt:1: the line: invalid UTF-8"});
  fails("", TableFormat::tsv, {"in.txt: empty file", "header line"});
  fails("\n \n", TableFormat::jsonl, {"in.txt: empty file", "one JSON object per line"});
  test::check_error([] { read("a\tb\n", TableFormat::tsv).column("c"); }, {"in.txt:1: no column 'c'", "a, b"});
  test::check_error([] { data::table_format_of("notes.txt"); }, {"notes.txt", ".tsv, .csv or .jsonl"});
  CHECK(data::table_format_of("x.tsv.CSV") == TableFormat::csv);
  CHECK(data::table_format_of("x.jsonl") == TableFormat::jsonl);
}
