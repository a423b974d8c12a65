// SentencePiece: trains tiny models on tests/fixtures/sp_corpus.txt (40 committed lines) into the
// temp dir, then checks determinism, the [CLS]/[SEP] choice, pairs and truncation, and that a
// missing or corrupt model file is a tt::Error naming it.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "tinytune/core/error.h"
#include "tinytune/data/sentencepiece_tokenizer.h"
#include "tests/test_util.h"

using namespace tt;
using tt::test::check_error;
using namespace tt::data;

namespace {

std::vector<std::string> corpus() {
  std::ifstream in(TINYTUNE_FIXTURE_DIR "/sp_corpus.txt");
  REQUIRE_MESSAGE(in, "missing " TINYTUNE_FIXTURE_DIR "/sp_corpus.txt");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  REQUIRE(lines.size() == 40);
  return lines;
}

// This run's scratch directory (per process), removed at exit.
const std::filesystem::path& scratch_dir() {
  static const tt::test::TempDir dir;
  return dir.dir;
}

std::string scratch(const std::string& name) { return (scratch_dir() / name).string(); }

// Trains (once per prefix) and returns the .model path.
std::string tiny_model(const std::string& name, std::vector<std::string> control_symbols = {}) {
  const std::string prefix = scratch(name);
  SentencePieceTrainOptions options;
  options.vocab_size = 150;
  options.control_symbols = std::move(control_symbols);
  train_sentencepiece(corpus(), prefix, options);
  return prefix + ".model";
}

const std::vector<std::string> kTexts = {
    "The quick brown fox jumps over the lazy dog.",
    "Tokenizers split unseen words like internationalisation into pieces.",
    "",
    "Zebra xylophones quietly vex jumpy wizards!",  // letters the corpus barely has
};

}  // namespace

TEST_CASE("sentencepiece: a trained model encodes deterministically with bos/eos as CLS/SEP") {
  const SentencePieceTokenizer tok(tiny_model("a"));
  CHECK(tok.vocab_size() == 150);
  CHECK(tok.pad_id() == 0);
  CHECK(tok.cls_id() == 2);  // <s>
  CHECK(tok.sep_id() == 3);  // </s>

  // The same data trained again gives the same model: the same ids for every text.
  const SentencePieceTokenizer again(tiny_model("b"));
  for (const auto& text : kTexts) {
    INFO("text: ", text);
    const auto ids = tok.token_ids(text);
    CHECK(ids == tok.token_ids(text));
    CHECK(ids == again.token_ids(text));
    CHECK(tok.pieces(text).size() == ids.size());
    for (int64_t id : ids) {  // never a special; unk (1) possible
      const bool ordinary = (id >= 4 && id < 150) || id == 1;
      CHECK(ordinary);
    }
    if (text.find_first_of("Zx") == std::string::npos) CHECK(tok.decode(ids) == text);

    const Encoding enc = tok.encode(text, nullptr, 512);
    REQUIRE(enc.input_ids.size() == ids.size() + 2);
    CHECK(enc.input_ids.front() == 2);
    CHECK(enc.input_ids.back() == 3);
    CHECK(std::equal(ids.begin(), ids.end(), enc.input_ids.begin() + 1));
    CHECK(enc.token_type_ids == std::vector<int64_t>(enc.input_ids.size(), 0));
    CHECK(enc.attention_mask == std::vector<int64_t>(enc.input_ids.size(), 1));
  }
}

TEST_CASE("sentencepiece: pairs get [CLS] a [SEP] b [SEP], truncated longest_first") {
  const SentencePieceTokenizer tok(tiny_model("pair"));
  const std::string a = kTexts[0], b = kTexts[1];
  const auto ids_a = tok.token_ids(a), ids_b = tok.token_ids(b);
  REQUIRE(ids_a.size() > 6);
  REQUIRE(ids_b.size() > ids_a.size());

  Encoding full = tok.encode(a, &b, 512);
  std::vector<int64_t> expected = {2};
  expected.insert(expected.end(), ids_a.begin(), ids_a.end());
  expected.push_back(3);
  const size_t first_len = expected.size();
  expected.insert(expected.end(), ids_b.begin(), ids_b.end());
  expected.push_back(3);
  CHECK(full.input_ids == expected);
  for (size_t i = 0; i < expected.size(); ++i)
    CHECK(full.token_type_ids[i] == (i < first_len ? 0 : 1));

  // Budget 10 for a longer b: both are cut, a (the shorter) to 5 and b to 5.
  Encoding cut = tok.encode(a, &b, 13);
  CHECK(cut.input_ids.size() == 13);
  CHECK(std::equal(ids_a.begin(), ids_a.begin() + 5, cut.input_ids.begin() + 1));
  CHECK(cut.input_ids[6] == 3);
  CHECK(std::equal(ids_b.begin(), ids_b.begin() + 5, cut.input_ids.begin() + 7));
  check_error([&] { tok.encode(a, &b, 2); }, {"max_length 2", ">= 3"});
}

