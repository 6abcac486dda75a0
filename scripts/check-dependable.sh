#!/usr/bin/env bash
# Shows that other packages can depend on EmbedTune at a version: a scratch package in a temporary
# directory depends on a tagged clone of this repository's HEAD through `.package(url:from:)`
# (SwiftPM refuses that for a package whose products use unsafe flags), builds in release, and
# encodes a sentence with the default model, printing its dimension and norm.
#
#   scripts/check-dependable.sh [MODEL_DIR]      # default models/all-MiniLM-L6-v2
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
model=$(cd "${1:-$root/models/all-MiniLM-L6-v2}" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git clone -q "$root" "$tmp/embedtune"
git -C "$tmp/embedtune" tag 1.0.0
mkdir -p "$tmp/consumer/Sources/Consumer"
cat > "$tmp/consumer/Package.swift" <<SWIFT
// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Consumer",
    dependencies: [.package(url: "file://$tmp/embedtune", from: "1.0.0")],
    targets: [
        .executableTarget(name: "Consumer", dependencies: [.product(name: "EmbedTune", package: "embedtune")]),
    ]
)
SWIFT
cat > "$tmp/consumer/Sources/Consumer/main.swift" <<'SWIFT'
import Encoder
import Foundation

let encoder = try SentenceEncoder(modelDirectory: URL(fileURLWithPath: CommandLine.arguments[1]))
let embedding = encoder.encode(["A package that depends on EmbedTune at a version."])
let norm = embedding.reduce(0) { $0 + $1 * $1 }.squareRoot()
print("dimension \(embedding.count) norm \(norm)")
SWIFT
cd "$tmp/consumer"
swift build -c release >&2
./.build/release/Consumer "$model"
