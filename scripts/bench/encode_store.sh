#!/usr/bin/env bash
# Encoding into SQLite against plain embedding: `embedtune encode` of ../shared/bench/corpus.txt into a
# fresh vector store next to `embedtune embed --benchmark-repeats 1` on the same file (same model, batch
# 32, max length 128, same threads), alternating REPEATS times in one run. Prints each run's JSON line,
# then the median docs/s of both and their ratio. Target: encode within 10% of embed (ratio >= 0.90).
#
#   scripts/bench/encode_store.sh
#   THREADS="1 2" REPEATS=3 SCRATCH=.build-h PYTHON=python3 scripts/bench/encode_store.sh
#
# What each figure covers: embed times only the encoding of the texts already in memory, after a warm-up
# of 512 texts; encode's docs/s is the whole job after the model is loaded — reading and validating the
# file, content hashes, the existing-hash lookup, encoding in 1,024-document chunks, and one SQLite
# transaction per chunk — with no warm-up. So the ratio charges every cost of the store to encode.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
python=${PYTHON:-python3}
scratch=${SCRATCH:-.build}
threads=${THREADS:-1}
repeats=${REPEATS:-3}
model=${MODEL:-models/all-MiniLM-L6-v2}
corpus=${CORPUS:-$root/../shared/bench/corpus.txt}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

swift build -c release --scratch-path "$scratch" --product embedtune >&2
bin="$scratch/release/embedtune"
common=(--model "$model" --batch-size 32 --max-length 128)

for t in $threads; do
    for r in $(seq "$repeats"); do
        echo "encode_store.sh: threads=$t repeat $r embed" >&2
        OPENBLAS_NUM_THREADS=$t "$bin" embed "${common[@]}" --threads "$t" --benchmark-repeats 1 \
            < "$corpus" | tee -a "$out/embed_$t.jsonl"
        echo "encode_store.sh: threads=$t repeat $r encode" >&2
        rm -f "$out/store.db" "$out/store.db-wal" "$out/store.db-shm"
        OPENBLAS_NUM_THREADS=$t "$bin" encode "${common[@]}" --threads "$t" --input "$corpus" \
            --db "$out/store.db" --json 2>/dev/null | tee -a "$out/encode_$t.jsonl"
    done
done

"$python" - "$out" $threads <<'PY'
import json, pathlib, statistics, sys
out = pathlib.Path(sys.argv[1])
print()
print(f"{'threads':>7} {'embed docs/s':>13} {'encode docs/s':>14} {'encode/embed':>13}  target >= 0.90")
for t in sys.argv[2:]:
    embed = [json.loads(l)["sentences_per_s"] for l in (out / f"embed_{t}.jsonl").read_text().splitlines() if l.startswith("{")]
    encode = [json.loads(l)["docs_per_s"] for l in (out / f"encode_{t}.jsonl").read_text().splitlines() if l.startswith("{")]
    e, s = statistics.median(embed), statistics.median(encode)
    print(f"{t:>7} {e:>13.1f} {s:>14.1f} {s / e:>12.3f}x  {'ok' if s / e >= 0.90 else 'BELOW TARGET'}"
          f"   (runs: embed {', '.join(f'{x:.1f}' for x in embed)}; encode {', '.join(f'{x:.1f}' for x in encode)})")
PY