TEST_CASE("sentencepiece: [CLS]/[SEP] or <cls>/<sep> pieces win over bos/eos") {
  const SentencePieceTokenizer xlnet(tiny_model("xlnet", {"<cls>", "<sep>"}));
  CHECK(xlnet.cls_id() == 4);
  CHECK(xlnet.sep_id() == 5);
  const SentencePieceTokenizer albert(tiny_model("albert", {"<cls>", "<sep>", "[CLS]", "[SEP]"}));
  CHECK(albert.cls_id() == 6);
  CHECK(albert.sep_id() == 7);
  const Encoding enc = albert.encode("the dog", nullptr, 16);
  CHECK(enc.input_ids.front() == 6);
  CHECK(enc.input_ids.back() == 7);
}

TEST_CASE("sentencepiece: missing or corrupt models and bad input are errors naming them") {
  check_error([] { SentencePieceTokenizer("/nonexistent/tiny.model"); },
              {"/nonexistent/tiny.model", "cannot load", "SentencePiece .model"});
  const std::string corrupt = scratch("corrupt.model");
  std::ofstream(corrupt, std::ios::binary) << "this is not a protobuf \x01\x02\xff";
  check_error([&] { SentencePieceTokenizer{corrupt}; }, {corrupt, "cannot load"});
  const std::string empty = scratch("empty.model");
  std::ofstream(empty, std::ios::binary).flush();
  check_error([&] { SentencePieceTokenizer{empty}; }, {empty});

  const SentencePieceTokenizer tok(tiny_model("errors"));
  check_error([&] { tok.encode("ab\xff", nullptr, 8); }, {"not valid UTF-8", "byte offset 2"});
  check_error([&] { tok.decode({150}); }, {"id 150", "out of range"});

  SentencePieceTrainOptions options;
  options.vocab_size = 150;
  check_error([&] { train_sentencepiece({}, scratch("none"), options); }, {"no sentences"});
  options.vocab_size = 100000;
  check_error([&] { train_sentencepiece(corpus(), scratch("huge"), options); },
              {scratch("huge") + ".model", "Vocabulary size"});
}

// Found by fuzz_sentencepiece: a well-formed protobuf whose piece list holds a piece starting
// with a NUL byte makes libsentencepiece's trie builder throw Darts::Details::Exception ("zero-
// length key") out of Load, past the tt::Error the constructor promises.
TEST_CASE("sentencepiece: a model with an empty piece is an error naming the file") {
  const char bytes[] =
      "\x0a\x0e\x0a\x05\x3c\x70\x61\x64\x3e\x15\x00\x00\x00\x00\x18\x03\x0a\x0e\x0a\x05\x3c\x75\x6e"
      "\x6b\x3e\x15\x00\x00\x00\x00\x18\x02\x0a\x0c\x0a\x03\x3c\x73\x3e\x15\x00\x00\x00\x00\x18\x03"
      "\x0a\x0d\x0a\x04\x3c\x2f\x73\x3e\x15\x00\x00\x00\x00\x18\x03\x0a\x0a\x0a\x03\x3d\x96\x81\x15"
      "\x05\x69\x0e\xc0\x0a\x08\x0a\x01\x74\x15\x64\xbe\xe2\x96\x81\x64\x75\x6c\x6c\x15\x64\xbe\x23"
      "\xc0\x0a\x0e\x0a\x07\x00\x00\x80\x08\x0a\x01\x6d\x15\x20\xdb\x81\xc0\x0a\x08\x0a\x01\x64\x15"
      "\x74\x69\x74\x79\x12\x00";
  const std::string path = scratch("empty_piece.model");
  std::ofstream(path, std::ios::binary) << std::string(bytes, sizeof bytes - 1);
  check_error([&] { SentencePieceTokenizer{path}; }, {path, "cannot load"});
}
