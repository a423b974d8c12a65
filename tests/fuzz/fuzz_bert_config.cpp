// libFuzzer target: arbitrary bytes as an HF config.json (nn/bert_config.h): parse, then the
// checks of the sizes before any model is built.
#include "tinytune/core/error.h"
#include "tinytune/nn/bert_config.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = tt::fuzz::write_input(data, size, "config.json");
  try {
    tt::nn::BertConfig::from_json_file(path).validate(path);
  } catch (const tt::Error&) {
  }
  return 0;
}
