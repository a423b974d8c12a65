"""Writes the HF PEFT C3A fixture for tests/peft/test_c3a.cpp: HF's C3A (peft 0.21) on the
tiny BERT fixture model, so tinytune's C3A can be checked against it on the same kernels.

    /work/venv/bin/python tests/reference/make_c3a_fixture.py   (needs torch, transformers, peft)

Model: tests/fixtures/tiny_bert (BertForSequenceClassification, hidden 64, 2 layers, 3 labels),
eval mode (no dropout). Adapter: C3AConfig(task_type="SEQ_CLS", target_modules=["query",
"value"], block_size=16, init_weights=<init>) after torch.manual_seed(1234), so the kernels are
HF's own draws, shape (64/16, 64/16, 16), for two inits:
    xavier_uniform  U(±sqrt(6 / (64 + 64))), HF's default: the adapter moves the logits by ~4e-5
    gaussian        N(0, 1): a 10x larger move, so a wrong convention cannot hide in rounding
Inputs: the padded batch of tests/fixtures/tiny_bert_expected.safetensors, labels [0, 2, 1],
loss = cross-entropy (mean).

HF's gradient w.r.t. the adapter's *input* is wrong in peft 0.21: BlockCircularConvolution.backward
returns fft(fft(g) * ifft(w)).real, which applies the transposed blocks with the kernel index
reversed (w[(p - q) mod b] instead of w[(q - p) mod b]); torch.autograd.gradcheck fails on it
(checked below), while its kernel gradient is right. So the kernels of every layer *below* the
top adapted one get wrong gradients in HF. The fixture therefore holds two sets:
    grad.<name>            HF as shipped (custom backward)
    grad_autograd.<name>   the exact gradient of HF's same forward: the forward's torch.fft ops
                           differentiated by torch autograd (gradcheck passes on it)
tinytune must match grad_autograd everywhere, and HF as shipped where the bug does not reach
(the top layer's kernels and the classifier).

Output (committed, ~35 KB): tests/fixtures/c3a_hf_tiny_bert.safetensors with, per <init>, under
HF PEFT's saved names (get_peft_model_state_dict: "base_model.model." + module path +
".c3a_kernel"):
    <init>/<name>                  every c3a_kernel (float32) and the classifier weight/bias
    <init>/grad.<name>             d loss / d that tensor, HF's custom backward
    <init>/grad_autograd.<name>    d loss / d that tensor, exact
    <init>/logits, <init>/loss     of the adapted model
and
    logits_base                    of the model without the adapter (so a test can compare
                                   the adapter's own contribution, logits - logits_base)
    labels                         int64 [3]
"""
import os

import peft.tuners.c3a.layer as c3a_layer
import torch
from peft import C3AConfig, get_peft_model
from peft.tuners.c3a.utils import BlockCircularConvolution
from peft.utils import get_peft_model_state_dict
from safetensors.torch import load_file, save_file
from transformers import BertForSequenceClassification

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures")
OUT = os.path.join(FIXTURES, "c3a_hf_tiny_bert.safetensors")


class AutogradBlockCircularConvolution:
    """HF's BlockCircularConvolution.forward, line for line, left to torch autograd."""

    @staticmethod
    def apply(x, w):
        _, n, b = w.shape
        x = x.reshape(*x.shape[:-1], n, b)
        x = torch.einsum("...nb,mnb->...mb", torch.fft.ifft(x), torch.fft.fft(w))
        x = torch.fft.fft(x).real
        return x.reshape(*x.shape[:-2], -1)


def gradcheck_ok(fn):
    torch.manual_seed(0)
    x = torch.randn(3, 12, dtype=torch.float64, requires_grad=True)
    w = torch.randn(2, 3, 4, dtype=torch.float64, requires_grad=True)
    return torch.autograd.gradcheck(fn, (x, w), raise_exception=False)


print("gradcheck HF BlockCircularConvolution:", gradcheck_ok(BlockCircularConvolution.apply))
print("gradcheck autograd version:         ", gradcheck_ok(AutogradBlockCircularConvolution.apply))
assert gradcheck_ok(AutogradBlockCircularConvolution.apply)

inputs = load_file(os.path.join(FIXTURES, "tiny_bert_expected.safetensors"))
batch = {k: inputs[k] for k in ("input_ids", "token_type_ids", "attention_mask")}
labels = torch.tensor([0, 2, 1], dtype=torch.long)


def load_base():
    return BertForSequenceClassification.from_pretrained(
        os.path.join(FIXTURES, "tiny_bert"), num_labels=3, attn_implementation="eager").eval()


with torch.no_grad():
    logits_base = load_base()(**batch).logits.detach()


def run(init):
    """HF's C3A model for `init`: logits, loss, saved state and d loss / d each saved tensor."""
    torch.manual_seed(1234)
    config = C3AConfig(task_type="SEQ_CLS", target_modules=["query", "value"], block_size=16,
                       init_weights=init)
    peft_model = get_peft_model(load_base(), config).eval()
    out = peft_model(**batch)
    loss = torch.nn.functional.cross_entropy(out.logits, labels)
    loss.backward()
    params = dict(peft_model.named_parameters())
    state, grads = {}, {}
    for saved_name, value in get_peft_model_state_dict(peft_model).items():
        state[saved_name] = value.detach().contiguous()
        # the in-memory name has the adapter name ("...c3a_kernel.default",
        # "classifier.modules_to_save.default.weight")
        matches = [p for n, p in params.items() if p.requires_grad and
                   n.replace(".default", "").replace(".modules_to_save", "") == saved_name]
        assert len(matches) == 1, saved_name
        grads[saved_name] = matches[0].grad.detach().contiguous()
    return out.logits.detach().contiguous(), loss.detach().reshape(1), state, grads


tensors = {"logits_base": logits_base.contiguous(), "labels": labels}
for init in ("xavier_uniform", "gaussian"):
    logits, loss, state, grads = run(init)
    c3a_layer.BlockCircularConvolution = AutogradBlockCircularConvolution
    logits_ag, loss_ag, state_ag, grads_ag = run(init)
    c3a_layer.BlockCircularConvolution = BlockCircularConvolution
    assert torch.allclose(logits, logits_ag, rtol=1e-6, atol=1e-7)
    tensors[init + "/logits"] = logits
    tensors[init + "/loss"] = loss
    for name in state:
        assert torch.equal(state[name], state_ag[name])
        tensors[f"{init}/{name}"] = state[name]
        tensors[f"{init}/grad.{name}"] = grads[name]
        tensors[f"{init}/grad_autograd.{name}"] = grads_ag[name]
        rel = ((grads[name] - grads_ag[name]).abs().max() / grads_ag[name].abs().max()).item()
        print(f"{init}: {name}: HF custom backward vs autograd, max rel diff {rel:.2e}")
    assert sum(k.startswith(init + "/base_model") and "c3a_kernel" in k for k in tensors) == 4
    print(init, "max |logits - logits_base| =", (logits - logits_base).abs().max().item())

save_file(tensors, OUT)
os.chmod(OUT, 0o644)
print("wrote", OUT)
