#!/usr/bin/env bash
# Encoding throughput: `embedtune embed` against sentence-transformers (PyTorch) and ONNX Runtime on
# ../shared/bench/corpus.txt (4,096 sentences), batch 32, max length 128, with 1 and 2 threads, in one run.
# The three programs take turns, ROUNDS times per thread count (default 3), each encoding the whole
# corpus once per turn after its warm-up, so a slow minute on a shared machine falls on all of them.
# Prints every round's sentences/s to standard error, then each program's median and the median of
# the per-round ratios.
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH=${BENCH:-../shared/bench}
ROUNDS=${ROUNDS:-3}
./scripts/setup.sh
scratch=${SCRATCH:-.build}
swift build -c release --scratch-path "$scratch" --product embedtune >&2
PY=$("$BENCH/setup-peers.sh")
out=$(mktemp -d)
for t in 1 2; do
    for r in $(seq 1 "$ROUNDS"); do
        OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t "$scratch/release/embedtune" embed --model models/all-MiniLM-L6-v2 \
            --threads "$t" --batch-size 32 --max-length 128 --benchmark-repeats 1 < "$BENCH/corpus.txt" > "$out/ours_${t}_$r.json"
        (cd "$BENCH" && "$PY" encode_torch.py --threads "$t" --batch-size 32 --max-seq-length 128 --repeats 1) \
            > "$out/torch_${t}_$r.json"
        (cd "$BENCH" && "$PY" encode_onnx.py --threads "$t" --batch-size 32 --max-seq-length 128 --repeats 1) \
            > "$out/onnx_${t}_$r.json"
    done
done
"$PY" - "$out" "$ROUNDS" <<'PY'
import json, sys, pathlib, statistics
out, rounds = pathlib.Path(sys.argv[1]), int(sys.argv[2])
def rate(k, t, r):
    return json.loads((out / f"{k}_{t}_{r}.json").read_text().strip().splitlines()[-1])["sentences_per_s"]
print(f"{'threads':>7} {'embedtune':>10} {'pytorch':>9} {'onnxrt':>8} {'vs torch':>9} {'vs onnx':>8}  (sentences/s, medians of {rounds} rounds)")
for t in (1, 2):
    rs = [{k: rate(k, t, r) for k in ("ours", "torch", "onnx")} for r in range(1, rounds + 1)]
    for i, x in enumerate(rs, 1):
        print(f"  threads {t} round {i}: embedtune {x['ours']:.1f}  pytorch {x['torch']:.1f}  onnxrt {x['onnx']:.1f}"
              f"  ({x['ours'] / x['torch']:.2f}x, {x['ours'] / x['onnx']:.2f}x)", file=sys.stderr)
    med = {k: statistics.median(x[k] for x in rs) for k in ("ours", "torch", "onnx")}
    vt = statistics.median(x["ours"] / x["torch"] for x in rs)
    vo = statistics.median(x["ours"] / x["onnx"] for x in rs)
    print(f"{t:>7} {med['ours']:>10.1f} {med['torch']:>9.1f} {med['onnx']:>8.1f} {vt:>8.2f}x {vo:>7.2f}x")
PY
