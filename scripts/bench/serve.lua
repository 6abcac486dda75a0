-- wrk script for scripts/bench/serve.sh: POST one single-sentence /v1/embeddings request per call,
-- cycling through a few sentences; done() prints one machine-readable summary line.
local sentences = {
  "How do I create a directory with parents in one command?",
  "The quick brown fox jumps over the lazy dog near the river bank.",
  "Semantic search ranks documents by the cosine similarity of their embeddings.",
  "A fine-tuned encoder maps questions and answers close together.",
  "Remove a file only if it is older than seven days.",
  "The meeting was moved to Thursday afternoon because of the holiday.",
  "List the open network sockets and the processes that own them.",
  "Contrastive learning pulls positives together and pushes negatives apart.",
}
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

request = function()
  i = i % #sentences + 1
  return wrk.format(nil, "/v1/embeddings", nil, '{"input":"' .. sentences[i] .. '","model":"bench"}')
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_s=%.3f rps=%.1f p50_ms=%.2f p99_ms=%.2f non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, e.status, e.connect, e.read, e.write, e.timeout))
end
