#!/usr/bin/env python3
"""Writes the PyTorch golden fixtures that tests/ops/test_golden_torch.cpp checks tinytune against.

    /work/venv/bin/python tests/reference/make_golden.py            # writes tests/fixtures/*.safetensors
    /work/venv/bin/python tests/reference/make_golden.py --out DIR  # elsewhere

Needs torch, numpy and safetensors. Deterministic: every section reseeds torch.manual_seed with a
fixed seed, runs single-threaded, and nothing depends on the order the sections run in.

golden_attention_{f32,f64}.safetensors: one BERT encoder layer (post-LN, exactly HF BertLayer in
eval mode) on x [2, 5, 16], 4 heads, attention_mask [2, 5] with the last 2 positions of the second
sequence padded. The mask is additive, as classic HF BERT: scores += (1 - mask) * -10000.
Loss = sum(out * R). Keys: x, attention_mask (I64), R, the HF BertLayer parameter names
(attention.self.query.weight, ...), out, and grad.<name> for x and every parameter. The f64 file
holds the same values (the f32 inputs widened exactly) with everything computed in float64.

golden_ops.safetensors (float64): per op <op>, inputs <op>.in0, <op>.in1, ... (integer inputs as
I64), <op>.R, <op>.out = op(inputs), and <op>.grad<i> = d sum(out * R) / d in<i> for each floating
input. The op parameters (dims, exponents, eps, ...) are in OPS below and mirrored in the C++ test.
"""
import argparse
import os
import zlib

import numpy as np  # noqa: F401  (safetensors.torch needs numpy)
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

# ---- the attention block ----------------------------------------------------------------------

BATCH, SEQ, HIDDEN, HEADS, INTERMEDIATE = 2, 5, 16, 4, 64
HEAD_DIM = HIDDEN // HEADS
LN_EPS = 1e-12
MASK_VALUE = -10000.0
ATTENTION_SEED = 1234

# (name, shape) of every BertLayer parameter, in HF's state_dict naming.
ATTENTION_PARAMS = [
    ("attention.self.query.weight", (HIDDEN, HIDDEN)),
    ("attention.self.query.bias", (HIDDEN,)),
    ("attention.self.key.weight", (HIDDEN, HIDDEN)),
    ("attention.self.key.bias", (HIDDEN,)),
    ("attention.self.value.weight", (HIDDEN, HIDDEN)),
    ("attention.self.value.bias", (HIDDEN,)),
    ("attention.output.dense.weight", (HIDDEN, HIDDEN)),
    ("attention.output.dense.bias", (HIDDEN,)),
    ("attention.output.LayerNorm.weight", (HIDDEN,)),
    ("attention.output.LayerNorm.bias", (HIDDEN,)),
    ("intermediate.dense.weight", (INTERMEDIATE, HIDDEN)),
    ("intermediate.dense.bias", (INTERMEDIATE,)),
    ("output.dense.weight", (HIDDEN, INTERMEDIATE)),
    ("output.dense.bias", (HIDDEN,)),
    ("output.LayerNorm.weight", (HIDDEN,)),
    ("output.LayerNorm.bias", (HIDDEN,)),
]


def attention_inputs():
    """x, attention_mask, R and the parameters, all float32 (mask int64)."""
    torch.manual_seed(ATTENTION_SEED)
    x = torch.randn(BATCH, SEQ, HIDDEN)
    mask = torch.ones(BATCH, SEQ, dtype=torch.int64)
    mask[1, SEQ - 2:] = 0
    R = torch.randn(BATCH, SEQ, HIDDEN)
    params = {}
    for name, shape in ATTENTION_PARAMS:
        if name.endswith("LayerNorm.weight"):
            params[name] = 1.0 + 0.1 * torch.randn(shape)
        elif name.endswith("bias"):
            params[name] = 0.1 * torch.randn(shape)
        else:  # unit-variance outputs: scores and GELU inputs of order 1
            params[name] = torch.randn(shape) / shape[1] ** 0.5
    return x, mask, R, params


