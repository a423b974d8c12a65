// SentencePiece models (unigram or BPE `.model` files from spm_train, train_sentencepiece, or
// models like ALBERT/XLNet/T5) through libsentencepiece, giving BERT-style inputs:
// [CLS] a [SEP] (b [SEP]) with the same longest_first truncation as the WordPiece tokenizer.
//
// Which ids play [CLS] and [SEP], in order of preference:
//   1. the pieces "[CLS]" and "[SEP]" when the model has both (ALBERT's convention);
//   2. the pieces "<cls>" and "<sep>" when it has both (XLNet's);
//   3. the model's bos and eos ids (<s>, </s>), which every spm_train model has unless disabled
//      (train_sentencepiece's models: <pad>=0, <unk>=1, <s>=2, </s>=3).
// A model with none of these is a tt::Error. The pad id is the model's pad_id, else a "<pad>" or
// "[PAD]" piece, else unk: padding is masked out, so it only has to be a valid id.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tinytune/data/tokenizer.h"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace tt::data {

class SentencePieceTokenizer : public Tokenizer {
 public:
  // Loads a serialized model; a missing or unreadable file is a tt::Error naming it.
  explicit SentencePieceTokenizer(const std::string& model_path);
  ~SentencePieceTokenizer() override;

  // Throws tt::Error when a text is not valid UTF-8 or max_length < the special tokens.
  Encoding encode(const std::string& a, const std::string* b, int64_t max_length) const override;

  // The model's ids for `text` (no specials) and back.
  std::vector<int64_t> token_ids(const std::string& text) const;
  std::vector<std::string> pieces(const std::string& text) const;
  std::string decode(const std::vector<int64_t>& ids) const;

  int64_t pad_id() const override { return pad_id_; }
  int64_t vocab_size() const override;
  int64_t cls_id() const { return cls_id_; }
  int64_t sep_id() const { return sep_id_; }

 private:
  std::string model_path_;
  std::unique_ptr<sentencepiece::SentencePieceProcessor> processor_;
  int64_t cls_id_ = -1, sep_id_ = -1, pad_id_ = -1;
};

// Trains a SentencePiece model on `sentences` (one training sentence each), writing
// <output_prefix>.model and <output_prefix>.vocab. Ids 0..3 are <pad>, <unk>, <s>, </s>, so the
// model's bos/eos serve as [CLS]/[SEP]. Deterministic for the same inputs and threads. Errors
// (no sentences, a vocab_size the data can't fill, an unwritable prefix) are tt::Errors.
struct SentencePieceTrainOptions {
  int vocab_size = 8000;
  std::string model_type = "unigram";  // or "bpe", "char", "word"
  int threads = 1;
  double character_coverage = 1.0;  // keep every character seen (English: no rare-script cut)
  // Extra pieces that text never encodes to, ids 4, 5, ... (e.g. {"<cls>", "<sep>"}).
  std::vector<std::string> control_symbols;
};
void train_sentencepiece(const std::vector<std::string>& sentences,
                         const std::string& output_prefix,
                         const SentencePieceTrainOptions& options);

}  // namespace tt::data
