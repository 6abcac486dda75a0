#!/usr/bin/env bash
# Load test of `embedtune serve` on loopback: wrk (Debian) sends single-sentence POST /v1/embeddings
# requests with 50 concurrent connections for 30 s, then with 1 connection (one request at a time), to
# the same server running all-MiniLM-L6-v2 (--model only, no database). Prints requests/s, p50/p99
# latency and errors of both runs, the batch sizes the server ran, and the throughput ratio
# (target: >= 3x with zero errors). Stops the server at the end.
#   scripts/bench/serve.sh     # env: MODEL=dir PORT=18080 DURATION=30s CONNECTIONS=50 TIMEOUT=10s SERVE_ARGS="--threads 1"
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL=${MODEL:-models/all-MiniLM-L6-v2}
PORT=${PORT:-18080}
DURATION=${DURATION:-30s}
CONNECTIONS=${CONNECTIONS:-50}
TIMEOUT=${TIMEOUT:-10s}  # wrk counts a response slower than this as an error (its default, 2 s, is tight on a busy 2-core box)
SCRATCH=${SCRATCH_PATH:-.build}
command -v wrk >/dev/null || { sudo -n true 2>/dev/null && SUDO=sudo || SUDO=; $SUDO apt-get install -y wrk >&2; }
swift build -c release --product embedtune --scratch-path "$SCRATCH" >&2
BIN="$SCRATCH/release/embedtune"
URL="http://127.0.0.1:$PORT"
LOG=$(mktemp)

# shellcheck disable=SC2086  # SERVE_ARGS: extra serve options, e.g. "--threads 1 --batch-window-ms 0"
"$BIN" serve --model "$MODEL" --host 127.0.0.1 --port "$PORT" ${SERVE_ARGS:-} 2>"$LOG" &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
    curl -fs "$URL/health" >/dev/null 2>&1 && break
    kill -0 $SERVER 2>/dev/null || { cat "$LOG" >&2; exit 1; }
    sleep 0.1
done
curl -fs "$URL/health" >/dev/null
# Warm up (first passes allocate the workspace).
wrk -t1 -c4 -d3s -s scripts/bench/serve.lua "$URL" >/dev/null

batches() {  # "passes inputs" from the batch-size histogram
    curl -fs "$URL/metrics" | awk '/^embedtune_batch_inputs_count /{c=$2} /^embedtune_batch_inputs_sum /{s=$2} END{print c+0, s+0}'
}
run() {  # threads connections → the RESULT line, plus the mean batch size of the run
    sleep 2  # let requests still in flight from the previous run finish before counting passes
    read -r c0 s0 < <(batches)
    local line
    line=$(wrk -t"$1" -c"$2" -d"$DURATION" --timeout "$TIMEOUT" --latency -s scripts/bench/serve.lua "$URL" | grep '^RESULT')
    read -r c1 s1 < <(batches)
    echo "$line mean_batch=$(awk -v c=$((c1 - c0)) -v s=$((s1 - s0)) 'BEGIN{printf "%.2f", c ? s / c : 0}')"
}
echo "server: $(head -1 "$LOG")" >&2
echo "running $CONNECTIONS connections for $DURATION ..." >&2
MANY=$(run 2 "$CONNECTIONS")
echo "running 1 connection for $DURATION ..." >&2
ONE=$(run 1 1)

field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }
errors() { echo $(( $(field "$1" non2xx) + $(field "$1" connect) + $(field "$1" read) + $(field "$1" write) + $(field "$1" timeout) )); }
printf '%-14s %10s %9s %9s %8s %11s  %s\n' clients "req/s" "p50 ms" "p99 ms" errors "mean batch" "(non-2xx/connect/read/write/timeout)"
for pair in "$CONNECTIONS:$MANY" "1:$ONE"; do
    n=${pair%%:*}; r=${pair#*:}
    printf '%-14s %10s %9s %9s %8s %11s  %s\n' "$n" "$(field "$r" rps)" "$(field "$r" p50_ms)" "$(field "$r" p99_ms)" \
        "$(errors "$r")" "$(field "$r" mean_batch)" \
        "$(field "$r" non2xx)/$(field "$r" connect)/$(field "$r" read)/$(field "$r" write)/$(field "$r" timeout)"
done
ratio=$(awk -v a="$(field "$MANY" rps)" -v b="$(field "$ONE" rps)" 'BEGIN{printf "%.2f", a / b}')
echo "throughput ratio ($CONNECTIONS clients / 1 client): ${ratio}x (target >= 3x, zero errors)"
# Graceful shutdown: SIGTERM while a 512-input request is in flight; it must still get its 200.
python3 -c 'import json; print(json.dumps({"input": ["in-flight sentence number %d of the drain check" % i for i in range(512)]}))' > "$LOG.body"
queued() { curl -fs "$URL/metrics" | awk '/^embedtune_batch_queue_seconds_count /{print $2}'; }
q0=$(queued)
curl -s -o "$LOG.out" -w '%{http_code}' "$URL/v1/embeddings" --data-binary @"$LOG.body" > "$LOG.status" &
CLIENT=$!
for _ in $(seq 1 200); do [ "$(queued)" != "$q0" ] && break; sleep 0.05; done  # its first pass has begun
kill -TERM $SERVER
wait $CLIENT || true
status=0; wait $SERVER || status=$?
echo "SIGTERM with a request in flight: request answered $(cat "$LOG.status") with" \
    "$(grep -o '"index"' "$LOG.out" | wc -l) embeddings; server exit status $status"
trap - EXIT
rm -f "$LOG" "$LOG.body" "$LOG.out" "$LOG.status"
