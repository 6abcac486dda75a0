# Writes the reference values for Tests/KernelsTests: every layer kernel's forward output and its
# input/weight gradients from PyTorch autograd, using the llm.c trick loss = (out * dout).sum()
# with a random dout, so that each gradient equals the backward pass applied to dout.
#
# Run from the repository root (tested with torch 2.13.0 CPU, transformers 5.x,
# sentence-transformers 6.x, peft 0.21):
#     ${PYTHON:-python3} scripts/reference/kernel_fixtures.py
# Output: Tests/KernelsTests/Fixtures/kernels.json (index: per case its sizes and, per tensor, shape
# and float offset) and kernels.bin (all tensors as little-endian float32, concatenated).
import json
import math
import os

import torch
import torch.nn.functional as F

torch.manual_seed(1234)
OUT_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "KernelsTests", "Fixtures")

cases = {}
blob = []
offset = 0


def add(case, sizes, **tensors):
    """Records `tensors` (float32, any shape) under `case` with its integer/float sizes."""
    global offset
    entry = {"sizes": sizes, "tensors": {}}
    for name, t in tensors.items():
        a = t.detach().to(torch.float32).contiguous().reshape(-1)
        entry["tensors"][name] = {"shape": list(t.shape), "offset": offset}
        blob.append(a)
        offset += a.numel()
    cases[case] = entry


def leaf(*shape, scale=1.0, shift=0.0):
    return (torch.randn(*shape) * scale + shift).requires_grad_(True)


# Linear: out = inp @ W^T + b (torch.nn.Linear)
n, c, oc = 6, 20, 7
inp, lin = leaf(n, c), torch.nn.Linear(c, oc)
out = lin(inp)
dout = torch.randn(n, oc)
(out * dout).sum().backward()
add("linear", {"n": n, "c": c, "oc": oc}, inp=inp, weight=lin.weight, bias=lin.bias, dout=dout,
    out=out, dinp=inp.grad, dweight=lin.weight.grad, dbias=lin.bias.grad)

# LoRA through peft: a frozen nn.Linear with an adapter (r 3, alpha 6 → scale 2, dropout 0).
from peft import LoraConfig, get_peft_model  # noqa: E402


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.dense = torch.nn.Linear(c, oc)

    def forward(self, x):
        return self.dense(x)


r, alpha = 3, 6
model = get_peft_model(Tiny(), LoraConfig(r=r, lora_alpha=alpha, lora_dropout=0.0, target_modules=["dense"]))
layer = model.base_model.model.dense
with torch.no_grad():  # B starts at zero in peft; make it random so every gradient is non-trivial
    layer.lora_A["default"].weight.copy_(torch.randn(r, c) * 0.3)
    layer.lora_B["default"].weight.copy_(torch.randn(oc, r) * 0.3)
inp = leaf(n, c)
out = model(inp)
dout = torch.randn(n, oc)
(out * dout).sum().backward()
a_w, b_w = layer.lora_A["default"].weight, layer.lora_B["default"].weight
add("lora", {"n": n, "c": c, "oc": oc, "r": r, "scale": alpha / r},
    inp=inp, weight=layer.base_layer.weight, bias=layer.base_layer.bias, a=a_w, b=b_w, dout=dout,
    out=out, dinp=inp.grad, da=a_w.grad, db=b_w.grad)

# Embedding: out = table[ids]
v, n, c = 11, 9, 8
table = leaf(v, c)
ids = torch.tensor([3, 0, 10, 3, 7, 7, 7, 1, 5])
out = F.embedding(ids, table)
dout = torch.randn(n, c)
(out * dout).sum().backward()
add("embedding", {"n": n, "c": c, "v": v}, ids=ids.float(), table=table, dout=dout, out=out, dtable=table.grad)

# LayerNorm (HF BertLayerNorm = nn.LayerNorm) at both epsilons BERT checkpoints use.
for name, eps in (("layernorm_eps1e-12", 1e-12), ("layernorm_eps1e-5", 1e-5)):
    n, c = 5, 40
    inp = leaf(n, c, scale=3.0, shift=1.5)
    ln = torch.nn.LayerNorm(c, eps=eps)
    with torch.no_grad():
        ln.weight.copy_(torch.randn(c))
        ln.bias.copy_(torch.randn(c))
    out = ln(inp)
    dout = torch.randn(n, c)
    (out * dout).sum().backward()
    add(name, {"n": n, "c": c, "eps": eps}, inp=inp, weight=ln.weight, bias=ln.bias, dout=dout,
        out=out, dinp=inp.grad, dweight=ln.weight.grad, dbias=ln.bias.grad)

