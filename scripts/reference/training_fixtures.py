#!/usr/bin/env python3
"""Writes the training reference fixtures into Tests/TrainingTests/Fixtures/training_reference.json.

Run from the repository root with a python that has the real packages:
    pip install torch==2.13.0 sentence-transformers transformers
    python3 scripts/reference/training_fixtures.py

1. loss: MultipleNegativesRankingLoss / MultipleNegativesSymmetricRankingLoss from sentence-transformers
   on random raw embeddings (B=6, D=16): the loss and torch autograd's gradients of every input column;
   cases plain, one hard-negative column, symmetric (with and without negatives), another scale, and
   duplicate texts whose false negatives are masked out (the mask is built here explicitly, the loss
   written out with masked_fill + cross_entropy).
2. optimizers: torch.optim.AdamW / Adam / SGD (momentum, dampening, Nesterov) for 5 steps on random
   parameters and gradients split into three tensors, the middle one in a weight_decay=0 group; a
   different learning rate each step; the parameters after every step.
3. schedule: transformers' get_linear_schedule_with_warmup learning rates, warmup from
   TrainingArguments.get_warmup_steps.
4. clipping: torch.nn.utils.clip_grad_norm_ total norms and clipped gradients.
"""
import json, tempfile
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "TrainingTests" / "Fixtures" / "training_reference.json"
torch.manual_seed(20261124)
B, D = 6, 16


def flat(t):
    return [float(x) for x in t.detach().reshape(-1).tolist()]


def st_loss(columns, scale, symmetric):
    """sentence-transformers' own loss on precomputed embeddings (the model is not used there)."""
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    # symmetric: what MultipleNegativesSymmetricRankingLoss is in sentence-transformers >= 5
    options = dict(directions=("query_to_doc", "doc_to_query"), partition_mode="per_direction") if symmetric else {}
    loss = MultipleNegativesRankingLoss(model=torch.nn.Module(), scale=scale, **options)
    return loss.compute_loss_from_embeddings(columns, labels=None)


def masked_loss(columns, scale, symmetric, keys):
    """The same loss written out, with false negatives set to -inf (InfoNCEKeys' rule)."""
    anchors, candidates = columns[0], torch.cat(columns[1:])
    a_keys, p_keys, n_keys = keys["anchors"], keys["positives"], keys["negatives"]
    scores = scale * (F.normalize(anchors, p=2, dim=1, eps=1e-12) @ F.normalize(candidates, p=2, dim=1, eps=1e-12).T)
    mask = torch.zeros(scores.shape, dtype=torch.bool)
    for i in range(B):
        for c in range(scores.shape[1]):
            col, j = divmod(c, B)
            if col == 0:
                mask[i, c] = j != i and (p_keys[j] == p_keys[i] or a_keys[j] == a_keys[i])
            else:
                mask[i, c] = n_keys[col - 1][j] == p_keys[i]
    target = torch.arange(B)
    forward = F.cross_entropy(scores.masked_fill(mask, float("-inf")), target)
    if not symmetric:
        return forward
    back_mask = mask[:, :B].T.clone()  # positive i vs anchor j: the same pair relation
    backward = F.cross_entropy(scores[:, :B].T.masked_fill(back_mask, float("-inf")), target)
    return (forward + backward) / 2


def loss_case(name, negatives, scale=20.0, symmetric=False, keys=None):
    columns = [torch.randn(B, D, dtype=torch.float32) * (0.5 + torch.rand(B, 1)) for _ in range(2 + negatives)]
    columns = [c.requires_grad_() for c in columns]
    if keys is None:
        loss = st_loss(columns, scale, symmetric)
        check = masked_loss(columns, scale, symmetric,
                            {"anchors": list(range(B)), "positives": list(range(100, 100 + B)),
                             "negatives": [list(range(200 + 10 * k, 200 + 10 * k + B)) for k in range(negatives)]})
        assert torch.allclose(loss, check, atol=1e-6), (name, loss, check)
    else:
        loss = masked_loss(columns, scale, symmetric, keys)
    loss.backward()
    return {"name": name, "scale": scale, "symmetric": symmetric, "keys": keys,
            "anchors": flat(columns[0]), "candidates": [flat(c) for c in columns[1:]],
            "loss": loss.item(), "dAnchors": flat(columns[0].grad), "dCandidates": [flat(c.grad) for c in columns[1:]]}


duplicate_keys = {"anchors": [1, 2, 1, 3, 4, 5], "positives": [11, 12, 13, 12, 14, 11],
                  "negatives": [[21, 11, 22, 23, 12, 24]]}
