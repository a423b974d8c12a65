// WordPiece against HF: tests/fixtures/tokenizer_cases.json holds HF BertTokenizer(Fast)'s ids
// for tricky texts on tests/fixtures/vocab_small.txt (tests/reference/make_tokenizer_fixture.py);
// we must reproduce every id, token type and mask. Plus the error paths.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include "tinytune/core/error.h"
#include "tinytune/data/wordpiece.h"
#include "tests/test_util.h"

using namespace tt;
using tt::test::check_error;
using namespace tt::data;
using nlohmann::json;

namespace {

const std::string kVocab = TINYTUNE_FIXTURE_DIR "/vocab_small.txt";

const json& cases() {
  static const json data = [] {
    std::ifstream in(TINYTUNE_FIXTURE_DIR "/tokenizer_cases.json");
    REQUIRE_MESSAGE(in, "missing " TINYTUNE_FIXTURE_DIR "/tokenizer_cases.json");
    return json::parse(in);
  }();
  return data;
}

// This run's scratch directory (per process), removed at exit.
const std::filesystem::path& scratch_dir() {
  static const tt::test::TempDir dir;
  return dir.dir;
}

// A scratch file holding `content`; returns its path.
std::string scratch_file(const std::string& name, const std::string& content) {
  auto path = scratch_dir() / name;
  std::ofstream(path, std::ios::binary) << content;
  return path.string();
}

}  // namespace

TEST_CASE("wordpiece: identical to HF BertTokenizer on the fixture cases") {
  const WordPieceTokenizer tok(kVocab);
  REQUIRE(cases()["cases"].size() > 40);
  for (const auto& c : cases()["cases"]) {
    const std::string a = c["a"];
    const std::string b = c["b"].is_null() ? "" : c["b"].get<std::string>();
    INFO("a = ", json(a).dump(), ", b = ", c["b"].dump(), ", max_length = ", c["max_length"]);
    INFO("HF tokens: ", c["tokens"].dump());
    const Encoding enc = tok.encode(a, c["b"].is_null() ? nullptr : &b, c["max_length"]);
    CHECK(enc.input_ids == c["input_ids"].get<std::vector<int64_t>>());
    CHECK(enc.token_type_ids == c["token_type_ids"].get<std::vector<int64_t>>());
    CHECK(enc.attention_mask == c["attention_mask"].get<std::vector<int64_t>>());
    CHECK(tok.tokenize(a) == c["pieces"].get<std::vector<std::string>>());
  }
}

TEST_CASE("wordpiece: vocab ids are line numbers, specials looked up, repeats keep the last id") {
  const WordPieceTokenizer tok(kVocab);
  CHECK(tok.vocab_size() == 160);  // lines, repeats included
  CHECK(tok.pad_id() == 0);
  CHECK(tok.unk_id() == 1);
  CHECK(tok.cls_id() == 2);
  CHECK(tok.sep_id() == 3);
  CHECK(tok.id_to_token(tok.token_to_id("hello")) == "hello");
  CHECK(tok.token_to_id("f") == 158);  // also on an earlier line
  CHECK(tok.token_to_id("not-in-vocab") == -1);
  CHECK(tok.tokenize("Unaffable!") == std::vector<std::string>{"un", "##aff", "##able", "!"});
  check_error([&] { tok.id_to_token(160); }, {"id 160", "out of range", "vocab_small.txt"});
}

TEST_CASE("wordpiece: vocab files with \\r\\n or \\r line ends read like \\n ones") {
  const std::string lines[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "hello", "##s"};
  for (const std::string eol : {"\n", "\r\n", "\r"}) {
    std::string content;
    for (const auto& line : lines) content += line + eol;
    const WordPieceTokenizer tok(scratch_file("eol.txt", content));
    INFO("line end ", json(eol).dump());
    CHECK(tok.vocab_size() == 6);
    CHECK(tok.token_ids("hellos") == std::vector<int64_t>{4, 5});
  }
  // No final line end: the last line still counts.
  const WordPieceTokenizer tok(scratch_file("noeol.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]"));
  CHECK(tok.vocab_size() == 4);
  CHECK(tok.sep_id() == 3);
}

