#!/usr/bin/env bash
# The test command for a fresh machine: installs what is missing (scripts/setup.sh), builds, runs every test.
# Tests run in an optimised build because they push real models through the encoder.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
swift build -c release -Xswiftc -enable-testing --build-tests
swift test -c release -Xswiftc -enable-testing --skip-build
