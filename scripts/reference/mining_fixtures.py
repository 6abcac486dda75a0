#!/usr/bin/env python3
"""Writes Tests/RetrievalTests/Fixtures/mining_reference.json: hard negatives mined by the real
sentence_transformers.util.mine_hard_negatives, for the Swift miner to reproduce.

Run from the repository root after ./scripts/setup.sh (manual pages, models/all-MiniLM-L6-v2), with
    pip install torch==2.13.0 sentence-transformers datasets
    python3 scripts/reference/mining_fixtures.py

Texts come from the Linux manual pages through scripts/make_manpages_dataset.py (run into a temporary
directory, or read from --pages DIR if already made): every page's passage (title + " " + DESCRIPTION) is cut
at word boundaries into pieces of at most 600 characters, the first three of which are corpus documents
(small pieces keep the fixture small); a page's NAME-line description is its anchor, its first piece the positive. The pairs are 300 of
those (anchor, passage) pairs; 12 anchors get a second positive (another page's passage, so anchors
with two positives and the minimum-positive margin are exercised), and 6 anchors' texts are also added
to the corpus (the anchor's own text must never be its negative). Mining runs twice with
num_negatives=3, sampling_strategy="top", output_format="n-tuple", output_scores=True: without a
margin, and with relative_margin=0.05. Both runs record the rows upstream keeps, with negatives given
as indices into the fixture's corpus, and their scores.
"""
import argparse, json, random, subprocess, sys, tempfile
from pathlib import Path

import sentence_transformers
from datasets import Dataset
from sentence_transformers import SentenceTransformer
from sentence_transformers.util import mine_hard_negatives

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "RetrievalTests" / "Fixtures" / "mining_reference.json"
MODEL = ROOT / "models" / "all-MiniLM-L6-v2"
MAX_CHARS = 600


def manpages(directory, make=True):
    if make:
        subprocess.run([sys.executable, str(ROOT / "scripts" / "make_manpages_dataset.py"), "--out", directory,
                        "--max-pages", "1200"], check=True)
    corpus = [json.loads(l) for l in open(Path(directory) / "corpus.jsonl", encoding="utf-8")]
    queries = {q["_id"]: q["text"] for q in map(json.loads, open(Path(directory) / "queries.jsonl", encoding="utf-8"))}
    qrels = []
    for split in ("train", "test"):
        lines = open(Path(directory) / "qrels" / f"{split}.tsv", encoding="utf-8").read().splitlines()[1:]
        qrels += [l.split("\t")[:2] for l in lines]
    return corpus, queries, sorted(qrels)


def pieces(text, limit=MAX_CHARS, count=3):
    """Consecutive pieces of at most `limit` characters, cut at spaces."""
    out, current = [], ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > limit:
            out.append(current)
            current = ""
        current = (current + " " + word if current else word)[:limit]
    return (out + [current] if current else out)[:count]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", help="a directory written by scripts/make_manpages_dataset.py --max-pages 1200")
    a = ap.parse_args()
    rng = random.Random(20260611)
    if a.pages:
        corpus_rows, queries, qrels = manpages(a.pages, make=False)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            corpus_rows, queries, qrels = manpages(tmp)
    passage, corpus = {}, []
    for d in corpus_rows:
        parts = pieces((d["title"] + " " + d["text"]).strip() if d["title"] else d["text"])
        if parts:
            passage[d["_id"]] = parts[0]
            corpus += parts
    corpus = list(dict.fromkeys(corpus))
    assert len(corpus) >= 1000, f"only {len(corpus)} documents"

    seen, pairs = set(), []
    rng.shuffle(qrels)
    for qid, doc in qrels:
        if qid in seen or doc not in passage or not queries[qid].strip():
            continue
        seen.add(qid)
        pairs.append((queries[qid], passage[doc]))
        if len(pairs) == 300:
            break
    for anchor, _ in pairs[:12]:
        pairs.append((anchor, rng.choice(corpus)))
    corpus += [anchor for anchor, _ in pairs[20:26]]
    index = {text: i for i, text in reversed(list(enumerate(corpus)))}

    model = SentenceTransformer(str(MODEL), device="cpu")
    dataset = Dataset.from_dict({"anchor": [a for a, _ in pairs], "positive": [p for _, p in pairs]})
    runs = []
    for relative_margin in (None, 0.05):
        mined = mine_hard_negatives(
            dataset, model, corpus=corpus, num_negatives=3, sampling_strategy="top", relative_margin=relative_margin,
            output_format="n-tuple", output_scores=True, batch_size=32, verbose=True)
        rows = [{"anchor": r["anchor"], "positive": index[r["positive"]],
                 "negatives": [index[r[f"negative_{i}"]] for i in (1, 2, 3)], "scores": r["scores"]} for r in mined]
        runs.append({"relative_margin": relative_margin, "num_negatives": 3, "rows": rows})

    fixture = {
        "generator": "scripts/reference/mining_fixtures.py",
        "sentence_transformers": sentence_transformers.__version__,
        "model": "models/all-MiniLM-L6-v2",
        "corpus": corpus,
        "pairs": [{"anchor": a, "positive": index[p]} for a, p in pairs],
        "runs": runs,
    }
    OUT.write_text(json.dumps(fixture, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(corpus)} documents, {len(pairs)} pairs, "
          + ", ".join(f"{len(r['rows'])} rows kept (relative_margin={r['relative_margin']})" for r in runs))


if __name__ == "__main__":
    main()