TEST_CASE("wordpiece: bad vocab files are errors naming the file") {
  check_error([] { WordPieceTokenizer("/nonexistent/vocab.txt"); },
              {"/nonexistent/vocab.txt", "cannot open", "one token per line"});
  const std::string empty = scratch_file("empty.txt", "");
  check_error([&] { WordPieceTokenizer{empty}; }, {empty, "is empty"});
  const std::string no_cls = scratch_file("no_cls.txt", "[PAD]\n[UNK]\n[SEP]\nhello\n");
  check_error([&] { WordPieceTokenizer{no_cls}; }, {no_cls, "[CLS]", "special tokens"});
  const std::string bad_utf8 = scratch_file("bad_utf8.txt", "[PAD]\n[UNK]\nab\xff\n");
  check_error([&] { WordPieceTokenizer{bad_utf8}; }, {bad_utf8 + ":3", "not valid UTF-8"});
}

TEST_CASE("wordpiece: invalid UTF-8 input is an error saying where") {
  const WordPieceTokenizer tok(kVocab);
  // a stray byte, a truncated sequence, an encoded surrogate, an overlong '/'
  for (const std::string bad : {"ab\xff", "caf\xc3", "x\xed\xa0\x80", "\xc0\xaf"}) {
    INFO("input ", json::binary({bad.begin(), bad.end()}).dump());
    check_error([&] { tok.encode(bad, nullptr, 16); }, {"not valid UTF-8", "byte offset"});
    check_error([&] { tok.encode("fine", &bad, 16); }, {"not valid UTF-8"});
  }
  check_error([&] { tok.tokenize("ok \xff"); }, {"input text", "bad byte 0xff", "offset 3"});
}

TEST_CASE("wordpiece: max_length must leave room for [CLS] and [SEP]") {
  const WordPieceTokenizer tok(kVocab);
  const std::string b = "world";
  check_error([&] { tok.encode("hello", nullptr, 1); }, {"max_length 1", ">= 2"});
  check_error([&] { tok.encode("hello", &b, 2); }, {"max_length 2", ">= 3", "pair"});
  CHECK(tok.encode("hello", nullptr, 2).input_ids == std::vector<int64_t>{2, 3});
  CHECK(tok.encode("hello", &b, 3).input_ids == std::vector<int64_t>{2, 3, 3});
}

TEST_CASE("wordpiece: build_bert_encoding truncates longest_first like HF tokenizers") {
  // Lengths (a, b) and budget M = max_length - 3 -> kept (a, b).
  struct Case {
    size_t a, b;
    int64_t max_length;
    size_t keep_a, keep_b;
  };
  const Case table[] = {
      {5, 5, 8, 2, 3},  {5, 5, 9, 3, 3},   {5, 5, 10, 3, 4},  {5, 6, 8, 2, 3},
      {6, 5, 8, 3, 2},  {2, 10, 8, 2, 3},  {10, 2, 8, 3, 2},  {1, 1, 4, 0, 1},
      {0, 9, 5, 0, 2},  {3, 3, 64, 3, 3},  {7, 1, 6, 2, 1},   {1, 7, 6, 1, 2},
  };
  for (const auto& c : table) {
    INFO("a ", c.a, " b ", c.b, " max_length ", c.max_length);
    std::vector<int64_t> a(c.a, 10), b(c.b, 11);
    Encoding enc = build_bert_encoding(a, &b, 1, 2, c.max_length);
    const auto count = [&](int64_t id) { return std::count(enc.input_ids.begin(),
                                                           enc.input_ids.end(), id); };
    CHECK(static_cast<size_t>(count(10)) == c.keep_a);
    CHECK(static_cast<size_t>(count(11)) == c.keep_b);
    CHECK(enc.input_ids.size() == c.keep_a + c.keep_b + 3);
    CHECK(enc.attention_mask == std::vector<int64_t>(enc.input_ids.size(), 1));
  }
}