losses = [
    loss_case("plain", 0),
    loss_case("hard_negative", 1),
    loss_case("two_hard_negatives_scale_10", 2, scale=10.0),
    loss_case("symmetric", 0, symmetric=True),
    loss_case("symmetric_hard_negative", 1, symmetric=True),
    loss_case("masked_duplicates", 0, keys={**duplicate_keys, "negatives": []}),
    loss_case("masked_duplicates_hard_negative", 1, keys=duplicate_keys),
    loss_case("masked_duplicates_symmetric", 1, symmetric=True, keys=duplicate_keys),
]

# ---- optimizers
SIZES = [15, 5, 20]  # the middle tensor is in a weight_decay=0 group
LRS = [0.1, 0.05, 0.08, 0.02, 0.1]


def optimizer_case(name, make, weight_decay):
    gen = torch.Generator().manual_seed(len(name))
    params = [torch.randn(n, generator=gen).requires_grad_() for n in SIZES]
    initial = torch.cat([p.detach().clone() for p in params])
    opt = make([{"params": [params[0], params[2]], "weight_decay": weight_decay},
                {"params": [params[1]], "weight_decay": 0.0}])
    grads, after = [], []
    for lr in LRS:
        g = [torch.randn(n, generator=gen) for n in SIZES]
        for p, gi in zip(params, g):
            p.grad = gi.clone()
        for group in opt.param_groups:
            group["lr"] = lr
        opt.step()
        grads.append(flat(torch.cat(g)))
        after.append(flat(torch.cat([p.detach() for p in params])))
    return {"name": name, "weightDecay": weight_decay, "initial": flat(initial), "learningRates": LRS,
            "gradients": grads, "parameters": after}


optimizers = [
    dict(optimizer_case("adamw", lambda g: torch.optim.AdamW(g, lr=0.1, foreach=False), 0.1), kind="adamw"),
    dict(optimizer_case("adam", lambda g: torch.optim.Adam(g, lr=0.1, foreach=False), 0.1), kind="adam"),
    dict(optimizer_case("adamw_betas", lambda g: torch.optim.AdamW(g, lr=0.1, betas=(0.8, 0.99), eps=1e-6, foreach=False), 0.05),
         kind="adamw", beta1=0.8, beta2=0.99, epsilon=1e-6),
    dict(optimizer_case("sgd", lambda g: torch.optim.SGD(g, lr=0.1, foreach=False), 0.1), kind="sgd"),
    dict(optimizer_case("sgd_momentum", lambda g: torch.optim.SGD(g, lr=0.1, momentum=0.9, foreach=False), 0.1),
         kind="sgd", momentum=0.9),
    dict(optimizer_case("sgd_dampening", lambda g: torch.optim.SGD(g, lr=0.1, momentum=0.9, dampening=0.3, foreach=False), 0.1),
         kind="sgd", momentum=0.9, dampening=0.3),
    dict(optimizer_case("sgd_nesterov", lambda g: torch.optim.SGD(g, lr=0.1, momentum=0.9, nesterov=True, foreach=False), 0.1),
         kind="sgd", momentum=0.9, nesterov=True),
]

# ---- learning-rate schedule
from transformers import TrainingArguments, get_linear_schedule_with_warmup

schedules = []
with tempfile.TemporaryDirectory() as tmp:
    for total, ratio in [(30, 0.1), (100, 0.1), (7, 0.0), (10, 0.25), (57, 0.06), (100, 0.07)]:
        warmup = TrainingArguments(output_dir=tmp, warmup_steps=ratio).get_warmup_steps(total)
        opt = torch.optim.AdamW([torch.zeros(1, requires_grad=True)], lr=2e-5)
        sched = get_linear_schedule_with_warmup(opt, warmup, total)
        rates = []
        for _ in range(total):
            rates.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        schedules.append({"baseLearningRate": 2e-5, "totalSteps": total, "warmupRatio": ratio,
                          "warmupSteps": warmup, "learningRates": rates})

# ---- gradient clipping
clips = []
for name, factor, max_norm in [("clipped", 3.0, 1.0), ("unclipped", 0.05, 1.0), ("max_norm_2", 1.0, 2.0)]:
    gen = torch.Generator().manual_seed(len(name) + 7)
    params = [torch.zeros(n, requires_grad=True) for n in (5, 7, 4)]
    for p in params:
        p.grad = torch.randn(p.shape, generator=gen) * factor
    before = torch.cat([p.grad.clone() for p in params])
    norms = [float(p.grad.norm()) for p in params]
    total = torch.nn.utils.clip_grad_norm_(params, max_norm, foreach=False)
    clips.append({"name": name, "maxNorm": max_norm, "sizes": [5, 7, 4], "gradients": flat(before),
                  "tensorNorms": norms, "totalNorm": float(total),
                  "clipped": flat(torch.cat([p.grad for p in params]))})

OUT.parent.mkdir(parents=True, exist_ok=True)
OUT.write_text(json.dumps({"B": B, "D": D, "losses": losses, "optimizers": optimizers,
                           "schedules": schedules, "clipping": clips}))
print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
