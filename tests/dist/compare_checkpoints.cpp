// compare_checkpoints REF.h5 OTHER.h5 TOLERANCE [PREFIX]: the tensors of REF whose path starts
// with PREFIX (all when omitted, and then the integers and reals too) against OTHER's, for
// tests/dist/train_glue_dist.sh. A tensor passes when max|other - ref| / max|ref| <= TOLERANCE
// (max|diff| alone when REF is all zeros); TOLERANCE 0 asks for equality bit for bit. Prints the
// worst tensor; exit 0 when everything passes, 1 otherwise (2 on bad arguments).
#include <algorithm>
#include <cmath>
#include <iostream>
#include <string>

#include "tinytune/train/checkpoint.h"

using namespace tt;

namespace {

// max|b - a| / max|a| over the elements (f64 arithmetic on the stored values).
double relative_difference(const Tensor& a, const Tensor& b) {
  const auto x = a.to_vector<double>(), y = b.to_vector<double>();
  double diff = 0, scale = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    diff = std::max(diff, std::abs(y[i] - x[i]));
    scale = std::max(scale, std::abs(x[i]));
  }
  return scale > 0 ? diff / scale : diff;
}

template <typename Map>
int count_scalar_differences(const Map& ref, const Map& other) {
  int bad = 0;
  for (const auto& [name, value] : ref) {
    auto it = other.find(name);
    if (it == other.end() || it->second != value) {
      std::cout << "differs: " << name << "\n";
      ++bad;
    }
  }
  return bad;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || argc > 5) {
    std::cerr << "usage: compare_checkpoints REF.h5 OTHER.h5 TOLERANCE [PREFIX]\n";
    return 2;
  }
  try {
    const train::Checkpoint ref = train::load_checkpoint(argv[1]), other = train::load_checkpoint(argv[2]);
    const double tolerance = std::stod(argv[3]);
    const std::string prefix = argc == 5 ? argv[4] : "";
    int compared = 0, bad = 0;
    double worst = 0;
    std::string worst_name;
    for (const auto& [name, a] : ref.tensors) {
      if (name.rfind(prefix, 0) != 0) continue;
      auto it = other.tensors.find(name);
      if (it == other.tensors.end() || it->second.shape() != a.shape()) {
        std::cout << "missing or of another shape: " << name << "\n";
        ++bad;
        continue;
      }
      const double rel = relative_difference(a, it->second);
      ++compared;
      if (rel >= worst) worst = rel, worst_name = name;
      if (rel > tolerance) ++bad;
    }
    if (prefix.empty()) bad += count_scalar_differences(ref.integers, other.integers) +
                               count_scalar_differences(ref.reals, other.reals);
    std::cout << compared << " tensors compared, worst " << worst_name << ": " << worst << " (tolerance "
              << tolerance << "), " << bad << " failing\n";
    return compared > 0 && bad == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "compare_checkpoints: " << e.what() << "\n";
    return 2;
  }
}
