#!/usr/bin/env python3
"""Adapter interoperability with Python peft, checked by hand (needs torch, peft, sentence-transformers):

1. An adapter embedtune writes (`embedtune train`, a few steps) loads with `PeftModel.from_pretrained` and gives
   the same embeddings as `embedtune embed --adapter`.
2. An adapter peft writes (`save_pretrained`, B made non-zero) loads in `embedtune embed --adapter` and gives
   peft's embeddings.
3. `embedtune merge` writes a model directory that `SentenceTransformer(path)` loads with the same embeddings.
4. An adapter trained with `--matryoshka-dims` carries its rotation in projection/: `embedtune merge` turns it into
   a Dense module, and `SentenceTransformer(merged)` gives the embeddings of `embedtune embed --adapter`.
5. A full model trained with `--matryoshka-dims` (Dense module written by `train --full`) loads in
   sentence-transformers with the embeddings of `embedtune embed --model`.

    swift build -c release && python3 scripts/reference/peft_roundtrip.py
"""
import json, os, subprocess, sys, tempfile
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "all-MiniLM-L6-v2"
BIN = ROOT / ".build" / "release" / "embedtune"
TEXTS = ["how do I create a directory", "mkdir makes directories", "The cat sat on the mat.",
         "Zürich is in Switzerland", "", "a longer sentence " * 40]


def ours(extra, model=MODEL):
    out = subprocess.run([str(BIN), "embed", "--model", str(model), *extra], input="\n".join(TEXTS) + "\n",
                         capture_output=True, text=True, check=True).stdout
    return np.array([json.loads(l)["embedding"] for l in out.splitlines()], dtype=np.float32)


def peft_embeddings(adapter_dir):
    from sentence_transformers import SentenceTransformer
    from peft import PeftModel
    st = SentenceTransformer(str(MODEL), device="cpu")
    st[0].auto_model = PeftModel.from_pretrained(st[0].auto_model, str(adapter_dir)).eval()
    return st.encode(TEXTS, convert_to_numpy=True)


def report(name, a, b):
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    ok = cos.min() >= 0.99999 and np.abs(a - b).max() <= 1e-4
    print(f"{name}: min cosine {cos.min():.7f}, max abs diff {np.abs(a - b).max():.2e} -> {'OK' if ok else 'MISMATCH'}")
    return ok


def main():
    tmp = Path(tempfile.mkdtemp())
    pairs = tmp / "pairs.jsonl"
    with open(pairs, "w") as f:
        for i in range(64):
            f.write(json.dumps({"anchor": f"question {i} about topic {i % 7}", "positive": f"answer {i} on topic {i % 7}"}) + "\n")
    ok = True
    # 1. ours -> peft
    subprocess.run([str(BIN), "train", "--model", str(MODEL), "--data", str(pairs), "--output", str(tmp / "ours"),
                    "--max-steps", "4", "--lr", "1e-2", "--batch-size", "16"], check=True, capture_output=True)
    ok &= report("embedtune adapter in peft", ours(["--adapter", str(tmp / "ours")]), peft_embeddings(tmp / "ours"))
    # 2. peft -> ours
    from transformers import AutoModel
    from peft import LoraConfig, get_peft_model
    torch.manual_seed(3)
    pm = get_peft_model(AutoModel.from_pretrained(str(MODEL)),
                        LoraConfig(r=4, lora_alpha=8, target_modules=["query", "value", "dense"]))
    with torch.no_grad():
        for n, p in pm.named_parameters():
            if "lora_B" in n:
                p.normal_(0, 0.02)
    pm.save_pretrained(str(tmp / "peft"))
    ok &= report("peft adapter in embedtune", ours(["--adapter", str(tmp / "peft")]), peft_embeddings(tmp / "peft"))
    # 3. merged model in sentence-transformers
    subprocess.run([str(BIN), "merge", "--model", str(MODEL), "--adapter", str(tmp / "peft"), "--output", str(tmp / "merged")],
                   check=True, capture_output=True)
    from sentence_transformers import SentenceTransformer
    merged = SentenceTransformer(str(tmp / "merged"), device="cpu").encode(TEXTS, convert_to_numpy=True)
    ok &= report("embedtune merge in sentence-transformers", merged, peft_embeddings(tmp / "peft"))
    # 4. a Matryoshka adapter's rotation, merged, in sentence-transformers
    matryoshka = ["--matryoshka-dims", "384,128,64", "--max-steps", "4", "--lr", "1e-2", "--batch-size", "16"]
    subprocess.run([str(BIN), "train", "--model", str(MODEL), "--data", str(pairs), "--output", str(tmp / "rotated"),
                    *matryoshka], check=True, capture_output=True)
    assert (tmp / "rotated" / "projection" / "config.json").exists()
    subprocess.run([str(BIN), "merge", "--model", str(MODEL), "--adapter", str(tmp / "rotated"), "--output",
                    str(tmp / "rotated-merged")], check=True, capture_output=True)
    st_rotated = SentenceTransformer(str(tmp / "rotated-merged"), device="cpu")
    assert any(type(m).__name__ == "Dense" for m in st_rotated), "the merged model has no Dense module"
    ok &= report("rotated adapter, merged, in sentence-transformers",
                 st_rotated.encode(TEXTS, convert_to_numpy=True), ours(["--adapter", str(tmp / "rotated")]))
    # 5. a full Matryoshka model in sentence-transformers
    subprocess.run([str(BIN), "train", "--model", str(MODEL), "--data", str(pairs), "--output", str(tmp / "full"),
                    "--full", *matryoshka], check=True, capture_output=True)
    st_full = SentenceTransformer(str(tmp / "full"), device="cpu")
    ok &= report("full Matryoshka model in sentence-transformers", st_full.encode(TEXTS, convert_to_numpy=True),
                 ours([], model=tmp / "full"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
