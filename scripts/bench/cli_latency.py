"""End-to-end command-line latency of `embedtune search` (and `embed` of one line), as a user in a
shell sees it: process start, model load, query encoding, scan, printing.

Usage: cli_latency.py EMBEDTUNE_BINARY MODEL_DIR DB [DB ...] [--runs 20]

Each command runs once to warm the page cache, then --runs times; prints one JSON line per command
with the median and minimum wall time (ms) and the peak RSS (MiB, from wait4). One thread
(--threads 1) throughout.
"""
import json
import os
import statistics
import subprocess
import sys
import time


def measure(argv, runs, stdin=None):
    times, rss = [], []
    for i in range(runs + 1):
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if stdin:
            proc.stdin.write(stdin.encode())
            proc.stdin.close()
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        err = proc.stderr.read().decode()
        proc.stderr.close()
        if status != 0:
            sys.exit(f"cli_latency: {' '.join(argv)} failed: {err}")
        if i == 0:
            if err.strip():
                print(f"cli_latency: note from {argv[1]}: {err.strip()}", file=sys.stderr)
            continue  # warm-up
        times.append(elapsed * 1e3)
        rss.append(usage.ru_maxrss / 1024)
    return {"median_ms": round(statistics.median(times), 1), "min_ms": round(min(times), 1),
            "max_rss_mib": round(max(rss), 1)}


def main():
    args = sys.argv[1:]
    runs = 20
    if "--runs" in args:
        i = args.index("--runs")
        runs = int(args[i + 1])
        del args[i:i + 2]
    binary, model, dbs = args[0], args[1], args[2:]
    row = {"bench": "cli", "command": "embed one line"}
    row.update(measure([binary, "embed", "--model", model, "--threads", "1"], runs, stdin="effects of exercise on heart health\n"))
    print(json.dumps(row), flush=True)
    query = "effects of exercise on heart health w123 w4567"
    for db in dbs:
        for name, extra in (("exact", []), ("--quantized", ["--quantized"]), ("hybrid", ["--mode", "hybrid"])):
            row = {"bench": "cli", "db": os.path.basename(db), "command": f"search {name}"}
            row.update(measure([binary, "search", "--db", db, "--threads", "1", *extra, query], runs))
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