# GELU, exact erf form (HF "gelu")
count = 100
inp = leaf(count, scale=3.0)
out = F.gelu(inp, approximate="none")
dout = torch.randn(count)
(out * dout).sum().backward()
add("gelu", {"count": count}, inp=inp, dout=dout, out=out, dinp=inp.grad)

# Softmax over the last dimension
rows, cols = 4, 37
inp = leaf(rows, cols, scale=4.0)
out = torch.softmax(inp, dim=-1)
dout = torch.randn(rows, cols)
(out * dout).sum().backward()
add("softmax", {"rows": rows, "cols": cols}, inp=inp, dout=dout, out=out, dinp=inp.grad)

# Attention the Hugging Face way (transformers/models/bert/modeling_bert.py, eager path): a padded
# batch, the additive mask (1 - mask) * finfo(float32).min on padded keys, softmax, probabilities @ V.
# Stored packed (real tokens only, sequences one after another) as the Swift kernel takes them.
lengths, nh, c = [5, 3, 7], 4, 16
b, lmax, hs = len(lengths), max(lengths), c // nh
mask = torch.zeros(b, lmax)
for i, length in enumerate(lengths):
    mask[i, :length] = 1
q, k, vv = leaf(b, lmax, c), leaf(b, lmax, c), leaf(b, lmax, c)


def heads(x):  # (B, L, C) -> (B, NH, L, HS)
    return x.view(b, lmax, nh, hs).permute(0, 2, 1, 3)


scores = heads(q) @ heads(k).transpose(-1, -2) / math.sqrt(hs)
scores = scores + ((1.0 - mask) * torch.finfo(torch.float32).min)[:, None, None, :]
probs = torch.softmax(scores, dim=-1)
out = (probs @ heads(vv)).permute(0, 2, 1, 3).reshape(b, lmax, c)
dout = torch.randn(b, lmax, c) * mask[:, :, None]  # padded query rows carry no gradient
(out * dout).sum().backward()
real = mask.bool()
add("attention", {"b": b, "nh": nh, "c": c, "lengths": lengths},
    q=q[real], k=k[real], v=vv[real], dout=dout[real], out=out[real],
    dq=q.grad[real], dk=k.grad[real], dv=vv.grad[real])

# Pooling: sentence-transformers' Pooling module over a padded batch with its attention mask.
try:  # sentence-transformers >= 6 moved the modules
    from sentence_transformers.sentence_transformer.modules import Pooling  # noqa: E402
except ImportError:
    from sentence_transformers.models import Pooling  # noqa: E402

lengths, c = [4, 2, 5], 8
b, lmax = len(lengths), max(lengths)
mask = torch.zeros(b, lmax, dtype=torch.long)
for i, length in enumerate(lengths):
    mask[i, :length] = 1
real = mask.bool()
for mode, st_mode in (("mean", "mean"), ("cls", "cls"), ("max", "max"), ("meanSqrtLength", "mean_sqrt_len_tokens")):
    tokens = leaf(b, lmax, c)
    pooling = Pooling(c, pooling_mode=st_mode)
    out = pooling({"token_embeddings": tokens, "attention_mask": mask})["sentence_embedding"]
    dout = torch.randn(b, c)
    (out * dout).sum().backward()
    add("pooling_" + mode, {"b": b, "c": c, "lengths": lengths},
        inp=tokens[real], dout=dout, out=out, dinp=tokens.grad[real])

# L2 normalisation (sentence-transformers Normalize = F.normalize(p=2, dim=1))
b, c = 4, 10
inp = leaf(b, c)
out = F.normalize(inp, p=2, dim=1)
dout = torch.randn(b, c)
(out * dout).sum().backward()
add("l2normalize", {"b": b, "c": c}, inp=inp, dout=dout, out=out, dinp=inp.grad)

os.makedirs(OUT_DIR, exist_ok=True)
torch.cat(blob).numpy().astype("<f4").tofile(os.path.join(OUT_DIR, "kernels.bin"))
with open(os.path.join(OUT_DIR, "kernels.json"), "w") as f:
    json.dump({"format": "float32 little-endian, offsets in floats", "cases": cases}, f, indent=1, sort_keys=True)
print(f"wrote {len(cases)} cases, {offset} floats to {os.path.normpath(OUT_DIR)}")
