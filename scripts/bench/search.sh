#!/usr/bin/env bash
# Search benchmark: median latency of 100 top-10 queries over N random unit 384-dim vectors,
# EmbedTune (exact float32 SIMD scan of every row; exact bounded search through the int8 codes,
# checked identical to the full scan; int8 scan + float32 rescoring; the 4-bit scan + float32 rescoring
# of `search --quantized`; 1 and 2 threads; a gemm batch) next to ../shared/bench/search_sqlitevec.py (numpy, faiss IndexFlatIP, sqlite-vec) in
# the same run. Prints each program's JSON line, then a table of ratios.
#
#   scripts/bench/search.sh                 # N = 100000 and 1000000
#   SIZES="100000" scripts/bench/search.sh
#   PYTHON=/path/to/venv/bin/python SCRATCH=.build-h scripts/bench/search.sh
#
# Our vectors come from a seeded SplitMix64 and are written once to a vector store under
# ${BENCH_DIR:-/tmp/embedtune-bench} (1M rows: ~2 GB); the peers draw theirs from numpy's seeded
# generator — same distribution, not the same numbers. sqlite-vec is skipped above 100k
# (~70 ms per query at 100k already; set SQLITE_VEC_ALL=1 to run it anyway).
# Then the end-to-end command-line latency (median of 20 runs, warm page cache, 1 thread) of
# `embedtune search` (exact, --quantized, --mode hybrid) on stores of N documents bound to
# all-MiniLM-L6-v2 (one encoded document, the rest random vectors with made-up words; built once
# under the same directory, with their index files), and of `embedtune embed` of one line, with peak
# RSS (scripts/bench/cli_latency.py).
# These machines are shared and noisy: compare within one run, and look at the minima too.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
python=${PYTHON:-python3}
scratch=${SCRATCH:-.build}
sizes=${SIZES:-"100000 1000000"}
bench_dir=${BENCH_DIR:-/tmp/embedtune-bench}
peer="$root/../shared/bench/search_sqlitevec.py"
out=$(mktemp)
trap 'rm -f "$out"' EXIT

swift build -c release --scratch-path "$scratch" --product embedtune-bench-search >&2
swift build -c release --scratch-path "$scratch" --product embedtune >&2
bin="$scratch/release/embedtune-bench-search"
cli="$scratch/release/embedtune"
model="$root/models/all-MiniLM-L6-v2"
mkdir -p "$bench_dir"

for n in $sizes; do
    echo "search.sh: n=$n embedtune" >&2
    "$bin" --n "$n" --db "$bench_dir/search_${n}_384_7.db" | tee -a "$out"
    if [ -f "$peer" ]; then
        skip=()
        if [ "$n" -gt 100000 ] && [ -z "${SQLITE_VEC_ALL:-}" ]; then skip=(--skip-sqlite); fi
        for t in 1 2; do
            echo "search.sh: n=$n peers, $t thread(s)" >&2
            extra=("${skip[@]}")
            [ "$t" -eq 2 ] && extra=(--skip-sqlite)
            "$python" "$peer" --n "$n" --threads "$t" "${extra[@]}" | tee -a "$out"
        done
    else
        echo "search.sh: $peer not found; peers skipped" >&2
    fi
done

# End to end from the shell: stores bound to the real model (one encoded document, the rest random
# vectors with made-up words), searched by `embedtune search` as a user would.
cli_dbs=()
for n in $sizes; do
    db="$bench_dir/cli_${n}.db"
    if [ ! -f "$db" ]; then
        echo "search.sh: building $db" >&2
        printf '{"id": "seed", "text": "exercise improves heart health"}\n' > "$bench_dir/seed.jsonl"
        "$cli" encode --model "$model" --input "$bench_dir/seed.jsonl" --db "$db" >&2
    fi
    "$bin" --fill-store "$db" --n "$n" >&2
    cli_dbs+=("$db")
done
echo "search.sh: end-to-end command-line latency" >&2
"$python" "$root/scripts/bench/cli_latency.py" "$cli" "$model" "${cli_dbs[@]}" | tee -a "$out"

"$python" - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
ours = {r["n"]: r for r in rows if "exact_1t_median_ms" in r}
peers = {}
for r in rows:
    if "numpy_single" in r:
        peers[(r["n"], r["threads"])] = r
print()
print(f"{'n':>8} {'threads':>7}  {'program':<40} {'median ms':>10} {'min ms':>8} {'recall@10':>9} {'vs exact f32':>12}")
for n, o in sorted(ours.items()):
    for t in (1, 2):
        base = o[f"exact_{t}t_median_ms"]
        line = lambda name, med, mn="", rec="": print(
            f"{n:>8} {t:>7}  {name:<40} {med:>10.3f} {mn if mn == '' else format(mn, '.3f'):>8} {rec if rec == '' else format(rec, '.4f'):>9} {med / base:>11.2f}x")
        line("embedtune exact float32 full scan", base, o[f"exact_{t}t_min_ms"], 1.0)
        line("embedtune exact, int8-bounded" + ("" if o["bounded_identical_to_exact"] else " (DIFFERS!)"),
             o[f"bounded_{t}t_median_ms"], o[f"bounded_{t}t_min_ms"], 1.0 if o["bounded_identical_to_exact"] else 0.0)
        line("embedtune int8 + rescore", o[f"quantized_{t}t_median_ms"], o[f"quantized_{t}t_min_ms"], o["quantized_recall_at_k"])
        line("embedtune 4-bit + rescore (--quantized)", o[f"nibble_{t}t_median_ms"], o[f"nibble_{t}t_min_ms"], o["nibble_recall_at_k"])
        line("embedtune gemm batch (per query)", o[f"batch_{t}t_per_query_ms"], "", o[f"batch_{t}t_recall_at_k"])
        p = peers.get((n, t))
        if p:
            line("numpy X @ q", p["numpy_single"]["median_ms"], p["numpy_single"]["min_ms"])
            line("numpy batch (per query)", p["numpy_batch100"]["per_query_ms"])
            if "faiss_flatip_single" in p:
                f = p["faiss_flatip_single"]
                line("faiss IndexFlatIP", f["median_ms"], f["min_ms"], f["recall"])
                line("faiss batch (per query)", p["faiss_flatip_batch100"]["per_query_ms"])
            if "sqlitevec_knn" in p:
                s = p["sqlitevec_knn"]
                line("sqlite-vec vec0", s["median_ms"], s["min_ms"], s["recall"])
cli = [r for r in rows if r.get("bench") == "cli"]
if cli:
    print()
    print(f"{'end to end (1 thread, warm cache)':<44} {'median ms':>10} {'min ms':>8} {'peak RSS MiB':>13}")
    for r in cli:
        name = r["command"] + (f"  [{r['db']}]" if "db" in r else "")
        print(f"{name:<44} {r['median_ms']:>10.1f} {r['min_ms']:>8.1f} {r['max_rss_mib']:>13.1f}")
print("\n'vs exact f32' = median / embedtune exact float32 full-scan median at the same n and threads (< 1: faster).")
for n, o in sorted(ours.items()):
    print(f"n={n}: int8-bounded exact search identical to the full scan: {o['bounded_identical_to_exact']}, "
          f"{o['bounded_rescored_rows_per_query']:.0f} rows rescored in float32 per query")
PY
