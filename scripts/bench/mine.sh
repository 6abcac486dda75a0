#!/usr/bin/env bash
# Hard-negative mining cost: `embedtune mine` on ../shared/data/scifact (train split; candidates = the
# scifact corpus) next to `embedtune embed` of the same texts once (every corpus passage and every distinct
# train anchor), in one run, with the same model, threads and batch size. Mining is that embedding plus the
# exact search and the filters; the target is mine <= 1.2 x embed. Prints both times and the ratio.
#   THREADS (default 2), BATCH (32), DATA (../shared/data/scifact), SKIP_BUILD=1 to use the built binary.
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${DATA:-../shared/data/scifact}
THREADS=${THREADS:-2}
BATCH=${BATCH:-32}
scratch=${SCRATCH:-.build}
[ -d models/all-MiniLM-L6-v2 ] || ./scripts/setup.sh >&2
[ -n "${SKIP_BUILD:-}" ] || swift build -c release --scratch-path "$scratch" --product embedtune >&2
bin="$scratch/release/embedtune"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# The texts mine embeds, one per line: corpus passages (title + " " + text) and the distinct train anchors.
python3 - "$DATA" > "$out/texts.txt" <<'PY'
import json, sys, pathlib
d = pathlib.Path(sys.argv[1])
one_line = lambda s: " ".join(s.split())
for line in open(d / "corpus.jsonl", encoding="utf-8"):
    doc = json.loads(line)
    print(one_line(doc["title"] + " " + doc["text"] if doc.get("title") else doc["text"]))
queries = {q["_id"]: q["text"] for q in map(json.loads, open(d / "queries.jsonl", encoding="utf-8"))}
ids = [l.split("\t")[0] for l in open(d / "qrels" / "train.tsv", encoding="utf-8").read().splitlines()[1:]]
for text in dict.fromkeys(queries[i] for i in ids if i in queries):
    print(one_line(text))
PY

seconds() { date +%s.%N; }
t0=$(seconds)
"$bin" embed --model models/all-MiniLM-L6-v2 --threads "$THREADS" --batch-size "$BATCH" --output "$out/e.npy" < "$out/texts.txt"
t1=$(seconds)
"$bin" mine --model models/all-MiniLM-L6-v2 --threads "$THREADS" --batch-size "$BATCH" --data "$DATA" --split train \
    --output "$out/mined.jsonl" 2> "$out/mine.log"
t2=$(seconds)
cat "$out/mine.log" | tr '\r' '\n' | grep -v '^\[' | grep -v '^$' >&2 || true
python3 - "$t0" "$t1" "$t2" "$(wc -l < "$out/texts.txt")" "$(wc -l < "$out/mined.jsonl")" <<'PY'
import sys
t0, t1, t2, texts, rows = map(float, sys.argv[1:])
embed, mine = t1 - t0, t2 - t1
print(f"embed {int(texts)} texts: {embed:.1f} s; mine ({int(rows)} rows written): {mine:.1f} s; mine/embed {mine / embed:.2f}x (target <= 1.2x)")
PY