def bert_layer(x, mask, p):
    """HF BertLayer.forward (eval, absolute positions, no cross-attention), written out."""
    B, S, H = x.shape

    def heads(t):  # [B, S, H] -> [B, heads, S, head_dim]
        return t.view(B, S, HEADS, HEAD_DIM).permute(0, 2, 1, 3)

    q = heads(F.linear(x, p["attention.self.query.weight"], p["attention.self.query.bias"]))
    k = heads(F.linear(x, p["attention.self.key.weight"], p["attention.self.key.bias"]))
    v = heads(F.linear(x, p["attention.self.value.weight"], p["attention.self.value.bias"]))
    scores = torch.matmul(q, k.transpose(-1, -2)) / HEAD_DIM ** 0.5
    extended = (1.0 - mask.to(x.dtype))[:, None, None, :] * MASK_VALUE  # [B, 1, 1, S]
    probs = torch.softmax(scores + extended, dim=-1)
    context = torch.matmul(probs, v).permute(0, 2, 1, 3).reshape(B, S, H)
    attn = F.linear(context, p["attention.output.dense.weight"], p["attention.output.dense.bias"])
    attn = F.layer_norm(attn + x, (H,), p["attention.output.LayerNorm.weight"],
                        p["attention.output.LayerNorm.bias"], LN_EPS)
    inter = F.gelu(F.linear(attn, p["intermediate.dense.weight"], p["intermediate.dense.bias"]))
    out = F.linear(inter, p["output.dense.weight"], p["output.dense.bias"])
    return F.layer_norm(out + attn, (H,), p["output.LayerNorm.weight"], p["output.LayerNorm.bias"],
                        LN_EPS)


def attention_fixture(dtype):
    x32, mask, R32, params32 = attention_inputs()
    x = x32.to(dtype).requires_grad_(True)
    R = R32.to(dtype)
    params = {k: v.to(dtype).requires_grad_(True) for k, v in params32.items()}
    out = bert_layer(x, mask, params)
    (out * R).sum().backward()
    tensors = {"x": x.detach(), "attention_mask": mask, "R": R, "out": out.detach(),
               "grad.x": x.grad}
    for name, p in params.items():
        tensors[name] = p.detach()
        tensors["grad." + name] = p.grad
    check_against_transformers(x.detach(), mask, params, out.detach())
    return tensors


def check_against_transformers(x, mask, params, expected):
    """When transformers is importable, asserts bert_layer equals the real HF BertLayer."""
    try:
        from transformers import BertConfig
        from transformers.models.bert.modeling_bert import BertLayer
    except ImportError:
        return
    config = BertConfig(hidden_size=HIDDEN, num_attention_heads=HEADS,
                        intermediate_size=INTERMEDIATE, hidden_act="gelu", layer_norm_eps=LN_EPS,
                        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
                        attn_implementation="eager")
    layer = BertLayer(config).to(x.dtype).eval()
    layer.load_state_dict({k: v.detach() for k, v in params.items()}, strict=True)
    extended = (1.0 - mask.to(x.dtype))[:, None, None, :] * MASK_VALUE
    with torch.no_grad():
        hf = layer(x, attention_mask=extended)
    hf = hf[0] if isinstance(hf, tuple) else hf  # transformers 4.x returns a tuple, 5.x a tensor
    diff = (hf - expected).abs().max().item()
    tol = 1e-12 if x.dtype == torch.float64 else 1e-5
    assert diff <= tol * expected.abs().max().item(), f"BertLayer differs by {diff}"
    print(f"  matches transformers BertLayer ({x.dtype}): max |diff| = {diff:.3g}")


# ---- per-op goldens -----------------------------------------------------------------------------


def randn(*shape):
    return torch.randn(shape, dtype=torch.float64)  # shape () gives a 0-d tensor


def uniform(low, high, *shape):
    return low + (high - low) * torch.rand(shape, dtype=torch.float64)


def away_from_zero(*shape):
    """Values in ±[0.2, 1.2): away from the kinks of relu and the pole of division."""
    sign = torch.where(torch.rand(shape) < 0.5, -1.0, 1.0).to(torch.float64)
    return sign * uniform(0.2, 1.2, *shape)


def embedding_indices():
    idx = torch.randint(0, 7, (2, 4))
    idx[1, 3] = idx[0, 0]  # a repeated row: its gradient must accumulate
    return idx


def ce_target():
    t = torch.randint(0, 5, (6,))
    t[1] = -100
    t[4] = -100
    return t


