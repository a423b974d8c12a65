// libFuzzer target: arbitrary bytes as your own data (data/text_table.h for predict,
// data/text_dataset.h for train_glue --train-file). The first byte picks
//   the format (byte % 3: tsv, csv, jsonl),
//   the reader ((byte / 3) % 2: read_text_table on the rest, or read_text_dataset),
//   for read_text_dataset the problem type ((byte / 6) % 3: auto, classification, regression)
//   and the text columns ((byte / 18) % 2: "sentence", or "sentence1,sentence2").
// read_text_dataset gets the rest split at NUL bytes into the training, validation and (when a
// second NUL follows) test files, with the label column "label": its label set, numeric order and
// regression checks see arbitrary labels across files. Besides crashes, a dataset read without
// an error must keep its promise (text_dataset.h): every score finite, every class id a label.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "tinytune/core/error.h"
#include "tinytune/data/text_dataset.h"
#include "tinytune/data/text_table.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

using tt::data::TableFormat;

void read_table(TableFormat format, const std::string& bytes) {
  std::istringstream in(bytes);
  const tt::data::TextTable table = tt::data::read_text_table(in, format, "input");
  table.column("sentence");
}

// Up to three files: the parts before the first and second NUL, then the rest. Without a NUL
// the validation file is empty.
std::vector<std::string> split_files(const std::string& bytes) {
  std::vector<std::string> files;
  size_t start = 0;
  while (files.size() < 2) {
    const size_t nul = bytes.find('\0', start);
    if (nul == std::string::npos) break;
    files.push_back(bytes.substr(start, nul - start));
    start = nul + 1;
  }
  files.push_back(bytes.substr(start));
  if (files.size() < 2) files.emplace_back();
  return files;
}

// A broken promise is a finding: libFuzzer saves the input of an abort.
void check_labels(const tt::data::TextDataset& dataset, const tt::data::GlueSplit& split) {
  for (const tt::data::GlueExample& ex : split.examples) {
    if (!ex.has_label) continue;
    const bool good = dataset.spec.is_regression
                          ? std::isfinite(ex.score)
                          : ex.label >= 0 && ex.label < dataset.spec.num_labels;
    if (!good) {
      std::fprintf(stderr, "fuzz_own_data: %s:%lld: label %lld, score %g outside the dataset's labels\n",
                   split.path.c_str(), static_cast<long long>(ex.line),
                   static_cast<long long>(ex.label), static_cast<double>(ex.score));
      std::abort();
    }
  }
}

void read_dataset(const char* extension, uint8_t choice, const std::string& bytes) {
  const std::vector<std::string> files = split_files(bytes);
  const char* names[] = {"train", "dev", "test"};
  std::vector<std::string> paths;
  for (size_t i = 0; i < files.size(); ++i)
    paths.push_back(tt::fuzz::write_input(reinterpret_cast<const uint8_t*>(files[i].data()),
                                          files[i].size(), std::string(names[i]) + extension));
  const tt::data::ProblemType types[] = {tt::data::ProblemType::automatic,
                                         tt::data::ProblemType::classification,
                                         tt::data::ProblemType::regression};
  tt::data::TextDataRequest request;
  request.train_file = paths[0];
  request.validation_file = paths[1];
  if (paths.size() == 3) request.test_file = paths[2];
  request.text_columns = (choice / 18) % 2 == 0 ? std::vector<std::string>{"sentence"}
                                                : std::vector<std::string>{"sentence1", "sentence2"};
  request.problem_type = types[(choice / 6) % 3];
  const tt::data::TextDataset dataset = tt::data::read_text_dataset(request);
  check_labels(dataset, dataset.train);
  check_labels(dataset, dataset.validation);
  if (dataset.test) check_labels(dataset, *dataset.test);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t choice = data[0];
  const TableFormat formats[] = {TableFormat::tsv, TableFormat::csv, TableFormat::jsonl};
  const char* extensions[] = {".tsv", ".csv", ".jsonl"};
  const std::string bytes(data + 1, data + size);
  try {
    if ((choice / 3) % 2 == 0)
      read_table(formats[choice % 3], bytes);
    else
      read_dataset(extensions[choice % 3], choice, bytes);
  } catch (const tt::Error&) {
  }
  return 0;
}
