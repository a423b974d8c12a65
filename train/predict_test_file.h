// train_glue --test-file: at the run's end, the best model's predictions on your own test file,
// in the files HF's run_classification and Trainer write:
//   predict_results.txt  "index<TAB>prediction", then a line per test row: its 0-based index and
//                        the class name (regression: the score, three decimals as HF's
//                        "{item:3.3f}")
//   test_results.json    when the file has the label column: test_<metric> (accuracy, f1_macro;
//                        or pearson, spearmanr), test_loss and test_samples, HF's keys for a
//                        "test" split; the same keys are added to all_results.json
// Written atomically, in the output directory only. Nothing is written when no evaluation ran
// (there is no best model) or a signal stopped the run.
#pragma once
#include "tinytune/train/trainer.h"
#include "tinytune/train/training_run.h"

namespace tt::train {

// Call after write_results (train/run_report.h), which leaves the best weights in run.model.
void write_test_predictions(TrainingRun& run, const TrainResult& result);

}  // namespace tt::train
