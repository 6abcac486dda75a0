#!/usr/bin/env bash
# The main job on the built-in default, for a fresh machine: installs what is missing, builds the release
# binary, embeds a few sample sentences with all-MiniLM-L6-v2 and prints their cosine similarities.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
echo "quickstart: building (release)" >&2
swift build -c release --product embedtune >&2
bin=.build/release/embedtune
mkdir -p data
cat > data/quickstart-sentences.txt <<'TXT'
How do I create a new directory?
mkdir makes directories, creating parents with -p.
Copy files and directories from one place to another.
The cat sat on the warm windowsill all afternoon.
A kitten was sleeping in the sun by the window.
TXT
echo "quickstart: embedding data/quickstart-sentences.txt with models/all-MiniLM-L6-v2" >&2
"$bin" embed --model models/all-MiniLM-L6-v2 --output data/quickstart-embeddings.npy < data/quickstart-sentences.txt
python3 - <<'PY'
import struct
lines = open("data/quickstart-sentences.txt", encoding="utf-8").read().splitlines()
raw = open("data/quickstart-embeddings.npy", "rb").read()
header_len = struct.unpack("<H", raw[8:10])[0]
values = struct.unpack(f"<{(len(raw) - 10 - header_len) // 4}f", raw[10 + header_len:])
d = len(values) // len(lines)
vec = [values[i * d:(i + 1) * d] for i in range(len(lines))]
print("cosine similarity (embeddings are L2-normalised):")
for i, a in enumerate(lines):
    best = max((j for j in range(len(lines)) if j != i), key=lambda j: sum(x * y for x, y in zip(vec[i], vec[j])))
    row = " ".join(f"{sum(x * y for x, y in zip(vec[i], vec[j])):5.2f}" for j in range(len(lines)))
    print(f"  {row}   {a[:50]:<50}  nearest: {lines[best][:40]}")
PY
