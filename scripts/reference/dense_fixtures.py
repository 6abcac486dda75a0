#!/usr/bin/env python3
"""Writes the Dense-module reference fixtures into Tests/EncoderTests/Fixtures/.

Run from the repository root, after scripts/reference/encoder_fixtures.py wrote tiny_bert/, with a python that
has the real packages:
    pip install torch==2.13.0 sentence-transformers transformers safetensors
    python3 scripts/reference/dense_fixtures.py

tiny_bert_dense/: the tiny BERT of tiny_bert/ as a sentence-transformers pipeline Transformer -> Pooling (mean)
-> Dense(32 -> 16, tanh, bias) -> Dense(16 -> 24, identity, no bias) -> Normalize, saved by
SentenceTransformer.save (so the Dense directories are exactly what sentence-transformers writes), and
tiny_bert_dense_io.json: the sequences of tiny_bert_io.json and their sentence embeddings through that pipeline.
"""
import json
import shutil
from pathlib import Path

import torch
from sentence_transformers import SentenceTransformer, models

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "EncoderTests" / "Fixtures"


def main():
    torch.manual_seed(11)
    source = OUT / "tiny_bert"
    transformer = models.Transformer(str(source), max_seq_length=48)
    pooling = models.Pooling(32, pooling_mode="mean")
    first = models.Dense(32, 16, bias=True, activation_function=torch.nn.Tanh())
    second = models.Dense(16, 24, bias=False, activation_function=torch.nn.Identity())
    with torch.no_grad():
        first.linear.weight.mul_(3.0)  # tanh well away from its linear part
        first.linear.bias.normal_(0, 0.5)
    model = SentenceTransformer(modules=[transformer, pooling, first, second, models.Normalize()], device="cpu").eval()
    target = OUT / "tiny_bert_dense"
    shutil.rmtree(target, ignore_errors=True)
    model.save(str(target))
    for extra in ["README.md"]:
        (target / extra).unlink(missing_ok=True)
    io = json.load(open(OUT / "tiny_bert_io.json"))
    sequences, type_ids = io["sequences"], io["typeIds"]
    t = max(len(s) for s in sequences)
    ids = torch.zeros(len(sequences), t, dtype=torch.long)
    tt = torch.zeros_like(ids)
    am = torch.zeros_like(ids)
    for b, (s, ty) in enumerate(zip(sequences, type_ids)):
        ids[b, :len(s)] = torch.tensor(s)
        tt[b, :len(s)] = torch.tensor(ty)
        am[b, :len(s)] = 1
    loaded = SentenceTransformer(str(target), device="cpu").eval()
    with torch.no_grad():
        embeddings = loaded({"input_ids": ids, "attention_mask": am, "token_type_ids": tt})["sentence_embedding"]
    assert embeddings.shape == (len(sequences), 24)
    json.dump({"sequences": sequences, "typeIds": type_ids, "dimension": 24,
               "sentenceEmbeddings": embeddings.reshape(-1).tolist()},
              open(OUT / "tiny_bert_dense_io.json", "w"))
    print("dense: ok", sorted(p.name for p in target.iterdir()))


if __name__ == "__main__":
    main()
