// The frame every CUDA benchmark's main shares: the --reps N flag (and any flags of its own),
// a clean exit where there is no device, the header and "done in" lines, and an error as exit
// code 1. Include from .cu files only.
#pragma once
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <string>

#include "tinytune/core/cuda/runtime.h"

namespace tt::bench {

// Runs `body` as program `name`. `reps` holds the default number of timed repetitions and
// takes --reps N; `own_flag`, if given, is asked first about each argument and returns true for
// one it accepts; `usage` lists the flags for the error message. `header` is printed after the
// device name (e.g. what the baseline is).
inline int cuda_benchmark_main(const char* name, int argc, char** argv, int& reps,
                               const std::function<void()>& body,
                               const std::function<bool(const char*)>& own_flag = nullptr,
                               const char* usage = "[--reps N]",
                               const std::function<std::string()>& header = nullptr) {
  for (int i = 1; i < argc; ++i) {
    if (own_flag && own_flag(argv[i])) continue;
    if (!std::strcmp(argv[i], "--reps") && i + 1 < argc) {
      reps = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: %s %s\n", argv[0], usage);
      return 2;
    }
  }
  try {
    if (!cuda::is_available()) {
      std::printf("%s: no CUDA device; nothing to measure\n", name);
      return 0;
    }
    std::printf("# %s: %s, %d timed reps (median)%s\n", name, cuda::device_name().c_str(), reps,
                header ? header().c_str() : "");
    const auto start = std::chrono::steady_clock::now();
    body();
    std::printf("\n# done in %.1f s\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", name, e.what());
    return 1;
  }
  return 0;
}

}  // namespace tt::bench
