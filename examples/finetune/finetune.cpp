// Fine-tune a BERT checkpoint with LoRA on a toy sentiment rule, then use it: evaluate on
// held-out sentences, save the adapter, load it back and label new sentences.
//
//   build/bin/example_finetune MODEL_DIR [OUTPUT_DIR]
//     MODEL_DIR   an HF BERT directory (config.json, vocab.txt, model.safetensors), e.g.
//                 models/all-MiniLM-L6-v2 after scripts/get_model.sh
//     OUTPUT_DIR  where the adapter goes (default: finetune-out)
//
// The rule: a sentence of everyday words is positive when it says "good", negative when it
// says "bad". The model does not know that; LoRA on query and value plus a new head learn it.
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <tinytune/tinytune.h>

using namespace tt;

namespace {

struct Labelled {
  std::vector<std::string> texts;
  std::vector<int64_t> labels;  // 0 negative, 1 positive
};

// n sentences of 4-8 filler words with "good" or "bad" at a random place.
Labelled toy_sentences(int n, uint64_t seed) {
  const std::vector<std::string> filler = {"the", "a", "movie", "day", "city", "time", "he", "she",
                                           "they", "we", "play", "run", "year", "here", "world", "my"};
  std::mt19937_64 rng(seed);
  Labelled out;
  for (int i = 0; i < n; ++i) {
    const int64_t label = i % 2;
    std::vector<std::string> words(4 + rng() % 5);
    for (auto& w : words) w = filler[rng() % filler.size()];
    words[rng() % words.size()] = label ? "good" : "bad";
    std::string text;
    for (const auto& w : words) text += (text.empty() ? "" : " ") + w;
    out.texts.push_back(text);
    out.labels.push_back(label);
  }
  return out;
}

// The sentences as a labelled split that data::Batcher tokenizes, pads and shuffles.
data::GlueSplit as_split(const Labelled& data) {
  data::GlueSplit split;
  split.task = data::GlueTask::sst2;  // one sentence, two classes
  for (size_t i = 0; i < data.texts.size(); ++i) {
    data::GlueExample example;
    example.text_a = data.texts[i];
    example.has_label = true;
    example.label = data.labels[i];
    split.examples.push_back(example);
  }
  return split;
}

void fine_tune(nn::BertForSequenceClassification& model, const data::Tokenizer& tokenizer,
           const Labelled& data, int epochs) {
  const data::Batcher batches(as_split(data), tokenizer, {.batch_size = 16, .shuffle = true, .seed = 1});
  train::AdamW optimizer(train::decay_groups(model.named_parameters(), 0.0), {.lr = 5e-3});
  model.train();
  for (int epoch = 0; epoch < epochs; ++epoch) {
    double total = 0;
    batches.for_each_batch(epoch, [&](const data::Batch& b) {
      Tensor loss = cross_entropy(model.forward({b.input_ids, b.token_type_ids, b.attention_mask}), b.labels);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      total += loss.item();
    });
    std::printf("epoch %d  mean loss %.4f\n", epoch + 1, total / batches.num_batches());
  }
}

double accuracy(const train::TextClassifier& classifier, const Labelled& data) {
  const auto predictions = classifier.predict(data.texts);
  int correct = 0;
  for (size_t i = 0; i < predictions.size(); ++i) correct += predictions[i].label == data.labels[i];
  return static_cast<double>(correct) / predictions.size();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL_DIR [OUTPUT_DIR]\n", argv[0]);
    return 2;
  }
  const std::string model_dir = argv[1];
  const std::string adapter_dir = std::string(argc > 2 ? argv[2] : "finetune-out") + "/adapter";
  const std::vector<std::string> label_names = {"negative", "positive"};
  try {
    manual_seed(1);
    // 1. The checkpoint, a new two-class head, and its tokenizer (vocab.txt, tokenizer_config.json).
    auto model = nn::load_bert_for_classification(model_dir, 2);
    std::shared_ptr<const data::Tokenizer> tokenizer = data::load_wordpiece_tokenizer(model_dir);

    // 2. LoRA on every query and value projection; all else frozen but the head.
    peft::PeftConfig lora;  // method "lora", r 8, alpha 16, targets query and value
    peft::apply_peft(*model, lora, {"classifier."});
    std::printf("trainable parameters: %lld of %lld\n", (long long)model->num_trainable_parameters(),
                (long long)model->num_parameters());

    // 3. Train on 256 sentences, evaluate on 64 others.
    const Labelled train_set = toy_sentences(256, 1), held_out = toy_sentences(64, 2);
    fine_tune(*model, *tokenizer, train_set, 5);
    const train::TextClassifier classifier(model, tokenizer, label_names);
    const double held_out_accuracy = accuracy(classifier, held_out);
    std::printf("held-out: %zu sentences, accuracy %.3f\n", held_out.texts.size(), held_out_accuracy);

    // 4. Save the adapter (HF PEFT's layout, with the head), load it into a fresh model, label.
    peft::save_adapter(*model, lora, adapter_dir, model_dir);
    const auto reloaded = train::TextClassifier::load(model_dir, adapter_dir, label_names);
    for (const auto& p : reloaded.predict({"we play a good year", "the city is bad here"}))
      std::printf("%-8s p=%.3f\n", p.label_name.c_str(), p.score);
    return held_out_accuracy >= 0.9 && accuracy(reloaded, held_out) == held_out_accuracy ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "finetune: %s\n", e.what());
    return 1;
  }
}
