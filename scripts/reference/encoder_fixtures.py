#!/usr/bin/env python3
"""Writes the encoder's reference fixtures into Tests/EncoderTests/Fixtures/.

Run from the repository root after ./scripts/setup.sh, with a python that has the real packages:
    pip install torch==2.13.0 sentence-transformers transformers safetensors
    python3 scripts/reference/encoder_fixtures.py

1. minilm_texts.json, minilm_ids.json, minilm_embeddings.bin: >= 300 varied texts (short, long beyond
   256 tokens, non-ASCII) with the token ids and the sentence-transformers embeddings of
   models/all-MiniLM-L6-v2 (float32 little-endian, [n, 384]).
2. tiny_bert/: a random BERT (2 layers, hidden 32, 4 heads) saved as a sentence-transformers model directory,
   with tiny_bert_io.json: input sequences, every layer's hidden states (real tokens only) and the
   pooled, normalised sentence embeddings.
"""
import json, os, random, subprocess, glob, gzip
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "EncoderTests" / "Fixtures"
MODEL = ROOT / "models" / "all-MiniLM-L6-v2"
rng = random.Random(20261123)


def manpage_sentences(limit):
    """Sentences from the Linux manual pages (Debian `manpages`), rendered as plain text."""
    pages = sorted(glob.glob("/usr/share/man/man2/*.2.gz") + glob.glob("/usr/share/man/man7/*.7.gz"))
    rng.shuffle(pages)
    out = []
    for page in pages[:60]:
        try:
            text = subprocess.run(["sh", "-c", f"man -l '{page}' 2>/dev/null | col -b"], capture_output=True,
                                  text=True, timeout=20).stdout
        except Exception:
            continue
        paragraphs = [" ".join(p.split()) for p in text.split("\n\n")]
        paragraphs = [p for p in paragraphs if 40 < len(p) < 3000]
        rng.shuffle(paragraphs)
        out.extend(paragraphs[:6])
        if len(out) >= limit:
            break
    return out[:limit]


def generated_texts(vocab, n):
    words = [w for w in vocab if w.isalpha() and not w.startswith("##") and len(w) > 2]
    out = []
    for _ in range(n):
        k = rng.choice([1, 2, 3, 5, 8, 13, 21, 40])
        s = " ".join(rng.choice(words) for _ in range(k))
        if rng.random() < 0.5:
            s = s.capitalize() + rng.choice([".", "?", "!", "", " ..."])
        out.append(s)
    return out


UNICODE = [
    "", " ", "   \t  ", "a", "I", "Hello, world!", "naïve café résumé", "Zürich straße", "ÅNGSTRÖM",
    "東京は日本の首都です。", "北京欢迎你", "한국어 문장입니다", "こんにちは世界", "Привет, как дела?",
    "Γειά σου Κόσμε", "שלום עולם", "مرحبا بالعالم", "สวัสดีครับ", "नमस्ते दुनिया", "👍🏽 great job 👩‍👩‍👧",
    "zero\u200bwidth\u200djoiner", "soft\u00adhyphen", "ＦＵＬＬ ｗｉｄｔｈ １２３", "ﬁnancial ﬂow", "e\u0301tude",
    "tab\tseparated\tvalues", "line\u2028separator", "[CLS] literal [SEP] tokens [MASK]", "C++ & C# vs. F#",
    "email me at someone@example.org or visit https://example.com/a?b=c", "3.14159 2,718 1e-9 -42",
    "x" * 120, "pneumonoultramicroscopicsilicovolcanoconiosis", "ALL CAPS SHOUTING TEXT", "mIxEd CaSe",
    "control\x07chars\x1b here", "emoji only 😀😃😄😁", "¿Qué tal? ¡Muy bien!", "l'été dernier à Paris",
]


def long_texts(sentences, n):
    out = []
    for _ in range(n):
        k = rng.randint(15, 40)
        out.append(" ".join(rng.choice(sentences) for _ in range(k)))
    return out


