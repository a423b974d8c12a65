// Writes the seeds of fuzz_sentencepiece (tests/fixtures/fuzz_corpus/fuzz_sentencepiece/): a unigram and
// a BPE model, each trained on a few sentences with the identity normalizer (no NFKC table, which
// would make a seed of some 240 KB), prefixed by the fuzz target's text-length byte and a text.
//   g++ -std=c++20 tests/fuzz/seeds/make_sentencepiece_seeds.cpp -lsentencepiece_train \
//       -lsentencepiece -o /tmp/make_seeds && /tmp/make_seeds tests/fixtures/fuzz_corpus/fuzz_sentencepiece
#include <sentencepiece_trainer.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_sentencepiece_seeds OUTPUT_DIR\n";
    return 2;
  }
  const std::filesystem::path out = argv[1];
  const std::filesystem::path scratch = std::filesystem::temp_directory_path() / "tt_sp_seeds";
  std::filesystem::create_directories(scratch);
  const std::string corpus = (scratch / "corpus.txt").string();
  std::ofstream(corpus) << "a fine film\na dull film\nthe film is fine\nthe plot is dull\n"
                           "fine acting, dull plot\n";
  const std::string text = "a fine plot";
  for (const std::string type : {"unigram", "bpe"}) {
    const std::string prefix = (scratch / type).string();
    const auto status = sentencepiece::SentencePieceTrainer::Train(
        "--input=" + corpus + " --model_prefix=" + prefix + " --model_type=" + type +
        " --vocab_size=24 --normalization_rule_name=identity --pad_id=0 --unk_id=1 --bos_id=2"
        " --eos_id=3 --hard_vocab_limit=false --minloglevel=2");
    if (!status.ok()) {
      std::cerr << type << ": " << status.ToString() << "\n";
      return 1;
    }
    std::stringstream model;
    model << std::ifstream(prefix + ".model", std::ios::binary).rdbuf();
    std::ofstream seed(out / (type + "_model"), std::ios::binary);
    seed << static_cast<char>(text.size()) << text << model.str();
  }
  std::filesystem::remove_all(scratch);
  return 0;
}
