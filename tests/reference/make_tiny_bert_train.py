"""Writes tests/fixtures/tiny_bert_train.safetensors: on the tiny HF BERT fixture
(make_tiny_bert.py) and its padded batch, HF's cross-entropy loss, the gradient of every
parameter, and 10 steps of torch.optim.AdamW (weight decay 0.01 except biases and LayerNorm
weights, clipping at 1.0): the loss before each step and every parameter after the last.
Dropout is off (eval mode) so both frameworks compute the same function.

And tests/fixtures/tiny_bert_regression_train.safetensors: the same for a regression head
(num_labels 1, MSE against STS-B-like scores, as GLUE's STS-B), whose new classifier's initial
values are stored too ("init.classifier.*") so that tinytune starts from them.

    /work/venv/bin/python tests/reference/make_tiny_bert_train.py
"""
import os

import torch
from safetensors.torch import load_file, save_file
from transformers import BertForSequenceClassification

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures")
batch = load_file(os.path.join(FIXTURES, "tiny_bert_expected.safetensors"))


def run(num_labels, labels, loss_fn, path):
    torch.manual_seed(0)  # the regression head is new: a seeded HF initialisation
    model = BertForSequenceClassification.from_pretrained(
        os.path.join(FIXTURES, "tiny_bert"), num_labels=num_labels,
        attn_implementation="eager", ignore_mismatched_sizes=num_labels != 3).eval()
    inputs = {k: batch[k] for k in ("input_ids", "token_type_ids", "attention_mask")}
    named = list(model.named_parameters())
    no_decay = lambda n: n.endswith("bias") or "LayerNorm.weight" in n
    optimizer = torch.optim.AdamW([
        {"params": [p for n, p in named if not no_decay(n)], "weight_decay": 0.01},
        {"params": [p for n, p in named if no_decay(n)], "weight_decay": 0.0}],
        lr=1e-3, eps=1e-8, foreach=False)
    out = {"labels": labels}
    if num_labels == 1:
        out["init.classifier.weight"] = model.classifier.weight.detach().clone()
        out["init.classifier.bias"] = model.classifier.bias.detach().clone()
    losses = []
    for step in range(10):
        loss = loss_fn(model(**inputs).logits, labels)
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
    save_file({k: v.contiguous() for k, v in out.items()}, os.path.join(FIXTURES, path))
    print(path, "losses", [round(x, 6) for x in losses])


run(3, torch.tensor([0, 2, 1]), torch.nn.functional.cross_entropy, "tiny_bert_train.safetensors")
run(1, torch.tensor([0.4, 3.8, 2.6]),
    lambda logits, y: torch.nn.functional.mse_loss(logits.squeeze(-1), y),
    "tiny_bert_regression_train.safetensors")
