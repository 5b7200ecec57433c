#!/usr/bin/python3
"""FLOPs of one ControlNet training step for a preset, counted on the PyTorch peer's modules: every
conv, linear and attention matmul of the forward passes (multiply-add = 2 FLOPs), then the usual
accounting for backward: 2x forward for modules with trained weights (ControlNet), 1x for frozen
modules that gradients flow through (UNet), 0 for encoders under no_grad (VAE, CLIP).
Usage: flops.py PRESET BATCH -> one JSON line."""
import json
import sys

import torch
import torch.nn as nn

import peers.torch_step as ts

ref = ts.ref


def count(module, run):
    total = [0]

    def conv_hook(m, inp, out):
        total[0] += 2 * out.numel() * m.in_channels * m.kernel_size[0] * m.kernel_size[1] // m.groups

    def linear_hook(m, inp, out):
        total[0] += 2 * out.numel() * m.in_features

    hooks = []
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(linear_hook))
    original_attend = ref.Attention.attend
    original_clip = ref.CLIPAttention.forward

    def attend(self, x, ctx):
        n, l, _ = x.shape
        total[0] += 2 * 2 * n * l * ctx.shape[1] * self.to_q.out_features  # q k^T and probs v
        return original_attend(self, x, ctx)

    def clip_forward(self, x, mask):
        n, l, d = x.shape
        total[0] += 2 * 2 * n * l * l * d
        return original_clip(self, x, mask)

    ref.Attention.attend, ref.CLIPAttention.forward = attend, clip_forward
    try:
        with torch.no_grad():
            run()
    finally:
        ref.Attention.attend, ref.CLIPAttention.forward = original_attend, original_clip
        for h in hooks:
            h.remove()
    return total[0]


def main():
    preset, batch = sys.argv[1], int(sys.argv[2])
    p, unet, cn, vae, text = ts.build(preset)
    size = p["image"]
    images = torch.rand(batch, 3, size, size) * 2 - 1
    hints = torch.rand(batch, 3, size, size)
    ids = torch.randint(0, p["text"]["vocab_size"], (batch, 77))
    with torch.no_grad():
        latents = vae.encode_mean(images)
        ctx = text(ids)
    t = torch.full((batch,), 500.0)
    enc = count(vae, lambda: vae.encode_mean(images)) + count(text, lambda: text(ids))
    cn_f = count(cn, lambda: cn(latents, t, ctx, hints))
    down, mid = cn(latents, t, ctx, hints)
    unet_f = count(unet, lambda: unet(latents, t, ctx, down, mid))
    step = enc + 3 * cn_f + 2 * unet_f
    print(json.dumps({"preset": preset, "batch": batch, "forward_gflop": {"encoders": enc / 1e9, "controlnet": cn_f / 1e9, "unet": unet_f / 1e9},
                      "train_step_gflop": step / 1e9}))


if __name__ == "__main__":
    main()
