#include "tinytune/train/glue_task.h"

#include <filesystem>

#include "tinytune/core/error.h"
#include "tinytune/data/tokenizer_config.h"
#include "tinytune/nn/hf_checkpoint.h"

namespace tt::train {

namespace fs = std::filesystem;

namespace {

std::string file_name(const data::GlueTaskSpec& spec, const std::string& entry) {
  if (entry == "train") return spec.train_file;
  if (entry == "dev") return spec.dev_files[0];
  return entry;
}

}  // namespace

OpenedGlueTask open_glue_task(const GlueTaskRequest& request) {
  OpenedGlueTask opened;
  opened.task = data::parse_glue_task(request.task);
  opened.spec = &data::glue_spec(opened.task);
  std::vector<fs::path> paths;
  for (const std::string& entry : request.files)
    paths.push_back(fs::path(request.data_dir) / opened.spec->folder / file_name(*opened.spec, entry));
  for (const fs::path& f : paths)
    TT_CHECK(fs::exists(f), "--data-dir: ", f.string(), " not found (run scripts/get_glue.sh ",
             opened.spec->folder, ")");
  for (const fs::path& f : paths)
    opened.splits.push_back(data::read_glue_split(opened.task, f.string(), request.labelled));
  if (!request.model_dir.empty()) opened.tokenizer = open_tokenizer(request.model_dir);
  return opened;
}

std::unique_ptr<data::WordPieceTokenizer> open_tokenizer(const std::string& model_dir) {
  // vocab.txt with tokenizer_config.json's settings (cased or not, accents, CJK)
  return data::load_wordpiece_tokenizer(nn::resolve_hf_model_dir(model_dir));
}

std::shared_ptr<nn::BertForSequenceClassification> load_glue_classifier(const std::string& model_dir,
                                                                        const data::GlueTaskSpec& spec,
                                                                        double dropout) {
  return nn::load_bert_for_classification(model_dir, spec.num_labels, nullptr, dropout);
}

}  // namespace tt::train
