#!/usr/bin/env bash
# Data-parallel training throughput: `mpirun -np 2 embedtune train` with 1 thread per rank against one process
# with 1 thread, on the same global batch (all-MiniLM-L6-v2, LoRA r 8 or --full, batch 32, max length 128), over
# shared memory and over TCP loopback (`--mca btl tcp,self`, the stand-in for two machines). Prints optimizer
# steps/s after WARMUP steps, the ratio to one process, and the time per step spent in the collectives (the
# all-gather of the embeddings and the all-reduce of the gradients, waiting for the slower rank included), from
# rank 0's metrics.jsonl. Run it on a quiet machine with at least 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH=${BENCH:-../shared/bench}
STEPS=${STEPS:-20}
WARMUP=${WARMUP:-3}
BATCH=${BATCH:-32}
MODES=${MODES:-lora}
./scripts/setup.sh
[ -n "${SKIP_BUILD:-}" ] || swift build -c release --product embedtune >&2  # SKIP_BUILD=1: the release build as it is
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# (sentence, the sentence with one word dropped) pairs from the benchmark corpus
python3 - "$BENCH/corpus.txt" "$out/pairs.jsonl" <<'PY'
import json, random, sys
rng = random.Random(42)
with open(sys.argv[1]) as f, open(sys.argv[2], "w") as out:
    for line in f:
        words = line.split()
        if len(words) < 4:
            continue
        del words[rng.randrange(len(words))]
        out.write(json.dumps({"anchor": line.strip(), "positive": " ".join(words)}) + "\n")
PY
mpi=(mpirun --bind-to core -np 2 -x OPENBLAS_NUM_THREADS=1)
[ "$(id -u)" -eq 0 ] && mpi+=(--allow-run-as-root)
for mode in $MODES; do
    args=(train --model models/all-MiniLM-L6-v2 --data "$out/pairs.jsonl" --batch-size "$BATCH" --max-length 128
          --max-steps $((STEPS + WARMUP)) --threads 1 --dropout 0 --lr 1e-4)
    [ "$mode" = full ] && args+=(--full)
    OPENBLAS_NUM_THREADS=1 .build/release/embedtune "${args[@]}" --output "$out/one_$mode" 2> "$out/one_$mode.log"
    "${mpi[@]}" --mca btl self,vader --mca btl_vader_single_copy_mechanism none \
        .build/release/embedtune "${args[@]}" --output "$out/shm_$mode" 2> "$out/shm_$mode.log"
    "${mpi[@]}" --mca btl tcp,self --mca btl_tcp_if_include lo \
        .build/release/embedtune "${args[@]}" --output "$out/tcp_$mode" 2> "$out/tcp_$mode.log"
done
python3 - "$out" "$WARMUP" "$MODES" <<'PY'
import json, pathlib, sys
out, warmup, modes = pathlib.Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3].split()
def steps(run):
    lines = [json.loads(l) for l in (out / run / "metrics.jsonl").read_text().splitlines()]
    return [s for s in lines if s["type"] == "step"]
print(f"{'mode':>5} {'run':>22} {'steps/s':>8} {'ratio':>6} {'comm ms/step':>13}")
for mode in modes:
    base = None
    for run, label in (("one", "1 process, 1 thread"), ("shm", "2 ranks, shared memory"), ("tcp", "2 ranks, TCP loopback")):
        s = steps(f"{run}_{mode}")
        timed = s[warmup:]
        rate = len(timed) / (s[-1]["elapsed_s"] - s[warmup - 1]["elapsed_s"])
        base = base or rate
        comm = [t["communication_s"] for t in timed if "communication_s" in t]
        comm_ms = f"{1000 * sum(comm) / len(comm):13.1f}" if comm else f"{'-':>13}"
        print(f"{mode:>5} {label:>22} {rate:8.3f} {rate / base:5.2f}x {comm_ms}")
PY
