#!/usr/bin/env bash
# Encoding throughput: `embedtune embed` in float32, bf16 and int8 (--precision) against
# sentence-transformers (PyTorch) and ONNX Runtime in float32 and with its dynamic int8 quantization
# (per-channel weights, the stronger of its two; ../shared/bench/encode_onnx.py --quantize int8 --per-channel)
# on ../shared/bench/corpus.txt (4,096 sentences), batch 32, max length 128, with 1 and 2 threads, in one run.
# The programs take turns, ROUNDS times per thread count (default 3), each encoding the whole corpus once per
# turn after its warm-up, so a slow minute on a shared machine falls on all of them.
# Accuracy first: every program's embeddings of the corpus against PyTorch's float32 ones (minimum and mean
# cosine). Prints every round's sentences/s to standard error, then each program's median and the median of
# its per-round ratio to ONNX Runtime int8 and to our float32.
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH=${BENCH:-../shared/bench}
ROUNDS=${ROUNDS:-3}
./scripts/setup.sh
scratch=${SCRATCH:-.build}
swift build -c release --scratch-path "$scratch" --product embedtune >&2
PY=$("$BENCH/setup-peers.sh")
out=$(mktemp -d)
ours() {  # ours PRECISION THREADS ARGS...
    local precision=$1 t=$2
    shift 2
    OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t "$scratch/release/embedtune" embed --model models/all-MiniLM-L6-v2 \
        --precision "$precision" --threads "$t" --batch-size 32 --max-length 128 "$@" < "$BENCH/corpus.txt"
}
onnx() {  # onnx THREADS ARGS...
    local t=$1
    shift
    (cd "$BENCH" && "$PY" encode_onnx.py --threads "$t" --batch-size 32 --max-seq-length 128 "$@")
}
# Accuracy: the embeddings of each program, once.
(cd "$BENCH" && "$PY" encode_torch.py --threads 2 --batch-size 32 --max-seq-length 128 --repeats 1 \
    --save "$out/emb_torch.npy") > /dev/null
for p in fp32 bf16 int8; do ours "$p" 2 --output "$out/emb_$p.npy"; done
onnx 2 --repeats 1 --save "$out/emb_onnx.npy" > /dev/null
onnx 2 --repeats 1 --quantize int8 --per-channel --save "$out/emb_onnx_int8.npy" > /dev/null
# Speed.
for t in 1 2; do
    for r in $(seq 1 "$ROUNDS"); do
        for p in fp32 bf16 int8; do ours "$p" "$t" --benchmark-repeats 1 > "$out/ours_${p}_${t}_$r.json"; done
        (cd "$BENCH" && "$PY" encode_torch.py --threads "$t" --batch-size 32 --max-seq-length 128 --repeats 1) \
            > "$out/torch_${t}_$r.json"
        onnx "$t" --repeats 1 > "$out/onnx_${t}_$r.json"
        onnx "$t" --repeats 1 --quantize int8 --per-channel > "$out/onnx_int8_${t}_$r.json"
    done
done
"$PY" - "$out" "$ROUNDS" <<'PY'
import json, sys, pathlib, statistics
import numpy as np
out, rounds = pathlib.Path(sys.argv[1]), int(sys.argv[2])
programs = [("ours_fp32", "embedtune fp32", "fp32"), ("ours_bf16", "embedtune bf16", "bf16"),
            ("ours_int8", "embedtune int8", "int8"), ("torch", "pytorch", "torch"), ("onnx", "onnxrt fp32", "onnx"),
            ("onnx_int8", "onnxrt int8 pc", "onnx_int8")]
ref = np.load(out / "emb_torch.npy")
def cosines(name):
    e = np.load(out / f"emb_{name}.npy")
    c = (e * ref).sum(1) / (np.linalg.norm(e, axis=1) * np.linalg.norm(ref, axis=1))
    return c.min(), c.mean()
def rate(k, t, r):
    return json.loads((out / f"{k}_{t}_{r}.json").read_text().strip().splitlines()[-1])["sentences_per_s"]
print(f"{'program':>15} {'threads':>7} {'sent/s':>8} {'vs onnx int8':>12} {'vs our fp32':>11} {'min cos':>8} {'mean cos':>9}"
      f"  (medians of {rounds} rounds; cosine to PyTorch float32 on the corpus)")
for t in (1, 2):
    rs = [{k: rate(k, t, r) for k, _, _ in programs} for r in range(1, rounds + 1)]
    for i, x in enumerate(rs, 1):
        print(f"  threads {t} round {i}: " + "  ".join(f"{label} {x[k]:.1f}" for k, label, _ in programs), file=sys.stderr)
    for k, label, emb in programs:
        med = statistics.median(x[k] for x in rs)
        vq = statistics.median(x[k] / x["onnx_int8"] for x in rs)
        vf = statistics.median(x[k] / x["ours_fp32"] for x in rs)
        lo, mean = cosines(emb)
        print(f"{label:>15} {t:>7} {med:>8.1f} {vq:>11.2f}x {vf:>10.2f}x {lo:>8.5f} {mean:>9.5f}")
PY
