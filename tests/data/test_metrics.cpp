// GLUE metrics against scikit-learn and scipy: tests/fixtures/metrics_cases.json holds their
// values on fixed predictions (tests/reference/make_metrics_fixture.py); we must agree to 1e-9.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tinytune/core/error.h"
#include "tinytune/data/metrics.h"

using namespace tt;
using namespace tt::data;
using nlohmann::json;

namespace {

const json& cases() {
  static const json data = [] {
    std::ifstream in(TINYTUNE_FIXTURE_DIR "/metrics_cases.json");
    REQUIRE_MESSAGE(in, "missing " TINYTUNE_FIXTURE_DIR "/metrics_cases.json");
    return json::parse(in);
  }();
  return data;
}

// null in the fixture is NaN (scipy on constant input).
void check_close(double got, const json& expected, const std::string& what) {
  INFO(what, ": got ", got, ", expected ", expected.dump());
  if (expected.is_null()) {
    CHECK(std::isnan(got));
  } else {
    CHECK(std::abs(got - expected.get<double>()) <= 1e-9);
  }
}

}  // namespace

TEST_CASE("metrics: accuracy, f1 and mcc match scikit-learn") {
  REQUIRE(cases()["classification"].size() >= 8);
  for (const json& c : cases()["classification"]) {
    const auto pred = c["predictions"].get<std::vector<int64_t>>();
    const auto label = c["labels"].get<std::vector<int64_t>>();
    const std::string name = c["name"];
    check_close(accuracy(pred, label), c["accuracy"], name + " accuracy");
    check_close(matthews_corrcoef(pred, label), c["mcc"], name + " mcc");
    if (c.contains("f1")) check_close(f1_binary(pred, label), c["f1"], name + " f1");
  }
}

TEST_CASE("metrics: pearson and spearman match scipy, ties and constant input included") {
  REQUIRE(cases()["regression"].size() >= 6);
  for (const json& c : cases()["regression"]) {
    const auto x = c["x"].get<std::vector<double>>();
    const auto y = c["y"].get<std::vector<double>>();
    const std::string name = c["name"];
    check_close(pearson(x, y), c["pearson"], name + " pearson");
    check_close(spearman(x, y), c["spearmanr"], name + " spearmanr");
  }
}

TEST_CASE("metrics: glue_metrics gives each task's official set and main score") {
  REQUIRE(cases()["glue"].size() == 9);
  for (const json& c : cases()["glue"]) {
    const GlueTask task = parse_glue_task(c["task"]);
    std::map<std::string, double> got;
    if (task == GlueTask::stsb) {
      got = glue_metrics(task, c["predictions"].get<std::vector<double>>(),
                         c["labels"].get<std::vector<double>>());
    } else {
      got = glue_metrics(task, c["predictions"].get<std::vector<int64_t>>(),
                         c["labels"].get<std::vector<int64_t>>());
    }
    // Exactly the expected keys (the spec's metrics plus "main"), each within 1e-9.
    CHECK(got.size() == c["expected"].size());
    CHECK(got.size() == glue_spec(task).metrics.size() + 1);
    for (const auto& [key, value] : c["expected"].items()) {
      REQUIRE_MESSAGE(got.count(key), c["task"].get<std::string>(), " lacks ", key);
      check_close(got[key], value, c["task"].get<std::string>() + " " + key);
    }
  }
}

TEST_CASE("metrics: average ranks share ties as scipy's rankdata") {
  const std::vector<double> ranks = average_ranks({3.0, 1.0, 3.0, 2.0, 3.0});
  CHECK(ranks == std::vector<double>{4.0, 1.0, 4.0, 2.0, 4.0});
}

TEST_CASE("metrics: bad inputs are clear errors") {
  CHECK_THROWS_WITH_AS(accuracy({1, 0}, {1}), doctest::Contains("as many predictions as labels"),
                       Error);
  CHECK_THROWS_WITH_AS(accuracy({}, {}), doctest::Contains("at least 1"), Error);
  CHECK_THROWS_WITH_AS(f1_binary({2}, {1}), doctest::Contains("binary class ids"), Error);
  CHECK_THROWS_WITH_AS(pearson({1.0}, {2.0}), doctest::Contains("at least 2"), Error);
  CHECK_THROWS_WITH_AS(glue_metrics(GlueTask::stsb, std::vector<int64_t>{1},
                                    std::vector<int64_t>{1}),
                       doctest::Contains("regression"), Error);
  CHECK_THROWS_WITH_AS(glue_metrics(GlueTask::rte, std::vector<int64_t>{2},
                                    std::vector<int64_t>{1}),
                       doctest::Contains("class ids in [0, 2)"), Error);
  CHECK_THROWS_WITH_AS(glue_metrics(GlueTask::sst2, std::vector<double>{0.5},
                                    std::vector<double>{1.0}),
                       doctest::Contains("integral class ids"), Error);
}

TEST_CASE("metrics: macro F1 against a hand computation") {
  // labels      0 0 1 1 2 | class 0: tp 1 fp 1 fn 1 -> 2/4 = 0.5
  // predictions 0 1 1 1 0 | class 1: tp 2 fp 1 fn 0 -> 4/5 = 0.8
  //                       | class 2: tp 0 fp 0 fn 1 -> 0
  CHECK(f1_macro({0, 1, 1, 1, 0}, {0, 0, 1, 1, 2}) == doctest::Approx((0.5 + 0.8 + 0.0) / 3).epsilon(1e-15));
  // A class only predicted (3) counts too, with F1 0 (sklearn's unique_labels of both).
  CHECK(f1_macro({3, 1}, {0, 1}) == doctest::Approx((0.0 + 1.0 + 0.0) / 3).epsilon(1e-15));
  CHECK(f1_macro({1, 0, 1}, {1, 0, 1}) == 1.0);
  CHECK_THROWS_WITH_AS(f1_macro({1}, {}), doctest::Contains("as many predictions as labels"), Error);
}

TEST_CASE("metrics: task_metrics for a spec of your own (accuracy is main beside f1_macro)") {
  GlueTaskSpec own{};
  own.name = "own";
  own.labels = {"a", "b", "c"};
  own.num_labels = 3;
  own.metrics = {"accuracy", "f1_macro"};
  own.main_metric = "accuracy";
  auto m = task_metrics(own, std::vector<int64_t>{0, 1, 1, 1, 0}, std::vector<int64_t>{0, 0, 1, 1, 2});
  CHECK(m.at("accuracy") == doctest::Approx(0.6));
  CHECK(m.at("f1_macro") == doctest::Approx(1.3 / 3));
  CHECK(m.at("main") == m.at("accuracy"));
  CHECK_THROWS_WITH_AS(task_metrics(own, std::vector<int64_t>{3}, std::vector<int64_t>{0}),
                       doctest::Contains("class ids in [0, 3)"), Error);
  // A GLUE spec's main is unchanged: MRPC's is the mean of f1 and accuracy.
  auto mrpc = task_metrics(glue_spec(GlueTask::mrpc), std::vector<int64_t>{1, 0}, std::vector<int64_t>{1, 1});
  CHECK(mrpc.at("main") == doctest::Approx(0.5 * (mrpc.at("f1") + mrpc.at("accuracy"))));
}
