#!/usr/bin/env bash
# Encoding throughput: `embedtune embed` against sentence-transformers (PyTorch) and ONNX Runtime on
# ../shared/bench/corpus.txt (4,096 sentences), batch 32, max length 128, with 1 and 2 threads, in one run.
# Prints each program's sentences/s and our ratio to each peer.
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH=${BENCH:-../shared/bench}
./scripts/setup.sh
scratch=${SCRATCH:-.build}
swift build -c release --scratch-path "$scratch" --product embedtune >&2
PY=$("$BENCH/setup-peers.sh")
out=$(mktemp -d)
for t in 1 2; do
    OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t "$scratch/release/embedtune" embed --model models/all-MiniLM-L6-v2 \
        --threads "$t" --batch-size 32 --max-length 128 --benchmark-repeats 3 < "$BENCH/corpus.txt" > "$out/ours_$t.json"
    (cd "$BENCH" && "$PY" encode_torch.py --threads "$t" --batch-size 32 --max-seq-length 128) > "$out/torch_$t.json"
    (cd "$BENCH" && "$PY" encode_onnx.py --threads "$t" --batch-size 32 --max-seq-length 128) > "$out/onnx_$t.json"
done
"$PY" - "$out" <<'PY'
import json, sys, pathlib
out = pathlib.Path(sys.argv[1])
print(f"{'threads':>7} {'embedtune':>10} {'pytorch':>9} {'onnxrt':>8} {'vs torch':>9} {'vs onnx':>8}  (sentences/s)")
for t in (1, 2):
    r = {k: json.loads((out / f"{k}_{t}.json").read_text().strip().splitlines()[-1])["sentences_per_s"]
         for k in ("ours", "torch", "onnx")}
    print(f"{t:>7} {r['ours']:>10.1f} {r['torch']:>9.1f} {r['onnx']:>8.1f} {r['ours']/r['torch']:>8.2f}x {r['ours']/r['onnx']:>7.2f}x")
PY
