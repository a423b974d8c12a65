// A small SVG line chart written directly (no plotting dependency): the training loss and the
// dev metric against the optimizer step, side by side.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace tt::train {

using Series = std::vector<std::pair<double, double>>;  // (step, value)

// Writes atomically (temp file, then rename).
void write_training_plot(const std::string& path, const std::string& title, const Series& loss,
                         const std::string& metric_name, const Series& metric);

}  // namespace tt::train
