// libFuzzer target: arbitrary bytes as an adapter directory's adapter_config.json
// (peft/adapter_io.h: read_adapter_config, every registered family's keys).
#include "tinytune/core/error.h"
#include "tinytune/peft/adapter_io.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tt::fuzz::write_input(data, size, tt::peft::kAdapterConfigFile);
  try {
    tt::peft::read_adapter_config(tt::fuzz::scratch_dir().string());
  } catch (const tt::Error&) {
  }
  return 0;
}
