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
# CLI's reference embeddings again through the portable C/BLAS path, the AVX2 path and every AVX-512 level
# below the CPU's best (the run above took the best): on a CPU with AVX512-BF16 also avx512 and avx512-vnni.
paths="portable avx2"
runs() { echo x | EMBEDTUNE_CPU=$1 .build/release/embedtune tokenize --model models/all-MiniLM-L6-v2 > /dev/null 2>&1; }
for level in avx512 avx512-vnni; do
    next=$([ "$level" = avx512 ] && echo avx512-vnni || echo avx512-bf16)
    if runs "$level" && runs "$next"; then paths="$paths $level"; fi
done
echo "forced CPU paths: $paths"
for path in $paths; do
    EMBEDTUNE_CPU=$path swift test -c release -Xswiftc -enable-testing --skip-build \
        --filter 'CPUPathTests|DropoutTests|PackedLoRATests|AttentionTrainKernelTests|ConcurrentEncoderTests|ComputeContextTests|VectorKernelPathTests|FastMathTests|InferenceKernelTests|ReducedPrecisionLinearTests|MiniLMParityTests|ReducedPrecisionParityTests|GradientCheckTests|WholeModelGradientTests'
done
