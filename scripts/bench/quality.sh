#!/usr/bin/env bash
# Fine-tuning quality against sentence-transformers + peft, in one run: one epoch of LoRA (r 8, alpha 16, lr 1e-4,
# batch 32, max length 128, warmup 0.1, scale 20) on the SciFact train qrels, then nDCG@10 etc. on the test split,
# before and after, for ../shared/bench/finetune_st.py and for embedtune.
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH=${BENCH:-../shared/bench}
DATA=${DATA:-../shared/data/scifact}
THREADS=${THREADS:-2}
./scripts/setup.sh
swift build -c release --product embedtune >&2
PY=$("$BENCH/setup-peers.sh")
out=$(mktemp -d)
bin=.build/release/embedtune
(cd "$BENCH" && "$PY" finetune_st.py --pairs beir:train --beir "$(cd - >/dev/null && cd "$DATA" && pwd)" --split test \
    --threads "$THREADS") > "$out/st.json"
$bin eval --model models/all-MiniLM-L6-v2 --data "$DATA" --split test --json --threads "$THREADS" > "$out/before.json"
$bin train --model models/all-MiniLM-L6-v2 --data "$DATA" --split train --output "$out/adapter" --epochs 1 \
    --lr 1e-4 --max-length 128 \
    --threads "$THREADS" 2> "$out/train.log"
$bin eval --model models/all-MiniLM-L6-v2 --adapter "$out/adapter" --data "$DATA" --split test --json \
    --threads "$THREADS" > "$out/after.json"
tail -1 "$out/train.log" >&2
"$PY" - "$out" <<'PY'
import json, sys, pathlib
out = pathlib.Path(sys.argv[1])
st = json.loads((out / "st.json").read_text().strip().splitlines()[-1])
before = json.loads((out / "before.json").read_text()); after = json.loads((out / "after.json").read_text())
print(f"{'':>22} {'nDCG@10 before':>15} {'after':>8} {'train s':>8}")
print(f"{'sentence-transformers':>22} {st['before']['ndcg@10']:>15.4f} {st['after']['ndcg@10']:>8.4f} {st['train_s']:>8}")
print(f"{'embedtune':>22} {before['ndcg@10']:>15.4f} {after['ndcg@10']:>8.4f}")
print(f"before: |ours - st| = {abs(before['ndcg@10'] - st['before']['ndcg@10']):.4f} (target <= 0.002)")
print(f"after: ours - st = {after['ndcg@10'] - st['after']['ndcg@10']:+.4f} (target >= -0.005); "
      f"rise {after['ndcg@10'] - before['ndcg@10']:+.4f}")
PY
