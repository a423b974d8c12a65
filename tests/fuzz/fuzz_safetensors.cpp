// libFuzzer target: arbitrary bytes as a .safetensors file (core/io/safetensors.h): the header's
// length, JSON, dtypes, shapes and offsets against the file's size.
#include "tinytune/core/error.h"
#include "tinytune/core/io/safetensors.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = tt::fuzz::write_input(data, size, "input.safetensors");
  try {
    tt::io::read_safetensors_shapes(path);
    tt::io::read_safetensors(path);
  } catch (const tt::Error&) {
  }
  return 0;
}