# name -> (make inputs, forward). Inputs that are int64 get no gradient. Parameters of each op
# (dims, keepdim, exponents, eps, fill value, ignore_index) are repeated in test_golden_torch.cpp.
OPS = {
    "add": (lambda: [randn(2, 3, 4), randn(3, 1)], lambda a, b: a + b),
    "sub": (lambda: [randn(4), randn(2, 3, 4)], lambda a, b: a - b),
    "mul": (lambda: [randn(2, 1, 4), randn(3, 1)], lambda a, b: a * b),
    "div": (lambda: [randn(2, 3, 4), away_from_zero(1, 4)], lambda a, b: a / b),
    "neg": (lambda: [randn(2, 3)], lambda a: -a),
    "exp": (lambda: [randn(2, 3)], torch.exp),
    "log": (lambda: [uniform(0.2, 3.0, 2, 3)], torch.log),
    "sqrt": (lambda: [uniform(0.2, 3.0, 2, 3)], torch.sqrt),
    "pow": (lambda: [uniform(0.2, 2.0, 2, 3)], lambda a: torch.pow(a, 2.5)),
    "pow_int": (lambda: [randn(2, 3)], lambda a: torch.pow(a, 3.0)),
    "tanh": (lambda: [randn(2, 3)], torch.tanh),
    "gelu": (lambda: [2.0 * randn(3, 4)], lambda a: F.gelu(a)),  # erf form
    "relu": (lambda: [away_from_zero(3, 4)], F.relu),
    "sum": (lambda: [randn(2, 3, 4)], lambda a: a.sum(dim=1, keepdim=True)),
    "sum_dims": (lambda: [randn(2, 3, 4)], lambda a: a.sum(dim=(0, 2), keepdim=False)),
    "mean": (lambda: [randn(2, 3, 4)], lambda a: a.mean(dim=-1, keepdim=True)),
    "max": (lambda: [randn(2, 3, 4)], lambda a: a.max(dim=1, keepdim=True).values),
    "softmax": (lambda: [2.0 * randn(2, 4, 3)], lambda a: torch.softmax(a, dim=1)),
    "log_softmax": (lambda: [2.0 * randn(3, 5)], lambda a: torch.log_softmax(a, dim=-1)),
    "layer_norm": (lambda: [randn(2, 3, 8), 1.0 + 0.2 * randn(8), 0.2 * randn(8)],
                   lambda x, w, b: F.layer_norm(x, (8,), w, b, 1e-5)),
    "embedding": (lambda: [randn(7, 5), embedding_indices()], lambda w, i: F.embedding(i, w)),
    "cross_entropy": (lambda: [2.0 * randn(6, 5), ce_target()],
                      lambda x, t: F.cross_entropy(x, t, ignore_index=-100)),
    "mse_loss": (lambda: [randn(3, 4), randn(3, 4)], F.mse_loss),
    "concat": (lambda: [randn(2, 1, 3), randn(2, 4, 3), randn(2, 2, 3)],
               lambda a, b, c: torch.cat([a, b, c], dim=1)),
    "where": (lambda: [torch.randint(0, 2, (3, 4)), randn(2, 1, 4), randn(4)],
              lambda c, a, b: torch.where(c.bool(), a, b)),
    "masked_fill": (lambda: [randn(2, 3, 4), torch.randint(0, 2, (3, 4))],
                    lambda x, m: x.masked_fill(m.bool(), -1.5)),
    "matmul": (lambda: [randn(2, 1, 3, 4), randn(3, 4, 5)], torch.matmul),  # broadcast batch
    "matmul_2d": (lambda: [randn(3, 4), randn(4, 5)], torch.matmul),
    "matmul_mv": (lambda: [randn(2, 3, 4), randn(4)], torch.matmul),
    "matmul_vm": (lambda: [randn(4), randn(2, 4, 5)], torch.matmul),
}


def ops_fixture():
    tensors = {}
    for name, (make_inputs, forward) in OPS.items():
        torch.manual_seed(zlib.crc32(name.encode()))  # per op, so adding one changes no other
        inputs = [t.requires_grad_(True) if t.is_floating_point() else t for t in make_inputs()]
        out = forward(*inputs)
        R = randn(*out.shape)
        (out * R).sum().backward()
        for i, t in enumerate(inputs):
            tensors[f"{name}.in{i}"] = t.detach()
            if t.is_floating_point():
                tensors[f"{name}.grad{i}"] = t.grad
        tensors[f"{name}.R"] = R
        tensors[f"{name}.out"] = out.detach()
    return tensors


# ---- main ---------------------------------------------------------------------------------------


def save(path, tensors, description):
    tensors = {k: v.detach().contiguous() for k, v in tensors.items()}
    # One metadata key: safetensors writes a multi-key __metadata__ in hash order, which would
    # make the bytes differ from run to run.
    metadata = {"description": f"{description}. Written by tests/reference/make_golden.py "
                               f"with torch {torch.__version__}."}
    save_file(tensors, path, metadata=metadata)
    print(f"wrote {path}: {len(tensors)} tensors, {os.path.getsize(path)} bytes")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.normpath(os.path.join(here, "..", "fixtures")))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    attention_doc = (f"BertLayer: B={BATCH} S={SEQ} H={HIDDEN} heads={HEADS} I={INTERMEDIATE} "
                     f"ln_eps={LN_EPS} additive mask (1-mask)*{MASK_VALUE}; loss=sum(out*R)")
    for dtype, suffix in [(torch.float32, "f32"), (torch.float64, "f64")]:
        save(os.path.join(args.out, f"golden_attention_{suffix}.safetensors"),
             attention_fixture(dtype), attention_doc)
    save(os.path.join(args.out, "golden_ops.safetensors"), ops_fixture(),
         "per-op float64 goldens: <op>.in<i>, <op>.R, <op>.out, <op>.grad<i> of sum(out*R)")


if __name__ == "__main__":
    main()
