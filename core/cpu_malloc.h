// Process-wide malloc settings for CPU tensors. A training step frees and reallocates the same
// large activations every step. Left to itself, glibc serves such a block from mmap (when above
// its adaptive threshold) or hands the top of its heap back to the OS once a large stretch is free,
// so the next step faults every page in again and the kernel zeroes it: on a qGOFT run that was
// 15–25% of the time (benchmarks/notes/training-speed.md, session 15). tune_cpu_malloc() keeps
// freed memory for reuse instead: blocks up to 32 MiB (glibc's ceiling for the threshold; a
// [32, 128, 1536] float activation is 24 MiB) come from the heap, and the heap is never trimmed.
// Peak memory is unchanged (VmHWM within 1%); memory freed after the peak stays with the process.
//
// Process-wide, so the library never calls it on its own: each tool's main() does, and a program
// that embeds tinytune may. Does nothing and returns false where the C library is not glibc or
// GLIBC_TUNABLES already sets a glibc.malloc.* tunable (the user's settings win); true once applied.
#pragma once

namespace tt {

bool tune_cpu_malloc();

}  // namespace tt
