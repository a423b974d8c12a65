// Tokenizers as HF configures them (data/tokenizer_config.h): a small cased WordPiece vocabulary
// and, per tokenizer_config.json setting (cased, cased with accents stripped, lower-cased with
// accents kept, uncased, no CJK splitting), what HF's AutoTokenizer gives on every dev sentence
// of six GLUE tasks, as digests, and on a few hand-picked strings in full
// (tests/reference/make_cased_tokenizer_fixture.py). Also the settings tinytune refuses.
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tinytune/data/glue.h"
#include "tinytune/data/tokenizer_config.h"
#include "tests/test_util.h"

using namespace tt;
namespace fs = std::filesystem;

namespace {

const std::string kFixture = std::string(TINYTUNE_FIXTURE_DIR) + "/cased_wordpiece";
const std::string kGlue = std::string(TINYTUNE_FIXTURE_DIR) + "/../../../shared/glue";

nlohmann::json expected() {
  std::ifstream in(kFixture + "/expected.json");
  return nlohmann::json::parse(in);
}

// A model directory holding the cased vocab and `setting` as its tokenizer_config.json.
fs::path model_dir(const test::TempDir& tmp, const std::string& name, const nlohmann::json& setting) {
  const fs::path dir = tmp.dir / name;
  fs::create_directories(dir);
  fs::copy_file(kFixture + "/vocab.txt", dir / "vocab.txt");
  nlohmann::json config = setting;
  config["tokenizer_class"] = "BertTokenizer";
  std::ofstream(dir / data::kTokenizerConfigFile) << config.dump();
  return dir;
}

// The fixture script's digest: 64-bit FNV-1a over each id as a little-endian int64, each row
// closed by -1; every row's input_ids, then every row's token_type_ids.
struct Fnv1a {
  uint64_t h = 0xCBF29CE484222325ull;
  void add(int64_t v) {
    for (int i = 0; i < 8; ++i) h = (h ^ ((static_cast<uint64_t>(v) >> (8 * i)) & 0xFF)) * 0x100000001B3ull;
  }
  void row(const std::vector<int64_t>& ids) {
    for (int64_t id : ids) add(id);
    add(-1);
  }
};

std::string digest(const data::WordPieceTokenizer& tok, const data::GlueSplit& split) {
  Fnv1a f;
  std::vector<data::Encoding> encodings;
  for (const auto& e : split.examples)
    encodings.push_back(tok.encode(e.text_a, e.has_b ? &e.text_b : nullptr, 128));
  for (const auto& e : encodings) f.row(e.input_ids);
  for (const auto& e : encodings) f.row(e.token_type_ids);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(f.h));
  return hex;
}

}  // namespace

TEST_CASE("tokenizer_config: each setting gives HF's ids on hand-picked strings") {
  const auto e = expected();
  test::TempDir tmp;
  for (auto& [name, setting] : e["settings"].items()) {
    CAPTURE(name);
    auto tok = data::load_wordpiece_tokenizer(model_dir(tmp, name, setting).string());
    for (const auto& c : e["cases"][name]) {
      CAPTURE(c[0].get<std::string>());
      CHECK(tok->encode(c[0].get<std::string>(), nullptr, 512).input_ids == c[1].get<std::vector<int64_t>>());
    }
  }
}

TEST_CASE("tokenizer_config: each setting gives HF's ids on every dev sentence of six GLUE tasks") {
  if (!fs::exists(kGlue + "/SST-2/dev.tsv")) {
    WARN_MESSAGE(false, "skipped: ../shared/glue not present (cased tokenization not checked on GLUE)");
    return;
  }
  const auto e = expected();
  test::TempDir tmp;
  for (auto& [name, setting] : e["settings"].items()) {
    auto tok = data::load_wordpiece_tokenizer(model_dir(tmp, name, setting).string());
    for (auto& [file, want] : e["digests"][name].items()) {
      CAPTURE(name);
      CAPTURE(file);
      const std::string folder = file.substr(0, file.find('/'));
      data::GlueTask task = data::GlueTask::cola;
      for (data::GlueTask t : data::all_glue_tasks())
        if (data::glue_spec(t).folder == folder) task = t;
      const data::GlueSplit split = data::read_glue_split(task, kGlue + "/" + file, true);
      REQUIRE(static_cast<int64_t>(split.examples.size()) == want["rows"].get<int64_t>());
      CHECK(digest(*tok, split) == want["fnv1a64"].get<std::string>());
    }
  }
}

TEST_CASE("tokenizer_config: no file means uncased, settings tinytune cannot honour are errors") {
  test::TempDir tmp;
  fs::create_directories(tmp.dir / "plain");
  fs::copy_file(kFixture + "/vocab.txt", tmp.dir / "plain/vocab.txt");
  auto plain = data::load_wordpiece_tokenizer((tmp.dir / "plain").string());
  CHECK(plain->options().lowercase);
  CHECK(plain->options().strips_accents());

  const fs::path path = tmp.dir / data::kTokenizerConfigFile;
  auto refused = [&](const std::string& json_text, const std::string& key) {
    std::ofstream(path) << json_text;
    test::check_error([&] { data::read_tokenizer_config(path.string()); }, {path.string(), key});
  };
  refused(R"({"do_lower_case": "yes"})", "do_lower_case");
  refused(R"({"strip_accents": 1})", "strip_accents");
  refused(R"({"tokenizer_class": "XLMRobertaTokenizer"})", "XLMRobertaTokenizer");
  refused(R"({"do_basic_tokenize": false})", "do_basic_tokenize");
  refused(R"({"never_split": ["[FOO]"]})", "never_split");
  refused(R"({"unk_token": "<unk>"})", "unk_token");
  refused(R"([1, 2])", "JSON object");
  refused(R"({"do_lower_case": fals)", "not valid JSON");
  refused(R"({"model_max_length": 1E1111})", "not valid JSON");  // out_of_range, not parse_error
}
