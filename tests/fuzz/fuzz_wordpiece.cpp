// libFuzzer target: a vocabulary and a text, both arbitrary bytes (data/wordpiece.h). The input
// is split at its first NUL byte: before it vocab.txt, after it the text, encoded alone and as
// a pair with itself.
#include <algorithm>

#include "tinytune/core/error.h"
#include "tinytune/data/wordpiece.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const uint8_t* nul = std::find(data, data + size, uint8_t{0});
  const std::string path = tt::fuzz::write_input(data, static_cast<size_t>(nul - data), "vocab.txt");
  const std::string text = nul == data + size ? "" : std::string(nul + 1, data + size);
  try {
    tt::data::WordPieceTokenizer tokenizer(path);
    tokenizer.tokenize(text);
    tokenizer.encode(text, nullptr, 128);
    tokenizer.encode(text, &text, 64);
  } catch (const tt::Error&) {
  }
  return 0;
}
