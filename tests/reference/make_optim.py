"""Writes tests/fixtures/optim_reference.safetensors: 20 steps of torch.optim.AdamW (decoupled
weight decay on one group, none on the other) under HF's linear warmup/decay schedule, with
gradient clipping by global norm, in float64. The C++ test replays the same gradients.

    /work/venv/bin/python tests/reference/make_optim.py   (needs torch, transformers, safetensors)
"""
import os

import torch
from safetensors.torch import save_file
from transformers import get_linear_schedule_with_warmup

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures",
                   "optim_reference.safetensors")
STEPS, WARMUP, LR, WD, MAX_NORM = 20, 3, 1e-2, 0.1, 1.0
torch.manual_seed(0)
decay = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)    # a weight
no_decay = torch.randn(5, dtype=torch.float64, requires_grad=True)    # a bias / LayerNorm
initial = {"init.decay": decay.detach().clone(), "init.no_decay": no_decay.detach().clone()}
optimizer = torch.optim.AdamW([{"params": [decay], "weight_decay": WD},
                               {"params": [no_decay], "weight_decay": 0.0}],
                              lr=LR, betas=(0.9, 0.999), eps=1e-8, foreach=False)
schedule = get_linear_schedule_with_warmup(optimizer, WARMUP, STEPS)
out = dict(initial)
lrs, norms = [], []
for step in range(STEPS):
    # Gradients large enough that clipping acts on some steps and not on others.
    scale = 2.0 if step % 3 == 0 else 0.2
    decay.grad = scale * torch.randn_like(decay)
    no_decay.grad = scale * torch.randn_like(no_decay)
    out[f"grad{step}.decay"] = decay.grad.clone()
    out[f"grad{step}.no_decay"] = no_decay.grad.clone()
    norms.append(torch.nn.utils.clip_grad_norm_([decay, no_decay], MAX_NORM).item())
    lrs.append(schedule.get_last_lr()[0])
    optimizer.step()
    schedule.step()
    out[f"after{step}.decay"] = decay.detach().clone()
    out[f"after{step}.no_decay"] = no_decay.detach().clone()
out["lr"] = torch.tensor(lrs, dtype=torch.float64)
out["grad_norm"] = torch.tensor(norms, dtype=torch.float64)
save_file(out, OUT)
print("wrote", OUT)
