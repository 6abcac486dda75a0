#!/usr/bin/env python3
"""Writes whole-model training fixtures into Tests/TrainingTests/Fixtures/ with torch + peft + sentence-transformers.

Run from the repository root after ./scripts/setup.sh:
    pip install torch==2.13.0 sentence-transformers peft safetensors
    python3 scripts/reference/lora_training_fixtures.py

For the tiny random BERT (Tests/EncoderTests/Fixtures/tiny_bert) and for all-MiniLM-L6-v2, on a batch of 8
(anchor, positive) pairs with dropout 0:
  <name>_adapter/            the starting LoRA adapter (peft save_pretrained; B set non-zero so every A has a gradient)
  <name>_lora_grads.safetensors   d loss / d every lora_A and lora_B after one forward/backward
  <name>.json                the pairs, their token ids, the MultipleNegativesRankingLoss value (scale 20), and the loss
                             before each of 10 AdamW steps (lr 1e-3, weight decay 0.01, betas 0.9/0.999, eps 1e-8,
                             gradient clipping at max norm 1.0), i.e. a loss curve
For the tiny model also full fine-tuning: tiny_full_grads.safetensors (every weight's gradient) and its 10-step curve.
"""
import json, random, shutil
from pathlib import Path

import torch
from safetensors.torch import save_file

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "TrainingTests" / "Fixtures"
MODELS = {"tiny": ROOT / "Tests" / "EncoderTests" / "Fixtures" / "tiny_bert", "minilm": ROOT / "models" / "all-MiniLM-L6-v2"}
rng = random.Random(5)


def make_pairs(vocab_words):
    pairs = []
    for _ in range(8):
        topic = [rng.choice(vocab_words) for _ in range(rng.randint(2, 4))]
        anchor = "what is " + " ".join(topic) + "?"
        positive = " ".join(topic + [rng.choice(vocab_words) for _ in range(rng.randint(3, 12))]) + "."
        pairs.append((anchor, positive))
    return pairs


def mnrl(a, p, scale=20.0):
    a = torch.nn.functional.normalize(a, p=2, dim=1)
    p = torch.nn.functional.normalize(p, p=2, dim=1)
    scores = a @ p.T * scale
    return torch.nn.functional.cross_entropy(scores, torch.arange(len(a)))


def pooled(bert, enc):
    h = bert(**enc).last_hidden_state
    m = enc["attention_mask"].unsqueeze(-1).to(h.dtype)
    return (h * m).sum(1) / m.sum(1)


def run(name, lora):
    from transformers import AutoModel, AutoTokenizer
    from peft import LoraConfig, get_peft_model
    torch.manual_seed(11)
    path = MODELS[name]
    tok = AutoTokenizer.from_pretrained(str(path))
    max_len = json.load(open(path / "sentence_bert_config.json"))["max_seq_length"]
    max_len = min(max_len, 128)
    vocab = [w for w in tok.get_vocab() if w.isalpha() and len(w) > 2]
    vocab.sort()
    pairs = make_pairs(vocab)
    bert = AutoModel.from_pretrained(str(path), add_pooling_layer=False)
    bert.config.hidden_dropout_prob = 0.0
    bert.config.attention_probs_dropout_prob = 0.0
    for m in bert.modules():
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.0
    bert.train()
    if lora:
        cfg = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=["query", "key", "value", "dense"])
        model = get_peft_model(bert, cfg)
        with torch.no_grad():
            for n_, p_ in model.named_parameters():
                if "lora_B" in n_:
                    p_.normal_(0, 0.05)
        tag = f"{name}_lora"
        adapter_dir = OUT / f"{name}_adapter"
        shutil.rmtree(adapter_dir, ignore_errors=True)
        model.save_pretrained(str(adapter_dir))
        (adapter_dir / "README.md").unlink(missing_ok=True)
        config_path = adapter_dir / "adapter_config.json"
        config = json.load(open(config_path))
        config["base_model_name_or_path"] = path.name  # no path of the machine that wrote it
        json.dump(config, open(config_path, "w"), indent=2, sort_keys=True)
        params = {n_: p_ for n_, p_ in model.named_parameters() if p_.requires_grad}
    else:
        model = bert
        tag = f"{name}_full"
        params = dict(model.named_parameters())
    anchors = tok([a for a, _ in pairs], padding=True, truncation=True, max_length=max_len, return_tensors="pt")
    positives = tok([p for _, p in pairs], padding=True, truncation=True, max_length=max_len, return_tensors="pt")
    loss = mnrl(pooled(model, anchors), pooled(model, positives))
    loss.backward()
    grads = {}
    for n_, p_ in params.items():
        key = n_.replace(".default", "")
        grads[key] = p_.grad.detach().clone().contiguous()
    save_file(grads, str(OUT / f"{tag}_grads.safetensors"))
    # 10 AdamW steps with clipping, from the same start.
    model.zero_grad()
    opt = torch.optim.AdamW(list(params.values()), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    curve, norms = [], []
    for _ in range(10):
        opt.zero_grad()
        l = mnrl(pooled(model, anchors), pooled(model, positives))
        l.backward()
        norms.append(float(torch.nn.utils.clip_grad_norm_(list(params.values()), 1.0)))
        opt.step()
        curve.append(float(l))
    ids = lambda enc: [[int(t) for t, m in zip(row, mask) if m] for row, mask in zip(enc["input_ids"], enc["attention_mask"])]
    json.dump({"pairs": pairs, "anchorIDs": ids(anchors), "positiveIDs": ids(positives), "loss": float(loss),
               "curve": curve, "gradNorms": norms, "maxLength": max_len},
              open(OUT / f"{tag}.json", "w"), indent=1)
    print(tag, float(loss), curve[-1])


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    run("tiny", lora=True)
    run("tiny", lora=False)
    run("minilm", lora=True)
