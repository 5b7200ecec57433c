#!/usr/bin/python3
"""Peer for cnf's training-step and sampling benchmarks: PyTorch eager (Debian's python3-torch) on the
same shapes as cnf's DJL code. The modules are the ones the parity test checks the Java blocks against
(model/src/test/python/make_parity_reference.py: diffusers' modules restated in plain PyTorch).

train: one ControlNet training step = frozen VAE encode + CLIP text (no grad), noise at uniform timesteps,
       ControlNet forward + frozen UNet forward, epsilon MSE, backward, clip_grad_norm_(1.0), AdamW step.
sample: DDIM 20 steps with classifier-free guidance (conditional and unconditional in one batch),
       ControlNet at scale 1.0, then VAE decode.

Usage: torch_step.py train|sample PRESET BATCH STEPS THREADS [DEVICE [PRECISION [ATTENTION]]] -> one JSON line.
PRESET: tiny-sd | mid-sd | sd15. DEVICE: cpu (default) | cuda. PRECISION: fp32 (default) | bf16, diffusers'
train_controlnet.py recipe: VAE, UNet and text encoder stored in bf16, the ControlNet in fp32 under torch.autocast,
the loss on float32 copies. ATTENTION: explicit (default; softmax(q k^T) v as cnf computes it) | sdpa
(F.scaled_dot_product_attention, PyTorch's fused kernels: what DJL's API cannot call).
"""
import contextlib
import json
import math
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "model", "src", "test", "python"))
import make_parity_reference as ref  # noqa: E402

