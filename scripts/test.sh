#!/usr/bin/env bash
# The test command for a fresh machine: installs what is missing (scripts/setup.sh), builds, runs every test.
# Tests run in an optimised build because they push real models through the encoder.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
python3 scripts/check-architecture.py   # docs/architecture.md, Package.swift and the imports agree
swift build -c release -Xswiftc -enable-testing --build-tests
swift test -c release -Xswiftc -enable-testing --skip-build
# The forced CPU paths (EMBEDTUNE_CPU): the kernels, the MiniLM parity tests, the gradient checks and the
# CLI's reference embeddings again through the portable C/BLAS path and the AVX2 path.
for path in portable avx2; do
    EMBEDTUNE_CPU=$path swift test -c release -Xswiftc -enable-testing --skip-build \
        --filter 'CPUPathTests|DropoutTests|PackedLoRATests|AttentionTrainKernelTests|ConcurrentEncoderTests|ComputeContextTests|VectorKernelPathTests|FastMathTests|InferenceKernelTests|ReducedPrecisionLinearTests|MiniLMParityTests|ReducedPrecisionParityTests|GradientCheckTests|WholeModelGradientTests'
done
