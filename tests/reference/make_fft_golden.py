"""Writes the torch.fft golden fixture for tinytune's rfft/irfft (tests/ops/test_fft.cpp).

    /work/venv/bin/python tests/reference/make_fft_golden.py   (needs torch, safetensors)

For each length n (float64, a batch of 2 x 2 rows):
    rfft_x_<n>          the real input x [2, 2, n]
    rfft_out_<n>        torch.view_as_real(torch.fft.rfft(x))           [2, 2, n/2+1, 2]
    rfft_r_<n>          a random weight R of the same shape as rfft_out
    rfft_grad_<n>       d sum(rfft(x) * R) / dx                          [2, 2, n]
    irfft_spec_<n>      a random spectrum X [2, 2, n/2+1, 2] (Im of DC and Nyquist nonzero:
                        torch ignores them, so must we)
    irfft_out_<n>       torch.fft.irfft(view_as_complex(X), n)           [2, 2, n]
    irfft_r_<n>         a random weight R [2, 2, n]
    irfft_grad_<n>      d sum(irfft(X, n) * R) / dX                      [2, 2, n/2+1, 2]
Output (committed, ~50 KB): tests/fixtures/fft_golden.safetensors
"""
import os

import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures", "fft_golden.safetensors")

torch.manual_seed(0)
tensors = {}
for n in [1, 2, 6, 15, 16, 45, 96]:
    bins = n // 2 + 1
    x = torch.randn(2, 2, n, dtype=torch.float64, requires_grad=True)
    out = torch.view_as_real(torch.fft.rfft(x))
    r = torch.randn_like(out)
    (out * r).sum().backward()
    tensors[f"rfft_x_{n}"] = x.detach()
    tensors[f"rfft_out_{n}"] = out.detach().contiguous()
    tensors[f"rfft_r_{n}"] = r
    tensors[f"rfft_grad_{n}"] = x.grad

    spec = torch.randn(2, 2, bins, 2, dtype=torch.float64, requires_grad=True)
    y = torch.fft.irfft(torch.view_as_complex(spec), n)
    r = torch.randn_like(y)
    (y * r).sum().backward()
    tensors[f"irfft_spec_{n}"] = spec.detach()
    tensors[f"irfft_out_{n}"] = y.detach().contiguous()
    tensors[f"irfft_r_{n}"] = r
    tensors[f"irfft_grad_{n}"] = spec.grad

save_file(tensors, OUT)
print("wrote", OUT, sum(t.numel() for t in tensors.values()) * 8 // 1024, "KiB")