def minilm_fixtures():
    from sentence_transformers import SentenceTransformer
    st = SentenceTransformer(str(MODEL), device="cpu")
    vocab = [l.rstrip("\n") for l in open(MODEL / "vocab.txt", encoding="utf-8")]
    man = manpage_sentences(140)
    texts = UNICODE + man + generated_texts(vocab, 120) + long_texts(man or generated_texts(vocab, 50), 30)
    tok = st.tokenizer
    ids = [tok(t, truncation=True, max_length=st.max_seq_length)["input_ids"] for t in texts]
    emb = st.encode(texts, batch_size=16, convert_to_numpy=True, normalize_embeddings=False)
    assert emb.dtype == np.float32 and emb.shape == (len(texts), 384)
    assert sum(len(i) >= 256 for i in ids) >= 10, "need texts truncated at 256 tokens"
    json.dump(texts, open(OUT / "minilm_texts.json", "w", encoding="utf-8"), ensure_ascii=False, indent=0)
    json.dump(ids, open(OUT / "minilm_ids.json", "w"))
    emb.astype("<f4").tofile(OUT / "minilm_embeddings.bin")
    print(f"minilm: {len(texts)} texts, max_seq_length {st.max_seq_length}")


def tiny_fixtures():
    from transformers import BertConfig, BertModel
    from sentence_transformers import SentenceTransformer, models
    torch.manual_seed(7)
    d = OUT / "tiny_bert"
    d.mkdir(parents=True, exist_ok=True)
    vocab = [l.rstrip("\n") for l in open(MODEL / "vocab.txt", encoding="utf-8")]
    small = vocab[:1] + vocab[100:104] + [w for w in vocab[1996:2991]]  # [PAD] [UNK] [CLS] [SEP] [MASK] + words
    (d / "vocab.txt").write_text("\n".join(small) + "\n", encoding="utf-8")
    cfg = BertConfig(vocab_size=len(small), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                     intermediate_size=64, max_position_embeddings=64, type_vocab_size=2, hidden_act="gelu",
                     layer_norm_eps=1e-12)
    bert = BertModel(cfg, add_pooling_layer=False).eval()
    with torch.no_grad():  # non-trivial LayerNorm parameters
        for name, p in bert.named_parameters():
            if "LayerNorm" in name:
                p.add_(0.1 * torch.randn_like(p))
    bert.save_pretrained(d, safe_serialization=True)
    (d / "tokenizer_config.json").write_text(json.dumps({"do_lower_case": True, "tokenizer_class": "BertTokenizer",
                                                        "model_max_length": 64}))
    (d / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 48, "do_lower_case": False}))
    (d / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}]))
    (d / "1_Pooling").mkdir(exist_ok=True)
    (d / "1_Pooling" / "config.json").write_text(json.dumps(
        {"word_embedding_dimension": 32, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
         "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False}))
    lengths = [5, 9, 3, 12, 1 + 1]
    seqs = [[2] + [rng.randrange(5, len(small)) for _ in range(n - 2)] + [3] for n in lengths]
    types = [[0] * n for n in lengths]
    types[1] = [0] * 4 + [1] * 5
    T = max(lengths)
    ids = torch.zeros(len(seqs), T, dtype=torch.long)
    tt = torch.zeros_like(ids); am = torch.zeros_like(ids)
    for b, (s, t) in enumerate(zip(seqs, types)):
        ids[b, :len(s)] = torch.tensor(s); tt[b, :len(s)] = torch.tensor(t); am[b, :len(s)] = 1
    with torch.no_grad():
        out = bert(input_ids=ids, attention_mask=am, token_type_ids=tt, output_hidden_states=True)
    hidden = [[h[b, :lengths[b]].reshape(-1).tolist() for b in range(len(seqs))] for h in out.hidden_states]
    st = SentenceTransformer(str(d), device="cpu")
    pooled = {}
    for mode in ["mean", "cls", "max", "mean_sqrt_len_tokens"]:
        h = out.last_hidden_state
        m = am.unsqueeze(-1).float()
        if mode == "mean":
            e = (h * m).sum(1) / m.sum(1)
        elif mode == "cls":
            e = h[:, 0]
        elif mode == "max":
            e = h.masked_fill(m == 0, -1e9).max(1).values
        else:
            e = (h * m).sum(1) / m.sum(1).sqrt()
        pooled[mode] = e.reshape(-1).tolist()
    # The whole model directory through sentence-transformers, ids fed as the tokenizer would make them.
    features = {"input_ids": ids, "attention_mask": am, "token_type_ids": tt}
    with torch.no_grad():
        st_emb = st(features)["sentence_embedding"]
    json.dump({"sequences": seqs, "typeIds": types, "hiddenStates": hidden, "pooled": pooled,
               "sentenceEmbeddings": st_emb.reshape(-1).tolist()}, open(OUT / "tiny_bert_io.json", "w"))
    print("tiny: ok")


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    tiny_fixtures()
    minilm_fixtures()
