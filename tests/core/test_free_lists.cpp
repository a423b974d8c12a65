// The caching allocator's release of its free lists (core/cuda/free_lists.h), without a GPU:
// a release that throws midway must leave no released block listed, so that the next release
// (empty_cache, or the retry after an out-of-memory) frees no block twice.
#include <doctest/doctest.h>

#include <set>
#include <stdexcept>

#include "tinytune/core/cuda/free_lists.h"

using tt::cuda::drain_free_lists;
using tt::cuda::FreeLists;

TEST_CASE("free lists: a release that throws midway frees no block twice on the next release") {
  int blocks[5];
  FreeLists lists;
  lists[{0, 512}] = {&blocks[0], &blocks[1], &blocks[2]};
  lists[{0, 2 << 20}] = {&blocks[3]};
  lists[{1, 512}] = {&blocks[4]};
  std::multiset<void*> released;
  int calls = 0;
  auto failing_third = [&](void* ptr, size_t) {
    if (++calls == 3) throw std::runtime_error("cudaFree failed");
    released.insert(ptr);
  };
  CHECK_THROWS_AS(drain_free_lists(lists, failing_third), std::runtime_error);
  CHECK(released.size() == 2);
  // The next release gets every block but the ones released and the one that failed.
  std::multiset<size_t> sizes;
  drain_free_lists(lists, [&](void* ptr, size_t size) {
    released.insert(ptr);
    sizes.insert(size);
  });
  CHECK(released.size() == 4);  // 5 blocks less the one whose release threw (leaked)
  for (void* ptr : released) CHECK(released.count(ptr) == 1);
  CHECK(sizes == std::multiset<size_t>{2 << 20, 512});
  for (const auto& [key, list] : lists) CHECK(list.empty());
}
