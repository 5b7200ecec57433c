#!/usr/bin/env python3
"""Minimal PyTorch repro for upstream: conv2d input gradients in float32 against float64 on the same inputs.

On a 2-core AMD EPYC with AVX-512 (avx512_bf16), PyTorch 2.7.1's bundled oneDNN v3.7.1 gave float32 input gradients
14-85% wrong, sometimes NaN, whenever the output-channel count was not a multiple of 16 (SD1.5's conv_out 320->4 was 34%
wrong), while forward values and weight gradients matched float64 to about 1e-7. ONEDNN_MAX_CPU_ISA=SSE41 made them
right; AVX2 did not. Debian's torch 1.13 was right on the same machine. cnf pads such convolutions to 16 output channels
while autograd records (model/.../nn/Conv2dLayer.java); NumericsTest checks every op of its presets this way.

Usage: python3 onednn_conv_backward.py            (exit 1 when any case is off by more than 1e-4)
       ONEDNN_VERBOSE=1 python3 onednn_conv_backward.py   shows the kernels (jit:avx512_core backward_data, ...)
Report with: torch.__version__, torch.backends.mkldnn.is_available(), lscpu flags, and this script's output.
"""
import sys

import torch
import torch.nn.functional as F

CASES = [  # (in, out, size): SD1.5 conv_out, tiny-sd's and tiny's output convs, then multiples of 16 for contrast
    (320, 4, 64), (32, 4, 16), (32, 12, 16), (32, 3, 64), (8, 8, 32), (32, 16, 16), (320, 320, 32),
]


def grads(dtype, cin, cout, size, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(2, cin, size, size, generator=g, dtype=torch.float64)
    w = torch.randn(cout, cin, 3, 3, generator=g, dtype=torch.float64) * 0.1
    b = torch.zeros(cout, dtype=torch.float64)
    u = torch.randn(2, cout, size, size, generator=g, dtype=torch.float64)
    x, w, b = (t.to(dtype).requires_grad_() for t in (x, w, b))
    y = F.conv2d(x, w, b, padding=1)
    (y * u.to(dtype)).sum().backward()
    return y.detach().double(), x.grad.double(), w.grad.double()


def rel(a, b):
    return ((a - b).norm() / b.norm()).item()


def main():
    print("torch", torch.__version__, "mkldnn", torch.backends.mkldnn.is_available(), "threads", torch.get_num_threads())
    bad = 0
    for cin, cout, size in CASES:
        for seed in range(3):
            y32, gx32, gw32 = grads(torch.float32, cin, cout, size, seed)
            y64, gx64, gw64 = grads(torch.float64, cin, cout, size, seed)
            errs = rel(y32, y64), rel(gx32, gx64), rel(gw32, gw64)
            wrong = not all(e <= 1e-4 for e in errs)  # NaN counts as wrong
            bad += wrong
            print(f"conv {cin:4d}->{cout:4d} at {size:3d}px seed {seed}: relative error output {errs[0]:.1e} "
                  f"input grad {errs[1]:.1e} weight grad {errs[2]:.1e}{'  WRONG' if wrong else ''}")
    print(f"{bad} wrong")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
