// SentencePiece through libsentencepiece; the [CLS]/[SEP] choice is explained in the header.
#include "tinytune/data/sentencepiece_tokenizer.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <exception>
#include <string>
#include <unordered_map>

#include "tinytune/core/error.h"
#include "tinytune/core/utf8.h"

namespace tt::data {
namespace {

// libsentencepiece would quietly map bad bytes to U+FFFD; we say so instead, as WordPiece does.
void check_utf8(const std::string& text) {
  const int64_t at = find_invalid_utf8(text);
  TT_CHECK(at < 0, "SentencePieceTokenizer: input text is not valid UTF-8 (bad byte 0x", std::hex,
           static_cast<int>(static_cast<unsigned char>(text[at < 0 ? 0 : at])), std::dec,
           " at byte offset ", at, " of ", text.size(), "); expected UTF-8 text");
}

// Feeds the sentences to the trainer from memory (no temporary corpus file).
class VectorIterator : public sentencepiece::SentenceIterator {
 public:
  explicit VectorIterator(const std::vector<std::string>& sentences) : sentences_(sentences) {}
  bool done() const override { return index_ >= sentences_.size(); }
  void Next() override { ++index_; }
  const std::string& value() const override { return sentences_[index_]; }
  sentencepiece::util::Status status() const override { return {}; }

 private:
  const std::vector<std::string>& sentences_;
  size_t index_ = 0;
};

}  // namespace

SentencePieceTokenizer::SentencePieceTokenizer(const std::string& model_path)
    : model_path_(model_path), processor_(std::make_unique<sentencepiece::SentencePieceProcessor>()) {
  // Load reports most faults in its status, but some malformed models make it throw (an empty
  // piece: the trie builder's "zero-length key"); both become the same tt::Error.
  std::string fault;
  try {
    const auto status = processor_->Load(model_path);
    if (!status.ok()) fault = status.ToString();
  } catch (const std::exception& e) {
    fault = e.what();
  }
  TT_CHECK(fault.empty(), "SentencePieceTokenizer: cannot load model '", model_path, "' (", fault,
           "); expected a SentencePiece .model file (spm_train's output)");
  const int unk = processor_->unk_id();
  auto piece = [&](const char* p) {  // PieceToId answers unk for an absent piece
    int id = processor_->PieceToId(p);
    return id == unk ? -1 : id;
  };
  if (piece("[CLS]") >= 0 && piece("[SEP]") >= 0) {
    cls_id_ = piece("[CLS]");
    sep_id_ = piece("[SEP]");
  } else if (piece("<cls>") >= 0 && piece("<sep>") >= 0) {
    cls_id_ = piece("<cls>");
    sep_id_ = piece("<sep>");
  } else {
    cls_id_ = processor_->bos_id();
    sep_id_ = processor_->eos_id();
    TT_CHECK(cls_id_ >= 0 && sep_id_ >= 0, "SentencePieceTokenizer: model '", model_path,
             "' has no [CLS]/[SEP] or <cls>/<sep> pieces and no bos/eos ids; expected one of "
             "them to mark [CLS] and [SEP]");
  }
  if (processor_->pad_id() >= 0) {
    pad_id_ = processor_->pad_id();
  } else if (piece("<pad>") >= 0) {
    pad_id_ = piece("<pad>");
  } else if (piece("[PAD]") >= 0) {
    pad_id_ = piece("[PAD]");
  } else {
    pad_id_ = unk;
  }
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

int64_t SentencePieceTokenizer::vocab_size() const { return processor_->GetPieceSize(); }

std::vector<int64_t> SentencePieceTokenizer::token_ids(const std::string& text) const {
  check_utf8(text);
  std::vector<int> ids;
  const auto status = processor_->Encode(text, &ids);
  TT_CHECK(status.ok(), "SentencePieceTokenizer: encoding with '", model_path_, "' failed: ",
           status.ToString());
  return {ids.begin(), ids.end()};
}

std::vector<std::string> SentencePieceTokenizer::pieces(const std::string& text) const {
  check_utf8(text);
  std::vector<std::string> out;
  const auto status = processor_->Encode(text, &out);
  TT_CHECK(status.ok(), "SentencePieceTokenizer: encoding with '", model_path_, "' failed: ",
           status.ToString());
  return out;
}

std::string SentencePieceTokenizer::decode(const std::vector<int64_t>& ids) const {
  std::vector<int> narrow;
  narrow.reserve(ids.size());
  for (int64_t id : ids) {
    TT_CHECK(id >= 0 && id < vocab_size(), "SentencePieceTokenizer: id ", id,
             " out of range; expected [0, ", vocab_size(), ") for model '", model_path_, "'");
    narrow.push_back(static_cast<int>(id));
  }
  std::string text;
  const auto status = processor_->Decode(narrow, &text);
  TT_CHECK(status.ok(), "SentencePieceTokenizer: decoding with '", model_path_, "' failed: ",
           status.ToString());
  return text;
}

Encoding SentencePieceTokenizer::encode(const std::string& a, const std::string* b,
                                        int64_t max_length) const {
  std::vector<int64_t> ids_b;
  if (b) ids_b = token_ids(*b);
  return build_bert_encoding(token_ids(a), b ? &ids_b : nullptr, cls_id_, sep_id_, max_length);
}

void train_sentencepiece(const std::vector<std::string>& sentences,
                         const std::string& output_prefix,
                         const SentencePieceTrainOptions& options) {
  TT_CHECK(!sentences.empty(), "train_sentencepiece: no sentences to train on; expected at "
           "least one non-empty line");
  TT_CHECK(options.vocab_size > 4, "train_sentencepiece: vocab_size ", options.vocab_size,
           " is too small; expected more than the 4 special pieces");
  for (const auto& s : sentences) check_utf8(s);
  std::unordered_map<std::string, std::string> args = {
      {"model_prefix", output_prefix},
      {"vocab_size", std::to_string(options.vocab_size)},
      {"model_type", options.model_type},
      {"num_threads", std::to_string(options.threads)},
      {"character_coverage", std::to_string(options.character_coverage)},
      {"pad_id", "0"}, {"unk_id", "1"}, {"bos_id", "2"}, {"eos_id", "3"},
      {"input_sentence_size", "0"},  // all sentences: no random sampling
      {"minloglevel", "1"},          // warnings and errors only, not the per-step progress
  };
  if (!options.control_symbols.empty()) {
    std::string joined;
    for (const auto& symbol : options.control_symbols) {
      TT_CHECK(!symbol.empty() && symbol.find(',') == std::string::npos,
               "train_sentencepiece: control symbol '", symbol,
               "' is not valid; expected a non-empty piece without commas");
      joined += (joined.empty() ? "" : ",") + symbol;
    }
    args["control_symbols"] = joined;
  }
  VectorIterator it(sentences);
  const auto status = sentencepiece::SentencePieceTrainer::Train(args, &it);
  TT_CHECK(status.ok(), "train_sentencepiece: training '", output_prefix, ".model' on ",
           sentences.size(), " sentences failed: ", status.ToString());
}

}  // namespace tt::data
