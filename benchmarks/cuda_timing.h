// Median GPU time of a piece of work, measured with CUDA events on tinytune's stream: the one
// timer of the CUDA benchmarks. Include from .cu files only.
#pragma once
#include <algorithm>
#include <functional>
#include <vector>

#include "tinytune/core/cuda/cuda_check.h"
#include "tinytune/core/cuda/stream.h"

namespace tt::bench {

// Median milliseconds of `run` over `reps` timed runs, after one untimed warm-up run.
inline double median_gpu_ms(const std::function<void()>& run, int reps) {
  cudaStream_t stream = cuda::current_stream();
  cudaEvent_t start, stop;
  TT_CUDA_CHECK(cudaEventCreate(&start));
  TT_CUDA_CHECK(cudaEventCreate(&stop));
  run();
  TT_CUDA_CHECK(cudaStreamSynchronize(stream));
  std::vector<float> ms(reps);
  for (int r = 0; r < reps; ++r) {
    TT_CUDA_CHECK(cudaEventRecord(start, stream));
    run();
    TT_CUDA_CHECK(cudaEventRecord(stop, stream));
    TT_CUDA_CHECK(cudaEventSynchronize(stop));
    TT_CUDA_CHECK(cudaEventElapsedTime(&ms[r], start, stop));
  }
  TT_CUDA_CHECK(cudaEventDestroy(start));
  TT_CUDA_CHECK(cudaEventDestroy(stop));
  std::sort(ms.begin(), ms.end());
  return ms[reps / 2];
}

}  // namespace tt::bench
