#!/usr/bin/env python3
# Checks that safetensors and .npy files interoperate with Python in both directions.
# Run from the repository root:  ${PYTHON:-python3} scripts/reference/check_safetensors_roundtrip.py
# Needs: pip install torch safetensors numpy (and a Swift toolchain; SCRATCH picks the build directory).
#
# 1. Writes python.safetensors with safetensors.torch (F32, F16, BF16, I64 tensors) and, for each tensor,
#    expected_<name>.npy holding its float32 values (torch's own conversion).
# 2. Runs the Swift suite SafeTensorsInteropTests with EMBEDTUNE_INTEROP_DIR pointing there: it reads
#    python.safetensors and compares bit for bit, and writes swift.safetensors and swift.npy.
# 3. Loads those with safetensors.numpy.load_file / safe_open and numpy.load and checks their values.
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from safetensors import safe_open
from safetensors.numpy import load_file
from safetensors.torch import save_file

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
work = tempfile.mkdtemp(prefix="embedtune-interop-")

generator = torch.Generator().manual_seed(0)
base = torch.randn(4, 6, generator=generator)
special = torch.tensor([0.0, -0.0, float("inf"), float("-inf"), float("nan"), 6.0e-8, 1.0e-40, 65504.0])
tensors = {
    "f32.weight": base,
    "f16.weight": base.to(torch.float16),
    "f16.special": special.to(torch.float16),
    "bf16.weight": base.to(torch.bfloat16),
    "bf16.special": special.to(torch.bfloat16),
    "position_ids": torch.arange(512, dtype=torch.int64).reshape(1, 512),
}
save_file(tensors, os.path.join(work, "python.safetensors"), metadata={"format": "pt"})
for name, tensor in tensors.items():
    np.save(os.path.join(work, f"expected_{name}.npy"), tensor.float().numpy())

scratch = os.environ.get("SCRATCH", ".build")
env = dict(os.environ, EMBEDTUNE_INTEROP_DIR=work)
subprocess.run(["swift", "test", "--scratch-path", scratch, "--filter", "SafeTensorsInteropTests"],
               cwd=root, env=env, check=True)

loaded = load_file(os.path.join(work, "swift.safetensors"))
weight = (np.arange(12, dtype=np.float32) * np.float32(0.25) - np.float32(1)).reshape(3, 4)
bias = np.array([-0.0, np.inf, np.float32(1.4e-45), np.float32(1) / np.float32(3)], dtype=np.float32)
assert sorted(loaded) == ["layer.bias", "layer.weight"], sorted(loaded)
assert loaded["layer.weight"].dtype == np.float32 and loaded["layer.weight"].shape == (3, 4)
assert np.array_equal(loaded["layer.weight"].view(np.uint32), weight.view(np.uint32))
assert np.array_equal(loaded["layer.bias"].view(np.uint32), bias.view(np.uint32)), loaded["layer.bias"]
with safe_open(os.path.join(work, "swift.safetensors"), framework="np") as handle:
    assert handle.metadata() == {"format": "pt"}, handle.metadata()

embeddings = np.load(os.path.join(work, "swift.npy"))
expected = (np.arange(15, dtype=np.float32) * np.float32(0.1)).reshape(5, 3)
assert embeddings.dtype == np.float32 and embeddings.shape == (5, 3), (embeddings.dtype, embeddings.shape)
assert np.array_equal(embeddings, expected), embeddings

print(f"interop OK: Swift read {len(tensors)} torch-written tensors bit-exactly; "
      f"safetensors.numpy and numpy.load read Swift's files ({work})")
sys.exit(0)
