#!/usr/bin/env bash
# Training throughput: optimizer steps/s and peak RSS of `embedtune train` (LoRA r 8 and full fine-tuning, batch 32,
# max length 128) next to ../shared/bench/train_torch.py (PyTorch + peft) in the same run and thread count, on the
# same kind of pairs: a corpus sentence and a perturbed copy (train_torch.py's own `perturb`, same seed).
# A third row, lora-bf16, is our LoRA with `--precision bf16` (the frozen base's products in bf16), against
# PyTorch's float32 LoRA and against our own float32 LoRA of the same run.
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH=${BENCH:-../shared/bench}
THREADS=${THREADS:-1}
STEPS=${STEPS:-20}
./scripts/setup.sh
scratch=${SCRATCH:-.build}
swift build -c release --scratch-path "$scratch" --product embedtune >&2
PY=$("$BENCH/setup-peers.sh")
out=$(mktemp -d)
# The pairs train_torch.py trains on, as JSONL.
(cd "$BENCH" && "$PY" - "$out/pairs.jsonl" <<'PY'
import json, random, sys
from common import load_corpus
from train_torch import perturb
rng = random.Random(42)
pairs = [(s, perturb(s, rng)) for s in load_corpus()]
rng.shuffle(pairs)
with open(sys.argv[1], "w") as f:
    for a, p in pairs:
        f.write(json.dumps({"anchor": a, "positive": p}) + "\n")
PY
)
for mode in lora full; do
    (cd "$BENCH" && "$PY" train_torch.py --mode "$mode" --threads "$THREADS" --steps "$STEPS") > "$out/torch_$mode.json"
    extra=(--lr 1e-4 --max-length 128); [ "$mode" = full ] && extra=(--full --lr 2e-5 --max-length 128)
    OPENBLAS_NUM_THREADS=$THREADS "$scratch/release/embedtune" train --model models/all-MiniLM-L6-v2 --data "$out/pairs.jsonl" \
        --output "$out/ours_$mode" --max-steps $((STEPS + 3)) --threads "$THREADS" "${extra[@]}" 2> "$out/ours_$mode.log"
done
OPENBLAS_NUM_THREADS=$THREADS "$scratch/release/embedtune" train --model models/all-MiniLM-L6-v2 --data "$out/pairs.jsonl" \
    --output "$out/ours_lora-bf16" --max-steps $((STEPS + 3)) --threads "$THREADS" --lr 1e-4 --max-length 128 \
    --precision bf16 2> "$out/ours_lora-bf16.log"
"$PY" - "$out" <<'PY'
import json, re, sys, pathlib
out = pathlib.Path(sys.argv[1])
print(f"{'mode':>9} {'embedtune steps/s':>18} {'pytorch steps/s':>16} {'ratio':>6} {'embedtune MiB':>14} {'pytorch MiB':>12}")
rates = {}
for mode in ("lora", "full", "lora-bf16"):
    torch = json.loads((out / f"torch_{mode.split('-')[0]}.json").read_text().strip().splitlines()[-1])
    steps = [json.loads(l) for l in (out / f"ours_{mode}" / "metrics.jsonl").read_text().splitlines()]
    steps = [s for s in steps if s["type"] == "step"]
    # steps/s after 3 warm-up steps, as train_torch.py times it
    rate = (len(steps) - 3) / (steps[-1]["elapsed_s"] - steps[2]["elapsed_s"])
    rss = float(re.search(r"peak memory (\d+) MiB", (out / f"ours_{mode}.log").read_text()).group(1))
    rates[mode] = rate
    print(f"{mode:>9} {rate:>18.3f} {torch['steps_per_s']:>16.3f} {rate / torch['steps_per_s']:>5.2f}x {rss:>14.0f} {torch['peak_rss_mib']:>12.0f}")
print(f"lora-bf16 / lora (ours): {rates['lora-bf16'] / rates['lora']:.2f}x")
PY
