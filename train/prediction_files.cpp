#include "tinytune/train/prediction_files.h"

#include <filesystem>
#include <iomanip>
#include <sstream>
#include <nlohmann/json.hpp>

#include "tinytune/core/error.h"
#include "tinytune/data/metrics.h"
#include "tinytune/data/text_dataset.h"
#include "tinytune/train/evaluate.h"

namespace tt::train {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> default_columns(const data::TextTable& table) {
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"sentence1", "sentence2"}, {"question1", "question2"}, {"question", "sentence"}};
  for (const auto& [a, b] : pairs)
    if (table.has_column(a) && table.has_column(b)) return {a, b};
  for (const char* single : {"sentence", "text"})
    if (table.has_column(single)) return {single};
  TT_CHECK(!table.columns.empty(), table.source, ": no columns (expected a header or a JSON object with keys)");
  return {table.columns.front()};
}

// A probability or score as text: enough digits to tell classes apart, no more.
std::string number(double v) {
  std::ostringstream s;
  s << std::setprecision(6) << v;
  return s.str();
}

}  // namespace

std::vector<size_t> text_columns(const data::TextTable& table, const std::string& requested) {
  const std::vector<std::string> names = requested.empty() ? default_columns(table) : split_commas(requested);
  TT_CHECK(!names.empty() && names.size() <= 2, "--text-columns: expected one column or two "
           "(a sentence pair), got '", requested, "'");
  std::vector<size_t> out;
  for (const std::string& name : names) {
    try {
      out.push_back(table.column(name));
    } catch (const Error& e) {
      throw Error(detail::concat("--text-columns: ", e.what()));
    }
  }
  return out;
}

std::vector<std::string> column_values(const data::TextTable& table, size_t column) {
  std::vector<std::string> out;
  out.reserve(table.rows.size());
  for (const auto& row : table.rows) out.push_back(row.at(column));
  return out;
}

PredictionFormat prediction_format_of(const std::string& path) {
  const std::string ext = fs::path(path).extension().string();
  if (ext == ".tsv") return PredictionFormat::tsv;
  if (ext == ".jsonl" || ext == ".json") return PredictionFormat::jsonl;
  throw Error(detail::concat("--output: ", path, ": cannot tell the format from the name "
                             "(expected a .tsv or .jsonl file)"));
}

void write_predictions(std::ostream& out, PredictionFormat format,
                       const std::vector<Prediction>& predictions,
                       const std::vector<std::string>& label_names) {
  const bool regression = !predictions.empty() && predictions.front().probabilities.empty();
  if (format == PredictionFormat::tsv) {
    out << (regression ? "score" : "label");
    if (!regression)
      for (const std::string& name : label_names) out << '\t' << name;
    out << '\n';
  }
  for (const Prediction& p : predictions) {
    if (format == PredictionFormat::tsv) {
      if (regression) {
        out << number(p.score) << '\n';
        continue;
      }
      out << p.label_name;
      for (double prob : p.probabilities) out << '\t' << number(prob);
      out << '\n';
      continue;
    }
    nlohmann::json line;
    if (regression) {
      line["score"] = p.score;
    } else {
      line["label"] = p.label_name;
      nlohmann::json probs = nlohmann::json::object();
      for (size_t k = 0; k < p.probabilities.size(); ++k) probs[label_names.at(k)] = p.probabilities[k];
      line["probabilities"] = probs;
    }
    out << line.dump() << '\n';
  }
}

std::map<std::string, double> prediction_metrics(const data::GlueSplit& gold,
                                                 const std::vector<Prediction>& predictions,
                                                 const std::vector<std::string>& label_names) {
  TT_CHECK(predictions.size() == gold.examples.size(), "prediction_metrics: ", predictions.size(),
           " predictions for ", gold.examples.size(), " labelled examples");
  const data::GlueTaskSpec spec = data::own_task_spec(label_names, gold.is_regression());
  if (spec.is_regression) {
    std::vector<double> scores, truth;
    for (size_t i = 0; i < predictions.size(); ++i) {
      scores.push_back(predictions[i].score);
      truth.push_back(gold.examples[i].score);
    }
    return data::task_metrics(spec, scores, truth);
  }
  std::vector<int64_t> classes, truth;
  for (size_t i = 0; i < predictions.size(); ++i) {
    classes.push_back(predictions[i].label);
    truth.push_back(gold.examples[i].label);
  }
  return data::task_metrics(spec, classes, truth);
}

std::string glue_submission_name(data::GlueTask task, const std::string& test_file) {
  const data::GlueTaskSpec& spec = data::glue_spec(task);
  if (task != data::GlueTask::mnli) return std::string(spec.folder) + ".tsv";
  const std::string name = fs::path(test_file).filename().string();
  if (name.find("mismatched") != std::string::npos) return "MNLI-mm.tsv";
  if (name.find("matched") != std::string::npos) return "MNLI-m.tsv";
  throw Error(detail::concat("--input: ", test_file, ": for --task mnli the test file's name says "
                             "which set it is (test_matched.tsv -> MNLI-m.tsv, "
                             "test_mismatched.tsv -> MNLI-mm.tsv)"));
}

void write_glue_submission(std::ostream& out, const data::GlueSplit& test,
                           const std::vector<Prediction>& predictions) {
  const data::GlueTaskSpec& spec = data::glue_spec(test.task);
  TT_CHECK(predictions.size() == test.examples.size(), "write_glue_submission: ", predictions.size(),
           " predictions for ", test.examples.size(), " examples");
  out << "index\tprediction\n";
  for (size_t i = 0; i < predictions.size(); ++i) {
    const Prediction& p = predictions[i];
    out << test.examples[i].id << '\t';
    if (spec.is_regression)
      out << number(p.score) << '\n';
    else
      out << spec.labels.at(p.label) << '\n';
  }
}

}  // namespace tt::train
