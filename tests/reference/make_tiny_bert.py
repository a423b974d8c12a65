"""Writes the tiny-BERT golden fixture: an HF BertForSequenceClassification with random
weights (2 layers, hidden 64, 4 heads, vocab 1000), saved as an HF directory, and HF's
outputs on a padded batch of sentence pairs.

    /work/venv/bin/python tests/reference/make_tiny_bert.py   (needs torch, transformers)

Outputs (committed, ~1 MB):
    tests/fixtures/tiny_bert/config.json, model.safetensors   the model, HF layout ("bert." names)
    tests/fixtures/tiny_bert_expected.safetensors              inputs and reference outputs
"""
import json
import os

import torch
from safetensors.torch import save_file
from transformers import BertConfig, BertForSequenceClassification

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures")
MODEL_DIR = os.path.join(FIXTURES, "tiny_bert")

torch.manual_seed(0)
config = BertConfig(
    vocab_size=1000, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
    intermediate_size=128, max_position_embeddings=64, type_vocab_size=2, num_labels=3,
    hidden_act="gelu", layer_norm_eps=1e-12, attn_implementation="eager",
)
model = BertForSequenceClassification(config).eval()
# HF's init leaves LayerNorm at (1, 0) and biases at 0; randomise them so the test sees them.
with torch.no_grad():
    for name, p in model.named_parameters():
        if "LayerNorm" in name or name.endswith("bias"):
            p.add_(0.1 * torch.randn_like(p))

# A padded batch of 3 sentence pairs: [CLS] a [SEP] b [SEP] [PAD]...
CLS, SEP, PAD = 101, 102, 0
lengths = [(5, 4), (3, 2), (7, 6)]
seq = max(2 + a + 1 + b for a, b in lengths)
input_ids = torch.full((3, seq), PAD, dtype=torch.long)
token_type_ids = torch.zeros((3, seq), dtype=torch.long)
attention_mask = torch.zeros((3, seq), dtype=torch.long)
for i, (a, b) in enumerate(lengths):
    ids = [CLS] + torch.randint(200, 1000, (a,)).tolist() + [SEP] + \
        torch.randint(200, 1000, (b,)).tolist() + [SEP]
    n = len(ids)
    input_ids[i, :n] = torch.tensor(ids)
    token_type_ids[i, a + 2:n] = 1
    attention_mask[i, :n] = 1

with torch.no_grad():
    out = model(input_ids=input_ids, token_type_ids=token_type_ids,
                attention_mask=attention_mask, output_hidden_states=True)
    bert_out = model.bert(input_ids=input_ids, token_type_ids=token_type_ids,
                          attention_mask=attention_mask)

os.makedirs(MODEL_DIR, exist_ok=True)
model.config.to_json_file(os.path.join(MODEL_DIR, "config.json"))
save_file({k: v.contiguous() for k, v in model.state_dict().items()},
          os.path.join(MODEL_DIR, "model.safetensors"))
save_file({
    "input_ids": input_ids, "token_type_ids": token_type_ids, "attention_mask": attention_mask,
    "last_hidden_state": bert_out.last_hidden_state.contiguous(),
    "pooled": bert_out.pooler_output.contiguous(),
    "logits": out.logits.contiguous(),
}, os.path.join(FIXTURES, "tiny_bert_expected.safetensors"))
print("wrote", MODEL_DIR, "and tiny_bert_expected.safetensors")
