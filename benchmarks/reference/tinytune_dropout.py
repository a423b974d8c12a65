"""tinytune's dropout masks in PyTorch: `use_tinytune_masks(seed, offset)` makes every
torch.nn.functional.dropout call draw its keep mask as train_glue's default generator would
(core/random_math.h: Philox4x32-10 keyed by the seed, one counter per pair of elements, element
2l from words 0-1 of counter start + l and 2l + 1 from words 2-3, kept when the 53-bit uniform is
below 1 - p; the generator's offset advances by ceil(n / 2) a call). With the same weights, data
order and call order (BERT's forward calls dropout in the same order on both sides), PyTorch then
trains on the very masks tinytune uses, so the two trajectories can be compared step by step.

Philox runs in a few lines of C compiled on first use (cc, into a temporary folder): a training
step draws ~16M counters, too slow for numpy. The C is checked against Random123's known answer.
"""
import ctypes
import os
import subprocess
import sys
import tempfile

import torch

_C_SOURCE = r"""
#include <stdint.h>
#include <math.h>
static void philox(uint64_t counter, uint64_t key, uint32_t w[4]) {
  uint32_t c0 = (uint32_t)counter, c1 = (uint32_t)(counter >> 32), c2 = 0, c3 = 0;
  uint32_t k0 = (uint32_t)key, k1 = (uint32_t)(key >> 32);
  for (int r = 0; r < 10; ++r) {
    uint64_t p0 = (uint64_t)0xD2511F53u * c0, p1 = (uint64_t)0xCD9E8D57u * c2;
    uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0, n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
    c1 = (uint32_t)p1; c3 = (uint32_t)p0; c0 = n0; c2 = n2;
    k0 += 0x9E3779B9u; k1 += 0xBB67AE85u;
  }
  w[0] = c0; w[1] = c1; w[2] = c2; w[3] = c3;
}
static uint64_t unit_bits(uint32_t hi, uint32_t lo) {
  return (((uint64_t)hi << 21) ^ (lo >> 11)) & ((1ULL << 53) - 1);
}
void philox_words(uint64_t counter, uint64_t key, uint32_t* w) { philox(counter, key, w); }
/* out[i] = scale if element i is kept, else 0 */
void keep_mask(uint64_t seed, uint64_t start, int64_t n, double keep, float scale, float* out) {
  const uint64_t threshold = (uint64_t)ceil(keep * 9007199254740992.0);
  for (int64_t l = 0; 2 * l < n; ++l) {
    uint32_t w[4];
    philox(start + (uint64_t)l, seed, w);
    out[2 * l] = unit_bits(w[0], w[1]) < threshold ? scale : 0.0f;
    if (2 * l + 1 < n) out[2 * l + 1] = unit_bits(w[2], w[3]) < threshold ? scale : 0.0f;
  }
}
"""

_lib = None


def _library():
    global _lib
    if _lib is None:
        folder = tempfile.mkdtemp(prefix="tinytune_dropout_")
        source, library = os.path.join(folder, "mask.c"), os.path.join(folder, "mask.so")
        with open(source, "w") as f:
            f.write(_C_SOURCE)
        command = ["cc", "-O3", "-march=native", "-ffp-contract=off", "-shared", "-fPIC", source,
                   "-o", library, "-lm"]
        try:
            subprocess.run(command, check=True)
        except (OSError, subprocess.CalledProcessError) as e:
            sys.exit(f"--masks tinytune: compiling its Philox helper failed ({' '.join(command)}: {e}); "
                     "it needs a C compiler named cc")
        _lib = ctypes.CDLL(library)
        _lib.keep_mask.argtypes = [ctypes.c_uint64, ctypes.c_uint64, ctypes.c_int64, ctypes.c_double,
                                   ctypes.c_float, ctypes.c_void_p]
        _lib.philox_words.argtypes = [ctypes.c_uint64, ctypes.c_uint64, ctypes.c_void_p]
        words = (ctypes.c_uint32 * 4)()
        _lib.philox_words(0, 0, words)  # Random123's kat_vectors: philox4x32_10, counter 0, key 0
        assert list(words) == [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8], list(words)
    return _lib


class TinytuneGenerator:
    def __init__(self, seed, offset):
        self.seed, self.offset = int(seed), int(offset)

    def mask(self, shape, p):
        n = 1
        for s in shape:
            n *= s
        out = torch.empty(n, dtype=torch.float32)
        start = self.offset
        self.offset += (n + 1) // 2
        scale = torch.tensor(1.0 / (1.0 - p), dtype=torch.float32).item()  # train_glue's f32 scale
        _library().keep_mask(self.seed, start, n, 1.0 - p, scale, out.data_ptr())
        return out.view(shape)


def use_tinytune_masks(seed, offset):
    """Replaces torch.nn.functional.dropout (which nn.Dropout and HF's eager attention call) by a
    float32 dropout on tinytune's masks; returns the generator, whose offset follows the draws."""
    generator = TinytuneGenerator(seed, offset)
    _library()

    def dropout(input, p=0.5, training=True, inplace=False):
        if not training or p == 0.0:
            return input
        if p == 1.0:
            return input * 0.0
        assert input.dtype == torch.float32, "tinytune masks: float32 only"
        return input * generator.mask(tuple(input.shape), p)

    torch.nn.functional.dropout = dropout
    return generator
