"""Peer for cnf's training-step and sampling benchmarks on diffusers' own modules: PyTorch 2.7.1 eager (the libtorch
DJL runs) from the project virtualenv (requirements/oracles.txt), diffusers' UNet2DConditionModel, ControlNetModel,
AutoencoderKL, transformers' CLIPTextModel and DDIMScheduler, on the shapes of cnf's presets (torch_step.py's table).

train: one step as diffusers' examples/controlnet/train_controlnet.py takes it: frozen VAE encode (latent_dist.sample
       x scaling_factor) and CLIP text (no grad), noise at uniform timesteps (DDPMScheduler.add_noise), ControlNet +
       frozen UNet forward, epsilon MSE, backward, clip_grad_norm_(1.0), AdamW.
sample: DDIM 20 steps with classifier-free guidance 9.0 (both halves in one batch), ControlNet at scale 1.0, VAE decode.

Usage: diffusers_step.py train|sample PRESET BATCH STEPS THREADS [eager|compile] [WARM_UP] -> one JSON line.
WARM_UP (default 2) untimed steps first, as TrainStepBench takes them (compiled: the compilation happens there); the
pace of the first (up to) EARLY_STEPS of them is reported too.
compile: torch.compile on the UNet and the ControlNet (inductor), for reference beside eager.
CNF_BENCH_PROFILE=FILE: PyTorch's profiler over the timed steps, a Chrome trace as TrainStepBench's -Dcnf.bench.profile
writes (bench/profile_ops.py sums either).
"""
import json
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F
from diffusers import AutoencoderKL, ControlNetModel, DDIMScheduler, DDPMScheduler, UNet2DConditionModel
from transformers import CLIPTextConfig, CLIPTextModel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_step import PRESETS  # noqa: E402  the same shapes as cnf's presets

EARLY_STEPS = 40  # TrainStepBench.EARLY_STEPS
SD15_SCHEDULER = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                      timestep_spacing="leading", steps_offset=1, set_alpha_to_one=False, clip_sample=False)


def main():
    mode, preset, batch, steps, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    how = sys.argv[6] if len(sys.argv) > 6 else "eager"
    warm_up = int(sys.argv[7]) if len(sys.argv) > 7 else 2
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    p = PRESETS[preset]
    blocks = len(p["vae"]["block_out_channels"])
    unet = UNet2DConditionModel(**p["unet"])
    cn = ControlNetModel(**{k: v for k, v in p["unet"].items() if k not in ("sample_size", "out_channels", "up_block_types")},
                         conditioning_embedding_out_channels=p["hint"])
    vae = AutoencoderKL(**p["vae"], down_block_types=["DownEncoderBlock2D"] * blocks, up_block_types=["UpDecoderBlock2D"] * blocks)
    text = CLIPTextModel(CLIPTextConfig(**p["text"]))
    for m in (unet, vae, text):
        m.requires_grad_(False)
        m.eval()
    if how == "compile":
        unet, cn = torch.compile(unet), torch.compile(cn)
    size = p["image"]
    images = torch.rand(batch, 3, size, size) * 2 - 1
    hints = torch.rand(batch, 3, size, size)
    ids = torch.randint(0, p["text"]["vocab_size"], (batch, 77))
    params = sum(x.numel() for m in (unet, cn, vae, text) for x in m.parameters())
    scale = p["vae"]["scaling_factor"]
    if mode == "train":
        noise_scheduler = DDPMScheduler(**{k: v for k, v in SD15_SCHEDULER.items() if k != "set_alpha_to_one"})
        opt = torch.optim.AdamW(cn.parameters(), lr=1e-4, weight_decay=1e-2)

        def step():
            with torch.no_grad():
                latents = vae.encode(images).latent_dist.sample() * scale
                ctx = text(ids)[0]
            noise = torch.randn_like(latents)
            t = torch.randint(0, 1000, (batch,))
            noisy = noise_scheduler.add_noise(latents, noise, t)
            down, mid = cn(noisy, t, encoder_hidden_states=ctx, controlnet_cond=hints, return_dict=False)
            pred = unet(noisy, t, encoder_hidden_states=ctx, down_block_additional_residuals=down,
                        mid_block_additional_residual=mid).sample
            loss = F.mse_loss(pred.float(), noise.float())
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(cn.parameters(), 1.0)
            opt.step()
        unit = "ms_per_step"
    else:
        ddim = DDIMScheduler(**SD15_SCHEDULER)
        latent = size // 2 ** (blocks - 1)

        def step():
            with torch.no_grad():
                ctx = text(torch.cat([torch.full_like(ids, p["text"]["vocab_size"] - 1), ids]))[0]
                lat = torch.randn(batch, 4, latent, latent)
                cond = torch.cat([hints, hints])
                ddim.set_timesteps(20)
                for t in ddim.timesteps:
                    x = torch.cat([lat, lat])
                    down, mid = cn(x, t, encoder_hidden_states=ctx, controlnet_cond=cond, return_dict=False)
                    eps = unet(x, t, encoder_hidden_states=ctx, down_block_additional_residuals=down,
                               mid_block_additional_residual=mid).sample
                    e_u, e_c = eps.chunk(2)
                    lat = ddim.step(e_u + 9.0 * (e_c - e_u), t, lat).prev_sample
                vae.decode(lat / scale)
        unit = "ms_per_batch"
    early_steps, early_ms = min(EARLY_STEPS, warm_up), float("nan")
    warm_start = time.perf_counter()
    for i in range(warm_up):  # warm-up (and, compiled, the compilation)
        step()
        if i + 1 == early_steps:
            early_ms = (time.perf_counter() - warm_start) * 1000 / early_steps
    warm_ms = (time.perf_counter() - warm_start) * 1000 / warm_up
    profile = os.environ.get("CNF_BENCH_PROFILE")
    profiler = torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) if profile else None
    if profiler:
        profiler.start()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    ms = (time.perf_counter() - start) * 1000 / steps
    if profiler:
        profiler.stop()
        profiler.export_chrome_trace(profile)
    out = {"impl": "diffusers-" + how, "torch": torch.__version__, "diffusers": __import__("diffusers").__version__, "mode": mode,
           "preset": preset, "batch": batch, "steps": steps, "threads": threads, unit: ms, "params": params,
           "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}
    if mode == "sample":
        out["ms_per_image"] = ms / batch
    else:
        out["warm_up_steps"], out["warm_up_ms_per_step"] = warm_up, warm_ms
        out["early_steps"], out["early_ms_per_step"] = early_steps, early_ms
    print(json.dumps(out))


if __name__ == "__main__":
    main()
