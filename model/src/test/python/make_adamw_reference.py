#!/usr/bin/python3
"""Reference values for NnSemanticsTest.adamWMatchesTorchOverSeveralSteps: torch.optim.AdamW, float32, five steps.

Gradient at step t (1-based) is g_t = [0.5, -0.1 * t, 0.02 * t * t, 3.0 / t, -2.0]: sign changes and sizes apart, so
the moments' decay (betas) and both bias corrections move the result. Run with any PyTorch (checked with Debian's
1.13 and 2.7.1): python3 make_adamw_reference.py
"""
import torch

p = torch.nn.Parameter(torch.tensor([1.0, -0.5, 0.25, 2.0, 0.0], dtype=torch.float32))
opt = torch.optim.AdamW([p], lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
print("torch", torch.__version__)
for t in range(1, 6):
    p.grad = torch.tensor([0.5, -0.1 * t, 0.02 * t * t, 3.0 / t, -2.0], dtype=torch.float32)
    opt.step()
    print("{" + ", ".join(f"{v:.9g}f" for v in p.detach().tolist()) + "},")
