#!/usr/bin/env python3
# By-hand check (not a test: a fresh clone has no ../shared): tokenize every SciFact query and document and every
# STS Benchmark sentence from ../shared/data with `embedtune tokenize` and with Hugging Face `tokenizers`, and
# report every difference.
#
# Run from anywhere: ${PYTHON:-python3} scripts/check_tokenizer.py [--model DIR] [--max-length N] [--bin PATH]
#   needs `pip install tokenizers` and a release build (`swift build -c release`); exits 1 if anything differs.
import argparse
import csv
import json
import os
import subprocess
import sys

from tokenizers import Tokenizer

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
DATA = os.path.normpath(os.path.join(ROOT, "..", "shared", "data"))


def texts():
    out = []
    with open(os.path.join(DATA, "scifact", "queries.jsonl"), encoding="utf-8") as f:
        out += [("scifact query", json.loads(line)["text"]) for line in f if line.strip()]
    with open(os.path.join(DATA, "scifact", "corpus.jsonl"), encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            doc = json.loads(line)
            out.append(("scifact title", doc["title"]))
            out.append(("scifact text", doc["text"]))
            out.append(("scifact document", (doc["title"] + " " + doc["text"]).strip()))
    for split in ("train", "dev", "test"):
        with open(os.path.join(DATA, "stsbenchmark", f"sts-{split}.csv"), encoding="utf-8") as f:
            for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                if len(row) >= 7:
                    out += [(f"sts {split}", row[5]), (f"sts {split}", row[6])]
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=os.path.join(ROOT, "models", "all-MiniLM-L6-v2"))
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--bin", default=os.path.join(ROOT, ".build", "release", "embedtune"))
    args = parser.parse_args()

    items = texts()
    # One text per line for the CLI: a text's own line breaks become spaces on both sides.
    lines = [t.replace("\r", " ").replace("\n", " ") for _, t in items]
    run = subprocess.run([args.bin, "tokenize", "--model", args.model, "--max-length", str(args.max_length)],
                         input="\n".join(lines).encode("utf-8") + b"\n", capture_output=True, check=True)
    ours = [json.loads(line)["ids"] for line in run.stdout.decode("utf-8").splitlines()]

    tok = Tokenizer.from_file(os.path.join(args.model, "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(args.max_length)
    theirs = [e.ids for e in tok.encode_batch(lines)]

    if len(ours) != len(theirs):
        print(f"line count differs: embedtune {len(ours)}, tokenizers {len(theirs)}")
        sys.exit(1)
    differences = 0
    for (source, _), line, a, b in zip(items, lines, ours, theirs):
        if a != b:
            differences += 1
            if differences <= 20:
                print(f"{source}: {line[:100]!r}\n  embedtune  {a[:30]}\n  tokenizers {b[:30]}")
    tokens = sum(len(b) for b in theirs)
    print(f"{len(items)} texts ({tokens} tokens, max length {args.max_length}): {differences} differences")
    sys.exit(1 if differences else 0)


if __name__ == "__main__":
    main()
