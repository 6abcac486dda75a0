#!/usr/bin/env bash
# Tokenizer throughput: EmbedTune's BERT WordPiece vs Hugging Face `tokenizers` (Rust, encode_batch, one thread),
# same corpus, same truncation (256, sentence-transformers' max_seq_length), same run.
#
# Usage: scripts/bench/tokenize.sh [REPEAT]        (from anywhere; REPEAT passes over the corpus, default 5)
# Environment: PYTHON (default python3, needs `pip install tokenizers`), MODEL (default models/all-MiniLM-L6-v2),
#              CORPUS (default ../shared/bench/corpus.txt, relative to the repository root), SCRATCH (build dir).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-python3}
MODEL=${MODEL:-models/all-MiniLM-L6-v2}
CORPUS=${CORPUS:-../shared/bench/corpus.txt}
REPEAT=${1:-5}
SCRATCH=${SCRATCH:-.build}

swift build -c release --scratch-path "$SCRATCH" --product embedtune >&2
BIN="$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/embedtune"

ours=$("$BIN" tokenize --model "$MODEL" --max-length 256 --count-only --repeat "$REPEAT" < "$CORPUS")

hf=$(RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false "$PY" - "$MODEL" "$CORPUS" "$REPEAT" <<'PYEOF'
import json, sys, time
from tokenizers import Tokenizer
model, corpus, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
tok = Tokenizer.from_file(f"{model}/tokenizer.json")
tok.no_padding()
tok.enable_truncation(256)
with open(corpus, encoding="utf-8", errors="replace") as f:
    lines = [line.rstrip("\n").rstrip("\r") for line in f]
tokens = 0
start = time.perf_counter()
for _ in range(repeat):
    tokens += sum(len(e.ids) for e in tok.encode_batch(lines))
seconds = time.perf_counter() - start
print(json.dumps({"lines": len(lines) * repeat, "tokens": tokens, "seconds": seconds, "tokens_per_second": tokens / seconds}))
PYEOF
)

"$PY" - "$ours" "$hf" <<'PYEOF'
import json, sys
ours, hf = json.loads(sys.argv[1]), json.loads(sys.argv[2])
if ours["tokens"] != hf["tokens"]:
    print(f"warning: token counts differ: ours {ours['tokens']}, tokenizers {hf['tokens']}", file=sys.stderr)
print(f"embedtune   {ours['tokens_per_second']:>14,.0f} tokens/s  ({ours['tokens']:,} tokens, {ours['seconds']:.3f} s)")
print(f"tokenizers  {hf['tokens_per_second']:>14,.0f} tokens/s  ({hf['tokens']:,} tokens, {hf['seconds']:.3f} s, 1 thread)")
print(f"ratio       {ours['tokens_per_second'] / hf['tokens_per_second']:.2f}x")
PYEOF
