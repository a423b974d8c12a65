// libFuzzer target: arbitrary bytes as a training checkpoint (train/checkpoint.h), read WITHOUT
// the digest check, so that the inputs reach libhdf5 and tinytune's checks of what it returns
// (types, shapes, names). libhdf5 1.10 itself crashes on some corruptions (the reason for the
// digest): crashes whose stack is all inside libhdf5 are its bugs, the others are ours.
#include "tinytune/core/error.h"
#include "tinytune/train/checkpoint.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = tt::fuzz::write_input(data, size, "checkpoint.h5");
  try {
    tt::train::load_checkpoint_skipping_digest(path);
  } catch (const tt::Error&) {
  }
  return 0;
}
