// Givens rotation stages over the last dim (GOFT / qGOFT, docs/families.md §4.1–4.2): a product of
// d − 1 2×2 mixes of coordinate pairs in ⌈log2 d⌉ butterfly stages, applied in O(d log d) per
// row without ever forming the d×d matrix.
//
// Schedule (the official v1 pairing): stage s = 1..L has stride t = 2^{s−1}; the live counts are
// c_1 = d, c_{s+1} = ⌈c_s/2⌉ (stop at c = 1); stage s mixes the ⌊c_s/2⌋ disjoint pairs
// (i, j) = (2t·k, 2t·k + t), k = 0..⌊c_s/2⌋−1. Pairs are numbered stage-major (stage 1's first):
// the order in which blocks (and GOFT's angles) are consumed.
//
// Block p = [[g00, g01], [g10, g11]] sits at (i,i), (i,j), (j,i), (j,j) of its stage's matrix
// P_s (identity elsewhere), and R = P_L ⋯ P_2 P_1.
#pragma once
#include <cstdint>
#include <vector>

#include "tinytune/core/tensor.h"

namespace tt {

struct GivensStage {
  int64_t stride;      // t = 2^{s−1}: pair k mixes coordinates 2t·k and 2t·k + t
  int64_t pairs;       // ⌊c_s/2⌋
  int64_t first_pair;  // index of the stage's first pair in the stage-major numbering
};

// The stages for d coordinates (d >= 1): ⌈log2 d⌉ of them, d − 1 pairs in all (none for d = 1).
std::vector<GivensStage> givens_schedule(int64_t d);

// y = Rᵀ x for every row x of `x` [..., d] (in row form y = x R), with blocks [d − 1, 2, 2]:
// P_Lᵀ is applied first, P_1ᵀ last; each pair (i, j) under Pᵀ does
//   x_i ← g00·x_i + g10·x_j,   x_j ← g01·x_i + g11·x_j.
// This is the adapted layer's input map: y = W0 Rᵀ x + b. Differentiable in x and blocks.
Tensor givens_rotate(const Tensor& x, const Tensor& blocks);

// y = R x for every row (P_1 first, P_L last; x_i ← g00·x_i + g01·x_j, x_j ← g10·x_i + g11·x_j).
// Rows of W0 through it give the merged weight W0 Rᵀ (row r of W0 Rᵀ is R w_r).
// Differentiable in x and blocks.
Tensor givens_rotate_adjoint(const Tensor& x, const Tensor& blocks);

// GOFT's rotation blocks from angles [n]: block k = [[cos θ_k, −sin θ_k], [sin θ_k, cos θ_k]],
// shape [n, 2, 2]. Differentiable in the angles.
Tensor givens_rotation_blocks(const Tensor& angles);

}  // namespace tt
