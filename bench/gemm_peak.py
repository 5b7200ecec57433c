#!/usr/bin/python3
"""The box's measured fp32 GEMM peak: the best of several square matmuls in PyTorch (Debian's build,
OpenBLAS). Usage: gemm_peak.py THREADS -> one JSON line with gflops."""
import json
import sys
import time

import torch

torch.set_num_threads(int(sys.argv[1]))
best = 0.0
for n in (512, 1024, 2048):
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(2):
        a @ b
    reps = max(3, int(2e10 / (2 * n ** 3)))
    start = time.perf_counter()
    for _ in range(reps):
        a @ b
    best = max(best, 2 * n ** 3 * reps / (time.perf_counter() - start) / 1e9)
print(json.dumps({"impl": "pytorch-gemm", "threads": int(sys.argv[1]), "gflops": best}))
