#include "tinytune/train/svg_plot.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "tinytune/core/io/atomic_file.h"

namespace tt::train {

namespace {

// One panel: axes, a few ticks, the polyline, a caption.
void panel(std::ostringstream& svg, double x0, const std::string& caption, const Series& s,
           const char* colour) {
  const double w = 420, h = 260, left = x0 + 60, top = 40, bottom = top + h;
  svg << "<text x='" << left + w / 2 << "' y='28' text-anchor='middle' font-size='14'>" << caption
      << "</text>\n<rect x='" << left << "' y='" << top << "' width='" << w << "' height='" << h
      << "' fill='none' stroke='#888'/>\n";
  if (s.empty()) return;
  double xmin = s.front().first, xmax = s.front().first, ymin = s.front().second, ymax = ymin;
  for (auto [x, y] : s) {
    xmin = std::min(xmin, x), xmax = std::max(xmax, x);
    ymin = std::min(ymin, y), ymax = std::max(ymax, y);
  }
  if (xmax == xmin) xmax = xmin + 1;
  if (ymax == ymin) ymax = ymin + 1e-9 + std::abs(ymin) * 0.01;
  auto px = [&](double x) { return left + (x - xmin) / (xmax - xmin) * w; };
  auto py = [&](double y) { return bottom - (y - ymin) / (ymax - ymin) * h; };
  for (int i = 0; i <= 4; ++i) {
    const double y = ymin + (ymax - ymin) * i / 4, x = xmin + (xmax - xmin) * i / 4;
    char label[32];
    std::snprintf(label, sizeof label, "%.4g", y);
    svg << "<text x='" << left - 6 << "' y='" << py(y) + 4 << "' text-anchor='end' font-size='10'>"
        << label << "</text>\n";
    std::snprintf(label, sizeof label, "%.0f", x);
    svg << "<text x='" << px(x) << "' y='" << bottom + 16 << "' text-anchor='middle' font-size='10'>"
        << label << "</text>\n";
  }
  svg << "<polyline fill='none' stroke='" << colour << "' stroke-width='1.5' points='";
  for (auto [x, y] : s) svg << px(x) << ',' << py(y) << ' ';
  svg << "'/>\n";
  if (s.size() < 30)
    for (auto [x, y] : s)
      svg << "<circle cx='" << px(x) << "' cy='" << py(y) << "' r='3' fill='" << colour << "'/>\n";
  svg << "<text x='" << left + w / 2 << "' y='" << bottom + 34
      << "' text-anchor='middle' font-size='11'>optimizer step</text>\n";
}

}  // namespace

void write_training_plot(const std::string& path, const std::string& title, const Series& loss,
                         const std::string& metric_name, const Series& metric) {
  std::ostringstream svg;
  svg << "<svg xmlns='http://www.w3.org/2000/svg' width='1000' height='350' "
         "font-family='sans-serif'>\n<rect width='100%' height='100%' fill='white'/>\n"
      << "<text x='500' y='14' text-anchor='middle' font-size='13'>" << title << "</text>\n";
  panel(svg, 0, "training loss", loss, "#1f77b4");
  panel(svg, 500, "dev " + metric_name, metric, "#d62728");
  svg << "</svg>\n";
  io::write_file_atomically(path, svg.str());
}

}  // namespace tt::train
