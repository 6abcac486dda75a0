#!/usr/bin/env bash
# The main job on the built-in default, for a fresh machine: installs what is missing, builds the release binary,
# makes a BEIR-format dataset from the Linux manual pages (query: a page's NAME description, document: its
# DESCRIPTION), measures retrieval before fine-tuning, fine-tunes all-MiniLM-L6-v2 with the recommended recipe (hard
# negatives mined with `embedtune mine`, then LoRA with the base model as GISTEmbed guide for 3 epochs), measures
# again, encodes the corpus into a SQLite file under data/ and runs a few searches. The learning curves (loss, and
# nDCG@10 on the test queries at each epoch end (11 steps), for watching only: nothing is selected on them) go to
# data/quickstart-curves.svg.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n== %s\n' "$*" >&2; }
MODEL=models/all-MiniLM-L6-v2
DATA=data/manpages
ADAPTER=data/manpages-adapter
MINED=data/manpages-mined.jsonl
DB=data/manpages.sqlite
PAGES=${QUICKSTART_PAGES:-800}

step "setup: system libraries and the default model"
./scripts/setup.sh
step "build (release)"
swift build -c release --product embedtune >&2
bin=.build/release/embedtune

if [ ! -f "$DATA/qrels/test.tsv" ] || [ "$(wc -l < "$DATA/corpus.jsonl")" -ne "$PAGES" ]; then
    step "dataset: $PAGES manual pages → $DATA (BEIR layout)"
    rm -rf "$DATA"
    python3 scripts/make_manpages_dataset.py --out "$DATA" --max-pages "$PAGES"
fi

step "retrieval quality of the base model (test split)"
$bin eval --model "$MODEL" --data "$DATA" --split test --json | tee data/quickstart-before.json

step "mine hard negatives for the train split from the corpus"
$bin mine --model "$MODEL" --data "$DATA" --split train --corpus "$DATA/corpus.jsonl" --output "$MINED"

step "fine-tune with LoRA (r 8, alpha 16) and the base model as guide, 3 epochs"
rm -rf "$ADAPTER"
$bin train --model "$MODEL" --data "$MINED" --output "$ADAPTER" --guide base --epochs 3 \
    --eval-data "$DATA" --eval-split test --eval-every 11
$bin plot "$ADAPTER" --output data/quickstart-curves.svg --title "all-MiniLM-L6-v2, LoRA on manual pages"

step "retrieval quality after fine-tuning (test split)"
$bin eval --model "$MODEL" --adapter "$ADAPTER" --data "$DATA" --split test --json | tee data/quickstart-after.json

step "encode the corpus into $DB"
rm -f "$DB" "$DB-wal" "$DB-shm"
$bin encode --model "$MODEL" --adapter "$ADAPTER" --db "$DB" --input "$DATA/corpus.jsonl"

step "searches"
for q in "create a new directory" "copy a block of memory" "wait for a child process to finish" "convert a string to an integer"; do
    $bin search --db "$DB" -k 3 "$q"
done

python3 - <<'PY'
import json
before = json.load(open("data/quickstart-before.json")); after = json.load(open("data/quickstart-after.json"))
print("\nnDCG@10 on the manual-page test queries: before %.4f, after %.4f (%+.4f)"
      % (before["ndcg@10"], after["ndcg@10"], after["ndcg@10"] - before["ndcg@10"]))
PY