PRESETS = {
    # StableDiffusionConfig.tinySd() in Java
    "tiny-sd": dict(image=64, unet=dict(sample_size=16, in_channels=4, out_channels=4, block_out_channels=[32, 64],
                    down_block_types=["CrossAttnDownBlock2D", "DownBlock2D"], up_block_types=["UpBlock2D", "CrossAttnUpBlock2D"],
                    layers_per_block=2, cross_attention_dim=32, attention_head_dim=[2, 4], norm_num_groups=8, norm_eps=1e-5),
                    hint=[8, 16, 32], vae=dict(in_channels=3, out_channels=3, latent_channels=4, block_out_channels=[16, 32, 32],
                    layers_per_block=1, norm_num_groups=8, scaling_factor=0.18215),
                    text=dict(vocab_size=1000, hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
                              max_position_embeddings=77, hidden_act="quick_gelu", layer_norm_eps=1e-5)),
    # StableDiffusionConfig.midSd() in Java: SD1.5's layout at a quarter of its widths, 128 px images
    "mid-sd": dict(image=128, unet=dict(sample_size=16, in_channels=4, out_channels=4, block_out_channels=[80, 160, 320, 320],
                   down_block_types=["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
                   up_block_types=["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
                   layers_per_block=2, cross_attention_dim=192, attention_head_dim=[8, 8, 8, 8], norm_num_groups=16, norm_eps=1e-5),
                   hint=[16, 32, 96, 256], vae=dict(in_channels=3, out_channels=3, latent_channels=4, block_out_channels=[32, 64, 128, 128],
                   layers_per_block=1, norm_num_groups=16, scaling_factor=0.18215),
                   text=dict(vocab_size=49408, hidden_size=192, intermediate_size=768, num_hidden_layers=4, num_attention_heads=4,
                             max_position_embeddings=77, hidden_act="quick_gelu", layer_norm_eps=1e-5)),
    # StableDiffusionConfig.sd15() in Java: SD1.5 itself at 512 px (64x64 latents)
    "sd15": dict(image=512, unet=dict(sample_size=64, in_channels=4, out_channels=4, block_out_channels=[320, 640, 1280, 1280],
                 down_block_types=["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
                 up_block_types=["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
                 layers_per_block=2, cross_attention_dim=768, attention_head_dim=[8, 8, 8, 8], norm_num_groups=32, norm_eps=1e-5),
                 hint=[16, 32, 96, 256], vae=dict(in_channels=3, out_channels=3, latent_channels=4, block_out_channels=[128, 256, 512, 512],
                 layers_per_block=2, norm_num_groups=32, scaling_factor=0.18215),
                 text=dict(vocab_size=49408, hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                           max_position_embeddings=77, hidden_act="quick_gelu", layer_norm_eps=1e-5)),
}


def use_sdpa():
    """Swaps the reference attention for PyTorch's fused scaled_dot_product_attention (same maths)."""
    def attend(self, x, ctx):
        q, k, v = self.to_q(x), self.to_k(ctx), self.to_v(ctx)
        n, l, inner = q.shape
        d = inner // self.heads
        split = lambda t: t.reshape(n, -1, self.heads, d).transpose(1, 2)
        o = F.scaled_dot_product_attention(split(q), split(k), split(v)).transpose(1, 2).reshape(n, l, inner)
        return self.to_out[0](o)
    ref.Attention.attend = attend


def build(preset):
    p = PRESETS[preset]
    cn_cfg = dict(p["unet"], conditioning_channels=3, conditioning_embedding_out_channels=p["hint"])
    unet, cn = ref.UNet2DConditionModel(p["unet"]), ref.ControlNetModel(cn_cfg)
    vae, text = ref.AutoencoderKL(p["vae"]), ref.CLIPTextModel(p["text"])
    for m in (unet, vae, text):
        m.requires_grad_(False)
        m.eval()
    return p, unet, cn, vae, text


def main():
    mode, preset, batch, steps, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    device = sys.argv[6] if len(sys.argv) > 6 else "cpu"
    precision = sys.argv[7] if len(sys.argv) > 7 else "fp32"
    attention = sys.argv[8] if len(sys.argv) > 8 else "explicit"
    if attention == "sdpa":
        use_sdpa()
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    p, unet, cn, vae, text = build(preset)
    half = torch.bfloat16 if precision == "bf16" else None
    for m in (unet, vae, text):
        m.to(device=device, dtype=half)
    cn.to(device)
    size = p["image"]
    images = (torch.rand(batch, 3, size, size) * 2 - 1).to(device, half)
    hints = torch.rand(batch, 3, size, size).to(device)
    ids = torch.randint(0, p["text"]["vocab_size"], (batch, 77)).to(device)
    ac = ref.alphas_cumprod().to(device)
    autocast = (lambda: torch.autocast(device, dtype=half)) if half is not None else contextlib.nullcontext
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    params = sum(x.numel() for m in (unet, cn, vae, text) for x in m.parameters())
    if mode == "sample" and (device != "cpu" or half is not None):
        sys.exit("torch_step.py: sampling runs on cpu in fp32 only")
    if mode == "train":
        opt = torch.optim.AdamW(cn.parameters(), lr=1e-4, weight_decay=1e-2)

        def step():
            with torch.no_grad():
                latents = vae.encode_mean(images)
                ctx = text(ids)
            noise = torch.randn_like(latents)
            t = torch.randint(0, 1000, (batch,), device=device)
            a = ac[t].view(-1, 1, 1, 1)
            noisy = (a.sqrt() * latents + (1 - a).sqrt() * noise).to(latents.dtype)
            with autocast():
                down, mid = cn(noisy, t.float(), ctx, hints.to(latents.dtype))
                if half is not None:
                    down, mid = [d.to(half) for d in down], mid.to(half)
                pred = unet(noisy, t.float(), ctx, down, mid)
            loss = F.mse_loss(pred.float(), noise.float())
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(cn.parameters(), 1.0)
            opt.step()
        unit = "ms_per_step"
    else:
        def step():
            with torch.no_grad():
                ctx = text(torch.cat([torch.full_like(ids, p["text"]["vocab_size"] - 1), ids]))
                lat = torch.randn(batch, 4, size // 4 if preset == "tiny-sd" else size // 8, size // 4 if preset == "tiny-sd" else size // 8)
                cond = torch.cat([hints, hints])
                ratio = 1000 // 20
                for i in range(20):
                    t = (19 - i) * ratio + 1
                    x = torch.cat([lat, lat])
                    ts = torch.full((2 * batch,), float(t))
                    down, mid = cn(x, ts, ctx, cond)
                    eps = unet(x, ts, ctx, down, mid)
                    e_u, e_c = eps.chunk(2)
                    lat = ref.ddim_step(e_u + 9.0 * (e_c - e_u), t, lat)
                vae.decode(lat)
        unit = "ms_per_batch"
    for _ in range(2):
        step()
    sync()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    sync()
    ms = (time.perf_counter() - start) * 1000 / steps
    out = {"impl": "pytorch-eager", "torch": torch.__version__, "mode": mode, "preset": preset, "batch": batch, "steps": steps,
           "threads": threads, unit: ms, "params": params,
           "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, "device": device, "precision": precision,
           "attention": attention}
    if device == "cuda":
        out["gpu"] = torch.cuda.get_device_name()
        out["peak_gpu_mib"] = torch.cuda.max_memory_allocated() // 2**20
    if mode == "sample":
        out["ms_per_image"] = ms / batch
    print(json.dumps(out))


if __name__ == "__main__":
    main()
