// libFuzzer target: arbitrary bytes as a SentencePiece .model file and a text to encode with it
// (data/sentencepiece_tokenizer.h). The first byte is the text's length n (0..255): bytes 1..n
// are the text, the rest is the model file (a protobuf, where NUL bytes are common, so no
// separator byte can split the two). The text is encoded alone, as a pair with itself, to ids
// and pieces, and the ids decoded back.
#include <algorithm>

#include "tinytune/core/error.h"
#include "tinytune/data/sentencepiece_tokenizer.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t text_size = std::min<size_t>(data[0], size - 1);
  const std::string text(data + 1, data + 1 + text_size);
  const size_t model_offset = 1 + text_size;
  const std::string path = tt::fuzz::write_input(data + model_offset, size - model_offset, "sp.model");
  try {
    tt::data::SentencePieceTokenizer tokenizer(path);
    tokenizer.encode(text, nullptr, 64);
    tokenizer.encode(text, &text, 16);
    tokenizer.pieces(text);
    tokenizer.decode(tokenizer.token_ids(text));
  } catch (const tt::Error&) {
  }
  return 0;
}
