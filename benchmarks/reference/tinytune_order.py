"""tinytune's training order in Python: data/batching.cpp's seeded_permutation (SplitMix64-seeded
std::mt19937_64, Fisher-Yates with rejection-sampled bounds), bit for bit, so the PyTorch reference
can train on the same order (train_glue_torch.py --order tinytune): epoch e uses stream 2e.
Checked against the C++ function on 5,749 items (STS-B's training set) for seeds 1, 3, 42 and
streams 0, 2, 4: all nine permutations identical."""
M64 = (1 << 64) - 1


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


class MT19937_64:
    """std::mt19937_64: the 64-bit Mersenne Twister, seeded as its one-integer constructor does."""

    def __init__(self, seed):
        self.mt = [0] * 312
        self.mt[0] = seed & M64
        for i in range(1, 312):
            self.mt[i] = (6364136223846793005 * (self.mt[i - 1] ^ (self.mt[i - 1] >> 62)) + i) & M64
        self.i = 312

    def __call__(self):
        if self.i >= 312:
            mt = self.mt
            for k in range(312):
                x = (mt[k] & 0xFFFFFFFF80000000) | (mt[(k + 1) % 312] & 0x7FFFFFFF)
                xa = x >> 1
                if x & 1:
                    xa ^= 0xB5026F5AA96619E9
                mt[k] = mt[(k + 156) % 312] ^ xa
            self.i = 0
        y = self.mt[self.i]
        self.i += 1
        y ^= (y >> 29) & 0x5555555555555555
        y ^= (y << 17) & 0x71D67FFFEDA60000
        y ^= (y << 37) & 0xFFF7EEE000000000
        y ^= y >> 43
        return y & M64


def seeded_permutation(n, seed, stream):
    engine = MT19937_64(splitmix64(seed ^ splitmix64(stream)))
    items = list(range(n))
    for i in range(n, 1, -1):
        threshold = ((1 << 64) - i) % i  # batching.cpp's bounded(): no modulo bias
        while True:
            r = engine()
            if r >= threshold:
                j = r % i
                break
        items[i - 1], items[j] = items[j], items[i - 1]
    return items
