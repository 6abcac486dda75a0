#!/usr/bin/env bash
# The recommended fine-tuning recipe against the plain one, in one run on one machine: nDCG@10 on a BEIR test split
# and wall time of
#   - sentence-transformers + peft, the plain recipe (../shared/bench/finetune_st.py: one epoch of in-batch
#     negatives, LoRA r 8, lr 1e-4, batch 32);
#   - embedtune, the same plain recipe (`train --epochs 1 --lr 1e-4 --max-length 128`);
#   - embedtune, the recommended recipe: `mine` with its defaults, then `train --guide base --epochs 3` with the
#     rest at the defaults (the two commands of the README).
# Training uses the train split only; the test split is only scored. DATA is any BEIR directory with a train split.
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH=${BENCH:-../shared/bench}
DATA=${DATA:-../shared/data/scifact}
THREADS=${THREADS:-2}
SKIP_ST=${SKIP_ST:-0}
./scripts/setup.sh
swift build -c release --product embedtune >&2
out=$(mktemp -d)
bin=.build/release/embedtune
model=models/all-MiniLM-L6-v2
now() { date +%s; }
if [ "$SKIP_ST" != 1 ]; then
    PY=$("$BENCH/setup-peers.sh")
    t0=$(now)
    (cd "$BENCH" && "$PY" finetune_st.py --pairs beir:train --beir "$(cd - >/dev/null && cd "$DATA" && pwd)" --split test \
        --threads "$THREADS") > "$out/st.json"
    echo "st_wall $(( $(now) - t0 ))" >> "$out/times"
fi
$bin eval --model $model --data "$DATA" --split test --json --threads "$THREADS" > "$out/before.json"

t0=$(now)
$bin train --model $model --data "$DATA" --split train --output "$out/plain" --epochs 1 --lr 1e-4 --max-length 128 --threads "$THREADS" 2> "$out/plain.log"
echo "plain_train $(( $(now) - t0 ))" >> "$out/times"
$bin eval --model $model --adapter "$out/plain" --data "$DATA" --split test --json --threads "$THREADS" > "$out/plain.json"

t0=$(now)
$bin mine --model $model --data "$DATA" --split train --corpus "$DATA/corpus.jsonl" --output "$out/mined.jsonl" \
    --threads "$THREADS" 2> "$out/mine.log"
t1=$(now)
$bin train --model $model --data "$out/mined.jsonl" --output "$out/recipe" --guide base --epochs 3 --threads "$THREADS" \
    2> "$out/recipe.log"
t2=$(now)
echo "recipe_mine $(( t1 - t0 ))" >> "$out/times"
echo "recipe_train $(( t2 - t1 ))" >> "$out/times"
$bin eval --model $model --adapter "$out/recipe" --data "$DATA" --split test --json --threads "$THREADS" > "$out/recipe.json"

python3 - "$out" <<'PY'
import json, sys, pathlib
out = pathlib.Path(sys.argv[1])
times = dict(line.split() for line in (out / "times").read_text().splitlines())
before = json.loads((out / "before.json").read_text())["ndcg@10"]
rows = []
if (out / "st.json").exists():
    st = json.loads((out / "st.json").read_text().strip().splitlines()[-1])
    rows.append(("sentence-transformers + peft, plain", st["after"]["ndcg@10"], float(times["st_wall"]), "whole script, 2 evaluations included"))
rows.append(("embedtune, plain (1 epoch)", json.loads((out / "plain.json").read_text())["ndcg@10"], float(times["plain_train"]), "train"))
rows.append(("embedtune, recipe (mine + guide + 3 epochs)", json.loads((out / "recipe.json").read_text())["ndcg@10"],
             float(times["recipe_mine"]) + float(times["recipe_train"]),
             f"mine {float(times['recipe_mine']):.0f} s + train {float(times['recipe_train']):.0f} s"))
print(f"base model nDCG@10 {before:.4f}")
print(f"{'':>45} {'nDCG@10':>8} {'wall s':>8}")
for name, ndcg, wall, note in rows:
    print(f"{name:>45} {ndcg:>8.4f} {wall:>8.0f}  ({note})")
PY
