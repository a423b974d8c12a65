// libFuzzer target: arbitrary bytes as a GLUE TSV file (data/glue.h). The first byte picks the
// task and whether the file is labelled (train/dev) or not (test); the rest is the file.
#include "tinytune/core/error.h"
#include "tinytune/data/glue.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto& tasks = tt::data::all_glue_tasks();
  const tt::data::GlueTask task = tasks[data[0] % tasks.size()];
  const bool labelled = (data[0] / tasks.size()) % 2 == 0;
  const std::string path = tt::fuzz::write_input(data + 1, size - 1, "split.tsv");
  try {
    tt::data::read_glue_split(task, path, labelled).skip_report();
  } catch (const tt::Error&) {
  }
  return 0;
}
