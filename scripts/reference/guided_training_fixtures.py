#!/usr/bin/env python3
"""Writes fixtures for the guided and Matryoshka losses into Tests/TrainingTests/Fixtures/, with the real
sentence-transformers losses (GISTEmbedLoss, MatryoshkaLoss, MultipleNegativesRankingLoss) + peft.

Run from the repository root after ./scripts/setup.sh:
    pip install torch==2.13.0 sentence-transformers peft safetensors
    python3 scripts/reference/guided_training_fixtures.py

For the tiny random BERT (Tests/EncoderTests/Fixtures/tiny_bert) and all-MiniLM-L6-v2, on 8 (anchor,
positive) pairs with 2 hard negatives each, dropout 0, a LoRA adapter (r 4, alpha 8, every lora_B drawn
non-zero so every lora_A has a gradient) saved as <name>_guided_adapter/:
  <name>_guided.json                 token ids, and per case the loss and the loss before each of 10 AdamW
                                     steps (lr 1e-3, weight decay 0.01, clipping at max norm 1.0) from the
                                     saved adapter
  <name>_guided_<case>_grads.safetensors   d loss / d every lora_A and lora_B at the saved adapter
Cases (the guide is a second copy of the base model, without the adapter):
  gist            GISTEmbedLoss(temperature 0.05, absolute margin 0), columns anchor, positive, negative 1
                  (upstream takes at most one negative column)
  gist_relative   GISTEmbedLoss(temperature 0.01, relative margin 0.1), anchor and positive only
  matryoshka      MatryoshkaLoss(MultipleNegativesRankingLoss(scale 20), dims D, D/2, D/4, weights 1, 0.5, 0.25),
                  anchor, positive, negatives 1 and 2
  matryoshka_gist MatryoshkaLoss(GISTEmbedLoss(temperature 0.05), dims D, D/4), anchor, positive, negative 1
"""
import json, random, shutil
from pathlib import Path

import torch
from safetensors.torch import save_file

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "TrainingTests" / "Fixtures"
MODELS = {"tiny": ROOT / "Tests" / "EncoderTests" / "Fixtures" / "tiny_bert", "minilm": ROOT / "models" / "all-MiniLM-L6-v2"}


def make_rows(words, rng):
    rows = []
    for _ in range(8):
        topic = [rng.choice(words) for _ in range(rng.randint(2, 4))]
        anchor = "what is " + " ".join(topic) + "?"
        positive = " ".join(topic + [rng.choice(words) for _ in range(rng.randint(3, 12))]) + "."
        negatives = [" ".join(topic[:1] + [rng.choice(words) for _ in range(rng.randint(3, 10))]) + "." for _ in range(2)]
        rows.append((anchor, positive, negatives))
    return rows


def no_dropout(module):
    for m in module.modules():
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.0


def load(path, max_len):
    from sentence_transformers import SentenceTransformer
    st = SentenceTransformer(str(path), device="cpu")
    st.max_seq_length = max_len
    no_dropout(st)
    return st


def run(name):
    from peft import LoraConfig, get_peft_model
    from sentence_transformers import losses
    path = MODELS[name]
    max_len = min(json.load(open(path / "sentence_bert_config.json"))["max_seq_length"], 128)
    torch.manual_seed(23)
    rng = random.Random(17)
    model = load(path, max_len)
    guide = load(path, max_len)
    guide.eval()
    tok = model.tokenizer
    words = sorted(w for w in tok.get_vocab() if w.isalpha() and len(w) > 2)
    rows = make_rows(words, rng)
    cfg = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=["query", "key", "value", "dense"])
    model[0].auto_model.pooler = None  # unused by sentence embeddings; keeps LoRA off pooler.dense, as add_pooling_layer=False
    peft_model = get_peft_model(model[0].auto_model, cfg)
    model[0].auto_model = peft_model
    with torch.no_grad():
        for n_, p_ in model.named_parameters():
            if "lora_B" in n_:
                p_.normal_(0, 0.05)
    adapter_dir = OUT / f"{name}_guided_adapter"
    shutil.rmtree(adapter_dir, ignore_errors=True)
    peft_model.save_pretrained(str(adapter_dir))
    (adapter_dir / "README.md").unlink(missing_ok=True)
    config_path = adapter_dir / "adapter_config.json"
    config = json.load(open(config_path))
    config["base_model_name_or_path"] = path.name  # no path of the machine that wrote it
    json.dump(config, open(config_path, "w"), indent=2, sort_keys=True)
    params = {n_: p_ for n_, p_ in model.named_parameters() if p_.requires_grad}
    assert params and all("lora_" in n_ for n_ in params), list(params)[:4]
    start = {n_: p_.detach().clone() for n_, p_ in params.items()}
    model.train()

    columns = [[r[0] for r in rows], [r[1] for r in rows], [r[2][0] for r in rows], [r[2][1] for r in rows]]
    features = [model.tokenize(c) for c in columns]
    ids = lambda enc: [[int(t) for t, m in zip(row, mask) if m] for row, mask in zip(enc["input_ids"], enc["attention_mask"])]
    dim = model.get_sentence_embedding_dimension()

    cases = {
        "gist": (lambda: losses.GISTEmbedLoss(model, guide, temperature=0.05), 3,
                 {"scale": 20.0, "margin": 0.0, "strategy": "absolute"}),
        "gist_relative": (lambda: losses.GISTEmbedLoss(model, guide, temperature=0.01, margin_strategy="relative", margin=0.1), 2,
                          {"scale": 100.0, "margin": 0.1, "strategy": "relative"}),
        "matryoshka": (lambda: losses.MatryoshkaLoss(model, losses.MultipleNegativesRankingLoss(model, scale=20.0),
                                                     [dim, dim // 2, dim // 4], [1, 0.5, 0.25]), 4,
                       {"scale": 20.0, "dims": [dim, dim // 2, dim // 4], "weights": [1, 0.5, 0.25]}),
        "matryoshka_gist": (lambda: losses.MatryoshkaLoss(model, losses.GISTEmbedLoss(model, guide, temperature=0.05),
                                                          [dim, dim // 4]), 3,
                            {"scale": 20.0, "margin": 0.0, "strategy": "absolute", "dims": [dim, dim // 4], "weights": [1, 1]}),
    }
    out = {"maxLength": max_len, "dimension": dim, "ids": [ids(f) for f in features], "cases": {}}
    for case, (make, count, options) in cases.items():
        with torch.no_grad():
            for n_, p_ in params.items():
                p_.copy_(start[n_])
        loss_fn = make()
        feats = lambda: [dict(f) for f in features[:count]]
        model.zero_grad()
        loss = loss_fn(feats(), None)
        loss.backward()
        # the names of peft's adapter file: base_model.model.encoder....lora_A.weight
        grads = {"base_model.model." + n_[n_.index("encoder."):].replace(".default", ""): p_.grad.detach().clone().contiguous()
                 for n_, p_ in params.items()}
        save_file(grads, str(OUT / f"{name}_guided_{case}_grads.safetensors"))
        opt = torch.optim.AdamW(list(params.values()), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
        curve = []
        for _ in range(10):
            opt.zero_grad()
            l = loss_fn(feats(), None)
            l.backward()
            torch.nn.utils.clip_grad_norm_(list(params.values()), 1.0)
            opt.step()
            curve.append(float(l))
        out["cases"][case] = {"columns": count, "loss": float(loss), "curve": curve, **options}
        print(name, case, float(loss), curve[-1])
    json.dump(out, open(OUT / f"{name}_guided.json", "w"), indent=1)


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    run("tiny")
    run("minilm")
