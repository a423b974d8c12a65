"""Writes tests/fixtures/tiny_bert_train.safetensors: on the tiny HF BERT fixture
(make_tiny_bert.py) and its padded batch, HF's cross-entropy loss, the gradient of every
parameter, and 10 steps of torch.optim.AdamW (weight decay 0.01 except biases and LayerNorm
weights, clipping at 1.0): the loss before each step and every parameter after the last.
Dropout is off (eval mode) so both frameworks compute the same function.

    /work/venv/bin/python tests/reference/make_tiny_bert_train.py
"""
import os

import torch
from safetensors.torch import load_file, save_file
from transformers import BertForSequenceClassification

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures")
batch = load_file(os.path.join(FIXTURES, "tiny_bert_expected.safetensors"))
labels = torch.tensor([0, 2, 1])
model = BertForSequenceClassification.from_pretrained(os.path.join(FIXTURES, "tiny_bert"),
                                                      attn_implementation="eager").eval()
inputs = {k: batch[k] for k in ("input_ids", "token_type_ids", "attention_mask")}
named = list(model.named_parameters())
no_decay = lambda n: n.endswith("bias") or "LayerNorm.weight" in n
optimizer = torch.optim.AdamW([
    {"params": [p for n, p in named if not no_decay(n)], "weight_decay": 0.01},
    {"params": [p for n, p in named if no_decay(n)], "weight_decay": 0.0}],
    lr=1e-3, eps=1e-8, foreach=False)
out = {"labels": labels}
losses = []
for step in range(10):
    loss = torch.nn.functional.cross_entropy(model(**inputs).logits, labels)
    losses.append(loss.item())
    optimizer.zero_grad()
    loss.backward()
    if step == 0:
        for n, p in named:
            out["grad." + n] = p.grad.clone()
    torch.nn.utils.clip_grad_norm_([p for _, p in named], 1.0)
    optimizer.step()
out["losses"] = torch.tensor(losses, dtype=torch.float64)
for n, p in named:
    out["after." + n] = p.detach().clone()
save_file({k: v.contiguous() for k, v in out.items()}, os.path.join(FIXTURES, "tiny_bert_train.safetensors"))
print("losses", [round(x, 6) for x in losses])
