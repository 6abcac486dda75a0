#!/usr/bin/env bash
# Two builds of EmbedTune against each other, in turns, on the same machine in one run: encoding
# throughput (`embed` of ../shared/bench/corpus.txt, batch 32, length 128), LoRA (float32, and bf16 as
# the kind `bf16`) and full training steps/s (batch 32, length 128, pairs of neighbouring corpus
# sentences) and exact search latency
# (embedtune-bench-search, 100k vectors, 1 thread), THREADS threads (default 1) for the rest, ROUNDS rounds
# (default 3). Prints each round, and the medians with the ratio new/old and the median of the
# per-round ratios new/old. Used to show that a change costs no speed.
#
#   scripts/bench/compare.sh OLD_BUILD_DIR NEW_BUILD_DIR      # e.g. /tmp/old/.build/release .build/release
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH=${BENCH:-../shared/bench}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-1}
KINDS=${KINDS:-encode lora full search}
old=$1 new=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
python3 - "$BENCH/corpus.txt" "$out/pairs.jsonl" <<'PY'
import json, sys
lines = [l.strip() for l in open(sys.argv[1]) if l.strip()]
with open(sys.argv[2], "w") as f:
    for a, p in zip(lines[::2], lines[1::2]):
        f.write(json.dumps({"anchor": a, "positive": p}) + "\n")
PY
model=models/all-MiniLM-L6-v2
run() {  # run BUILD KIND -> one number
    local b=$1 kind=$2
    case $kind in
    encode)
        "$b/embedtune" embed --model $model --threads $THREADS --batch-size 32 --max-length 128 \
            --benchmark-repeats 1 < "$BENCH/corpus.txt" | tail -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["sentences_per_s"])' ;;
    lora|full|bf16)
        local extra=(--lr 1e-4); [ "$kind" = full ] && extra=(--full --lr 2e-5)
        [ "$kind" = bf16 ] && extra=(--lr 1e-4 --precision bf16)
        rm -rf "$out/train"
        "$b/embedtune" train --model $model --data "$out/pairs.jsonl" --output "$out/train" \
            --max-steps 13 --threads $THREADS --max-length 128 "${extra[@]}" 2> /dev/null
        python3 - "$out/train/metrics.jsonl" <<'PY'
import json, sys
steps = [json.loads(l) for l in open(sys.argv[1])]
steps = [s for s in steps if s["type"] == "step"]
print((len(steps) - 3) / (steps[-1]["elapsed_s"] - steps[2]["elapsed_s"]))
PY
        ;;
    search)
        "$b/embedtune-bench-search" --n 100000 --db "$out/search-$3.db" | python3 -c '
import json, sys
print(json.loads(sys.stdin.read().strip().splitlines()[-1])["exact_1t_median_ms"])' ;;
    esac
}
for kind in $KINDS; do
    for r in $(seq 1 "$ROUNDS"); do
        o=$(run "$old" $kind old); n=$(run "$new" $kind new)
        echo "$kind round $r: old $o new $n" >&2
        echo "$kind $o $n" >> "$out/results"
    done
done
python3 - "$out/results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    kind, o, n = line.split()
    rows.setdefault(kind, []).append((float(o), float(n)))
units = {"encode": "sentences/s", "lora": "steps/s", "bf16": "steps/s", "full": "steps/s", "search": "ms (lower is better)"}
for kind, xs in rows.items():
    o = statistics.median(x[0] for x in xs); n = statistics.median(x[1] for x in xs)
    # Each round's ratio compares builds that ran a minute apart, so a slow minute on a shared machine
    # cancels; the median of those is the figure to quote (the ratio of the medians mixes rounds).
    paired = statistics.median(x[1] / x[0] for x in xs)
    print(f"{kind:>7}: old {o:10.3f}  new {n:10.3f}  new/old {n / o:5.3f}  median of round ratios {paired:5.3f}  ({units[kind]})")
PY
