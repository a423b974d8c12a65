// C3A (Chen et al., "Parameter-Efficient Fine-Tuning via Circular Convolution", arXiv
// 2407.19342), as HF PEFT computes it (docs/families.md §3):
//   y = W0 x + b + C_blk(w) x / d_in
// with the kernel w = c3a_kernel [d_out/b, d_in/b, b] (HF's name and layout) and C_blk(w) the
// grid of b x b circulant blocks C(w_ij)[p, q] = w_ij[(q - p) mod b] (first row w_ij, each next
// row shifted right by one). The 1/d_in is HF's scaling, in forward and merge alike.
//
// Forward through the FFT (core/ops/fft), never forming ΔW:
//   Δy_i = irfft( Σ_j conj(rfft(w_ij)) ⊙ rfft(x_j) ),   x_j, Δy_i the b-blocks of x and Δy
// (block (i, j) is a circular cross-correlation, hence the conj). The sum over j, an [m x n]
// complex matrix per frequency bin applied to every token, is spectral_mix: one pass over the
// token spectra in their natural [tokens, n, b/2+1, 2] layout. (A batched matmul per bin, as
// [Re X | Im X] · [[Re W, -Im W], [Im W, Re W]], needs the spectra transposed to bin-major
// and back, and those copies took 3/4 of its time.) The kernel spectra are recomputed each
// forward (m·n FFTs of length b: nothing next to the tokens'). Cost per token: d_in/b rffts and
// d_out/b irffts of length b, plus 4 d_in d_out / b real multiply-adds.
//
// Initialisation (--c3a-init, HF's init_weights):
//   xavier_uniform  U(±sqrt(6 / (d_in + d_out)))  (fans of the whole layer; HF's default)
//   kaiming_uniform U(±1 / sqrt(d_in))
//   gaussian        N(0, 1)
//   zeros           0: the only one that makes the adapted model equal the base at step 0
// Merge: W0 + ΔW with ΔW[i·b + p, j·b + q] = w[i, j, (q - p) mod b] / d_in (filled directly,
// in double). Parameters: d_in · d_out / b per layer.
#pragma once
#include <string>
#include <vector>

#include "tinytune/peft/adapter.h"
#include "tinytune/peft/registry.h"

namespace tt::peft {

enum class C3aInit { xavier_uniform, kaiming_uniform, gaussian, zeros };
C3aInit parse_c3a_init(const std::string& name);  // --c3a-init's spelling

struct C3aOptions {
  int64_t block_size = 128;
  C3aInit init = C3aInit::xavier_uniform;
};

class C3aAdapter : public Adapter {
 public:
  // `layer` names the layer in errors (a block size that does not divide its dims).
  C3aAdapter(const nn::Linear& base, const C3aOptions& options, const std::string& layer = "");
  std::string family() const override { return "c3a"; }
  Tensor forward(const nn::Linear& base, const Tensor& x) override;
  Tensor merged_weight(const nn::Linear& base) const override;
  Tensor unmerged_weight(const Tensor& merged) const override;
  // ΔW = C_blk(w) / d_in [d_out, d_in] (computed in double, then rounded to `dtype`).
  Tensor delta_weight(DType dtype, Device device = Device::cpu()) const;
  // C_blk(w) x / d_in through the FFT path (the adapter's part of forward).
  Tensor delta_forward(const Tensor& x) const;

  Tensor c3a_kernel;  // registered as "c3a_kernel", [d_out/b, d_in/b, b]
  int64_t block_size, in_features, out_features;
};

// Installs C3A on every Linear matched by `targets` (peft::find_target_linears) and freezes
// everything but the kernels and the parameters under `trainable_prefixes`. Returns the
// adapted layers' names. A block size that does not divide a layer's d_in and d_out, or that
// the FFT cannot take, is an error naming --c3a-block-size and the layer.
std::vector<std::string> inject_c3a(nn::Module& model, const std::vector<std::string>& targets,
                                    const C3aOptions& options,
                                    const std::vector<std::string>& trainable_prefixes);

// C3A as the registry knows it: peft_type "C3A", HF's keys.
AdapterFamily c3a_family();

}  // namespace tt::peft
