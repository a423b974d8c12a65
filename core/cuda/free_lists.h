// The free lists of the caching allocator (core/cuda/allocator.cu) and how they are emptied.
// Plain C++ (no CUDA), so tests/core/test_free_lists.cpp checks the release order on any
// machine.
#pragma once
#include <cstddef>
#include <map>
#include <utility>
#include <vector>

namespace tt::cuda {

// (device, rounded size) -> free blocks of that size.
using FreeLists = std::map<std::pair<int, size_t>, std::vector<void*>>;

// Calls release(ptr, size) for every block of `lists`, emptying them. Each block leaves its
// list before release sees it: if release throws (a failed cudaFree), the blocks already
// released and the one that failed are gone from the lists, so a later call (empty_cache, or
// the retry after an out-of-memory) cannot free them a second time. A block whose release
// failed is leaked rather than freed twice.
template <typename Release>
void drain_free_lists(FreeLists& lists, Release&& release) {
  for (auto& [key, blocks] : lists) {
    while (!blocks.empty()) {
      void* ptr = blocks.back();
      blocks.pop_back();
      release(ptr, key.second);
    }
  }
}

}  // namespace tt::cuda
