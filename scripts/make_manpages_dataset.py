#!/usr/bin/env python3
"""Builds the quickstart's default dataset, in BEIR format, from the Linux manual pages on this machine.

A query is a page's NAME-line description ("create a directory"); its relevant document is the page's
DESCRIPTION section (title: the names the page documents). Pages are split into train and test by a hash of
the page name, so the split is the same on every machine with the same pages.

    python3 scripts/make_manpages_dataset.py --out data/manpages [--max-pages 1000] [--test-percent 20]

Needs the Debian packages manpages and manpages-dev (scripts/setup.sh installs them). Pages are rendered with
`man -l FILE | col -b`. Writes corpus.jsonl, queries.jsonl, qrels/train.tsv and qrels/test.tsv.
"""
import argparse, glob, gzip, hashlib, json, os, re, subprocess, sys
from multiprocessing import Pool

HEADER = re.compile(r"^[A-Z][A-Z0-9 ,/&()-]*$")


def page_files():
    try:
        listed = subprocess.run(["dpkg", "-L", "manpages", "manpages-dev"], capture_output=True, text=True).stdout
        files = [l for l in listed.splitlines() if l.endswith(".gz") and "/man/man" in l]
    except FileNotFoundError:
        files = []
    return sorted(set(files or glob.glob("/usr/share/man/man[1-8]/*.gz")))


def is_redirect(path):
    with gzip.open(path, "rt", errors="replace") as f:
        head = f.read(400)
    return any(l.startswith(".so ") for l in head.splitlines()[:3])


def sections(text):
    out, current = {}, None
    for line in text.splitlines():
        if line and not line[0].isspace() and HEADER.match(line.strip()):
            current = line.strip()
            out.setdefault(current, [])
        elif current:
            out[current].append(line)
    return out


def clean(lines):
    text = "\n".join(lines)
    text = re.sub(r"[\u2010-](\n\s*)", "", text)  # words hyphenated across lines
    return " ".join(text.split())


def render(path):
    env = dict(os.environ, MANWIDTH="80", MAN_KEEP_FORMATTING="0")
    try:
        man = subprocess.run(["man", "-l", path], capture_output=True, env=env, timeout=60)
        plain = subprocess.run(["col", "-b"], input=man.stdout, capture_output=True, timeout=60).stdout
    except (subprocess.SubprocessError, OSError):
        return None
    secs = sections(plain.decode("utf-8", errors="replace"))
    name, description = clean(secs.get("NAME", [])), clean(secs.get("DESCRIPTION", []))
    parts = re.split(r"\s+[-\u2010\u2212]\s+", name, maxsplit=1)
    if len(parts) != 2 or len(description) < 80:
        return None
    names, summary = parts[0].strip(), parts[1].strip()
    if len(summary) < 8:
        return None
    page = os.path.basename(path)[:-3]  # mkdir.2
    return {"page": page, "names": names, "summary": summary, "description": description[:3000]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--max-pages", type=int, default=1000)
    ap.add_argument("--test-percent", type=int, default=20)
    a = ap.parse_args()
    files = [f for f in page_files() if not is_redirect(f)]
    if not files:
        sys.exit("make_manpages_dataset: no manual pages found; install the Debian packages manpages and manpages-dev")
    digest = lambda s: hashlib.sha256(s.encode()).hexdigest()
    files.sort(key=lambda f: digest(os.path.basename(f)))
    files = files[: int(a.max_pages * 1.2)]  # some pages have no usable NAME or DESCRIPTION
    with Pool(os.cpu_count() or 2) as pool:
        pages = [p for p in pool.map(render, files, chunksize=8) if p][: a.max_pages]
    os.makedirs(os.path.join(a.out, "qrels"), exist_ok=True)
    queries, qrels = {}, {"train": {}, "test": {}}
    with open(os.path.join(a.out, "corpus.jsonl"), "w", encoding="utf-8") as corpus:
        for p in sorted(pages, key=lambda p: p["page"]):
            corpus.write(json.dumps({"_id": p["page"], "title": p["names"], "text": p["description"]}, ensure_ascii=False) + "\n")
            qid = "q-" + digest(p["summary"].lower())[:12]  # pages sharing a description share the query
            queries[qid] = p["summary"]
            split = "test" if int(digest(p["page"])[:8], 16) % 100 < a.test_percent else "train"
            qrels[split].setdefault(qid, []).append(p["page"])
    # A query whose pages fell into both splits stays in test only, so no test query is seen in training.
    for qid in list(qrels["train"]):
        if qid in qrels["test"]:
            qrels["test"][qid] += qrels["train"].pop(qid)
    with open(os.path.join(a.out, "queries.jsonl"), "w", encoding="utf-8") as f:
        for qid in sorted(queries):
            f.write(json.dumps({"_id": qid, "text": queries[qid]}, ensure_ascii=False) + "\n")
    for split, rows in qrels.items():
        with open(os.path.join(a.out, "qrels", split + ".tsv"), "w", encoding="utf-8") as f:
            f.write("query-id\tcorpus-id\tscore\n")
            for qid in sorted(rows):
                for doc in sorted(rows[qid]):
                    f.write(f"{qid}\t{doc}\t1\n")
    print(f"make_manpages_dataset: {len(pages)} pages, {len(qrels['train'])} train and {len(qrels['test'])} test queries "
          f"in {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
