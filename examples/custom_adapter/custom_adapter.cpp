// A new adapter family written outside tinytune: IA³-style scaling vectors (Liu et al. 2022),
// y = W0 (l ⊙ x) + b with one trainable vector l [d_in] per layer, starting at 1 so the adapted
// model starts as the base model (IA³'s form for a layer whose input it rescales).
//   build/bin/example_custom_adapter MODEL_DIR [OUTPUT_DIR]
// It registers the family under its own peft_type, injects it with apply_peft, checks its
// gradients against finite differences, trains a few steps, then saves and loads it through the
// library's adapter files and checks the logits are the same bits.
#include <cstdio>
#include <string>
#include <vector>

#include <tinytune/tinytune.h>

using namespace tt;

namespace {

class Ia3Adapter : public peft::Adapter {
 public:
  explicit Ia3Adapter(const nn::Linear& base) {
    scale = register_parameter("ia3_l", ones({base.in_features}, base.weight.dtype()));
  }
  std::string family() const override { return "ia3"; }
  Tensor forward(const nn::Linear& base, const Tensor& x) override {
    return base.base_forward(mul(x, scale));
  }
  // W0 (l ⊙ x) = (W0 diag(l)) x: column j of W0 times l_j. Merging makes the adapter free.
  Tensor merged_weight(const nn::Linear& base) const override {
    NoGradGuard no_grad;
    return mul(base.weight, scale);
  }
  Tensor scale;
};

peft::AdapterFamily ia3_family() {
  peft::AdapterFamily f;
  f.name = "ia3";                // PeftConfig::method, train_glue --peft
  f.peft_type = "EXAMPLE_IA3";   // adapter_config.json's peft_type
  f.inject = [](nn::Module& model, const peft::PeftConfig& config, const std::vector<std::string>& keep) {
    std::vector<std::string> adapted;
    for (auto& [name, linear] : peft::find_target_linears(model, config.target_modules)) {
      linear->set_adapter(std::make_shared<Ia3Adapter>(*linear));
      adapted.push_back(name);
    }
    peft::freeze_all_but(model, {".ia3_l"}, keep);  // the vectors and the head train
    return adapted;
  };
  return f;
}

// A few labelled sentences (1: says "good"), tokenized and padded into one batch.
data::Batch toy_batch(const data::Tokenizer& tokenizer) {
  const std::vector<std::pair<std::string, int64_t>> rows = {
      {"the movie is very good", 1}, {"we play a bad day", 0}, {"a good year here", 1},
      {"the city is bad", 0},        {"my good world", 1},     {"they run a bad time", 0}};
  data::GlueSplit split;
  split.task = data::GlueTask::sst2;
  for (const auto& [text, label] : rows) {
    data::GlueExample e;
    e.text_a = text;
    e.has_label = true;
    e.label = label;
    split.examples.push_back(e);
  }
  const data::Batcher batcher(split, tokenizer, {.batch_size = static_cast<int64_t>(rows.size())});
  return batcher.make_batch(batcher.batch_plan(0)[0]);
}

Tensor logits(nn::BertForSequenceClassification& model, const data::Batch& b) {
  return model.forward({b.input_ids, b.token_type_ids, b.attention_mask});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL_DIR [OUTPUT_DIR]\n", argv[0]);
    return 2;
  }
  const std::string model_dir = argv[1];
  const std::string adapter_dir = std::string(argc > 2 ? argv[2] : "custom-adapter-out") + "/adapter";
  try {
    manual_seed(1);
    peft::register_family(ia3_family());
    peft::PeftConfig config;
    config.method = "ia3";
    config.target_modules = {"key", "value", "intermediate.dense"};
    auto model = nn::load_bert_for_classification(model_dir, 2, nullptr, /*dropout=*/0.0);
    const auto adapted = peft::apply_peft(*model, config, {"classifier."});
    std::printf("ia3 on %zu layers, %lld adapter parameters\n", adapted.size(),
                (long long)peft::adapter_parameter_count(*model));
    const auto tokenizer = data::load_wordpiece_tokenizer(model_dir);
    const data::Batch batch = toy_batch(*tokenizer);

    // 1. Gradients of the logits with respect to one layer's vector, in float64, dropout off.
    model->eval();
    model->to(DType::f64);
    auto* first = dynamic_cast<Ia3Adapter*>(peft::adapters_of(*model)[0].second);
    first->scale.set(0, 1.5);  // away from the start, so the check is not at a special point
    const GradcheckResult check = gradcheck(
        [&](const std::vector<Tensor>&) { return logits(*model, batch); }, {first->scale},
        {.eps = 1e-6, .atol = 1e-7, .rtol = 1e-5});
    std::printf("gradcheck %s: %s (max error %.1e)\n", adapted[0].c_str(),
                check.ok ? "ok" : check.message.c_str(), check.max_abs_error);
    model->to(DType::f32);

    // 2. A few training steps of the vectors and the head (dropout is off in this model).
    model->train();
    train::AdamW optimizer(train::decay_groups(model->named_parameters(), 0.0), {.lr = 1e-2});
    double first_loss = 0, last_loss = 0;
    for (int step = 0; step < 40; ++step) {
      Tensor loss = cross_entropy(logits(*model, batch), batch.labels);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      last_loss = loss.item();
      if (step == 0) first_loss = last_loss;
      if (step % 10 == 0) std::printf("step %2d  loss %.4f\n", step, last_loss);
    }

    // 3. Saved through the library's adapter files, loaded into a fresh model: the same bits.
    peft::save_adapter(*model, config, adapter_dir, model_dir);
    auto fresh = nn::load_bert_for_classification(model_dir, 2);
    peft::load_adapter(*fresh, adapter_dir);  // finds the family by its peft_type
    model->eval();
    fresh->eval();
    NoGradGuard no_grad;
    const auto before = logits(*model, batch).to_vector<float>();
    const auto after = logits(*fresh, batch).to_vector<float>();
    const bool same = before == after;
    std::printf("logits after save and load: %s\n", same ? "bit-identical" : "DIFFERENT");
    return check.ok && last_loss < first_loss && same ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "custom_adapter: %s\n", e.what());
    return 1;
  }
}
