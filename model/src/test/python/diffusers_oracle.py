"""diffusers and transformers themselves as the oracle for cnf's model library (DiffusersParityTest).

For each config set (tiny-sd, the preset; other, one that differs in every choice the configs allow), instantiates
diffusers' UNet2DConditionModel, ControlNetModel and AutoencoderKL and transformers' CLIPTextModel from config dicts,
fills them with seeded random weights (the zero convolutions too, so they are seen to work), runs them on seeded
inputs and writes, under OUT/<set>/: the four config.json files, weights/<model>.safetensors (the models' own
state_dict, diffusers' and transformers' key names) and io.safetensors (inputs, outputs, DDIM and DDPM figures from
DDIMScheduler/DDPMScheduler built from scheduler_config.json). For tiny-sd also OUT/tiny-sd/saved/<variant>/: the
four models as save_pretrained writes them (plain, variant="fp16", sharded, bf16) with their outputs. Then, for sd15, the key names and shapes of the four
models as diffusers and transformers build them (on the meta device: no weights, no memory) in OUT/sd15-keys.json.

Usage: diffusers_oracle.py OUT
"""
import copy
import json
import os
import sys

import torch
from accelerate import init_empty_weights
from diffusers import AutoencoderKL, ControlNetModel, DDIMScheduler, DDPMScheduler, UNet2DConditionModel
from safetensors.torch import save_file
from transformers import CLIPTextConfig, CLIPTextModel

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_parity_reference import randomise  # noqa: E402  seeded weights of a sensible scale, zero convs non-zero
TINY_SD = os.path.join(HERE, "..", "resources", "dev", "cnf", "model", "parity", "tiny-sd")


def tiny_sd():
    def read(name):
        with open(os.path.join(TINY_SD, name)) as f:
            return {k: v for k, v in json.load(f).items() if not k.startswith("_") and k != "architectures"}
    scheduler = {"num_train_timesteps": 1000, "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear",
                 "prediction_type": "epsilon", "timestep_spacing": "leading", "steps_offset": 1, "set_alpha_to_one": False,
                 "clip_sample": False}
    return {"unet": read("unet_config.json"), "controlnet": read("controlnet_config.json"), "vae": read("vae_config.json"),
            "text_encoder": read("text_encoder_config.json"), "scheduler": scheduler, "ddim_steps": 20, "sample": 16,
            "image": 64, "context": 32, "save_variants": True}


def other():
    """Differs from tiny-sd in every choice: linear projection, per-block head dims, three blocks, cross-attention
    width, transformer depth per block, norm groups and eps, time embedding flip/shift, upcast attention; a VAE of four
    blocks with two layers each; a CLIP text model with gelu; linear betas rescaled to zero terminal SNR, trailing
    spacing and v-prediction (cnf's tiny-circles base schedules so)."""
    blocks = [32, 48, 64]
    unet = {"sample_size": 16, "in_channels": 4, "out_channels": 4, "block_out_channels": blocks,
            "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
            "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
            "mid_block_type": "UNetMidBlock2DCrossAttn", "layers_per_block": 2, "cross_attention_dim": 48,
            "attention_head_dim": [2, 4, 8], "transformer_layers_per_block": [1, 2, 1], "use_linear_projection": True,
            "upcast_attention": True, "norm_num_groups": 16, "norm_eps": 1e-6, "flip_sin_to_cos": False, "freq_shift": 1}
    controlnet = {k: v for k, v in unet.items() if k not in ("sample_size", "out_channels", "up_block_types")}
    controlnet.update({"conditioning_channels": 3, "conditioning_embedding_out_channels": [8, 16, 32, 48]})
    vae = {"sample_size": 64, "in_channels": 3, "out_channels": 3, "latent_channels": 4, "block_out_channels": [16, 16, 32, 32],
           "down_block_types": ["DownEncoderBlock2D"] * 4, "up_block_types": ["UpDecoderBlock2D"] * 4, "layers_per_block": 2,
           "norm_num_groups": 16, "scaling_factor": 0.13025}
    text = {"vocab_size": 1200, "hidden_size": 48, "intermediate_size": 96, "num_hidden_layers": 3, "num_attention_heads": 6,
            "max_position_embeddings": 77, "hidden_act": "gelu", "layer_norm_eps": 1e-5, "bos_token_id": 1198, "eos_token_id": 1199}
    scheduler = {"num_train_timesteps": 1000, "beta_start": 0.0001, "beta_end": 0.02, "beta_schedule": "linear",
                 "prediction_type": "v_prediction", "rescale_betas_zero_snr": True, "timestep_spacing": "trailing",
                 "steps_offset": 0, "set_alpha_to_one": True, "clip_sample": False}
    return {"unet": unet, "controlnet": controlnet, "vae": vae, "text_encoder": text, "scheduler": scheduler, "ddim_steps": 25,
            "sample": 16, "image": 128, "context": 48}


def write(out, c):
    os.makedirs(os.path.join(out, "weights"), exist_ok=True)
    gen = torch.Generator().manual_seed(1234)
    controlnet = {k: v for k, v in c["controlnet"].items() if k != "sample_size"}  # ControlNetModel takes none
    models = {"unet": UNet2DConditionModel(**c["unet"]), "controlnet": ControlNetModel(**controlnet),
              "vae": AutoencoderKL(**c["vae"]), "text_encoder": CLIPTextModel(CLIPTextConfig(**c["text_encoder"]))}
    for name, m in models.items():
        randomise(m, gen)
        m.eval()
        save_file({k: v.contiguous() for k, v in m.state_dict().items()}, os.path.join(out, "weights", name + ".safetensors"))
        config = dict(m.config.to_dict() if name == "text_encoder" else m.config)
        config.pop("_use_default_values", None)
        with open(os.path.join(out, name + "_config.json"), "w") as f:
            json.dump(config, f, indent=1, default=list)
    with open(os.path.join(out, "scheduler_config.json"), "w") as f:
        json.dump(dict(c["scheduler"], _class_name="DDIMScheduler"), f, indent=1)

    n, s = 2, c["sample"]
    latents = torch.randn(n, 4, s, s, generator=gen)
    timesteps = torch.tensor([10.0, 501.0])
    context = torch.randn(n, 77, c["context"], generator=gen)
    h = s * 2 ** (len(c["controlnet"]["conditioning_embedding_out_channels"]) - 1)  # the hint encoder's downsampling
    hint = torch.rand(n, 3, h, h, generator=gen)
    image = torch.rand(n, 3, c["image"], c["image"], generator=gen) * 2 - 1
    ids = torch.randint(0, c["text_encoder"]["vocab_size"], (n, 77), generator=gen)
    io = {"in.latents": latents, "in.timesteps": timesteps, "in.context": context, "in.hint": hint, "in.image": image,
          "in.ids": ids.float()}
    with torch.no_grad():
        unet, cn, vae, te = models["unet"], models["controlnet"], models["vae"], models["text_encoder"]
        io["out.unet"] = unet(latents, timesteps, encoder_hidden_states=context).sample
        down, mid = cn(latents, timesteps, encoder_hidden_states=context, controlnet_cond=hint, conditioning_scale=0.7,
                       return_dict=False)
        for i, r in enumerate(down):
            io[f"out.controlnet.{i}"] = r
        io["out.controlnet.mid"] = mid
        io["out.unet_controlled"] = unet(latents, timesteps, encoder_hidden_states=context,
                                         down_block_additional_residuals=down, mid_block_additional_residual=mid).sample
        scale = c["vae"]["scaling_factor"]
        io["out.vae_latents"] = vae.encode(image).latent_dist.mean * scale
        io["out.vae_decoded"] = vae.decode(latents / scale).sample
        io["out.text"] = te(input_ids=ids).last_hidden_state
        ddim = DDIMScheduler.from_config(c["scheduler"])
        ddim.set_timesteps(c["ddim_steps"])
        io["out.ddim_timesteps"] = ddim.timesteps.float()
        t = int(ddim.timesteps[len(ddim.timesteps) // 2])
        io["in.ddim_t"] = torch.tensor([float(t)])
        stepped = ddim.step(io["out.unet"], t, latents)
        io["out.ddim_prev"] = stepped.prev_sample
        io["out.ddim_x0"] = stepped.pred_original_sample
        ddpm = DDPMScheduler.from_config(c["scheduler"])
        io["out.ddpm_alphas_cumprod"] = ddpm.alphas_cumprod.float()
    save_file({k: v.contiguous().float() for k, v in io.items()}, os.path.join(out, "io.safetensors"))
    if c.get("save_variants"):
        saved(out, c, models, {k: v for k, v in io.items() if k.startswith("in.") and k != "in.ddim_t"})


def outputs(models, io, c):
    """The outputs DiffusersParityTest compares, of these models on the inputs in io."""
    latents, timesteps, context = io["in.latents"], io["in.timesteps"], io["in.context"]
    out = {}
    with torch.no_grad():
        out["out.unet"] = models["unet"](latents, timesteps, encoder_hidden_states=context).sample
        down, mid = models["controlnet"](latents, timesteps, encoder_hidden_states=context, controlnet_cond=io["in.hint"],
                                         conditioning_scale=0.7, return_dict=False)
        for i, r in enumerate(down):
            out[f"out.controlnet.{i}"] = r
        out["out.controlnet.mid"] = mid
        scale = c["vae"]["scaling_factor"]
        out["out.vae_latents"] = models["vae"].encode(io["in.image"]).latent_dist.mean * scale
        out["out.vae_decoded"] = models["vae"].decode(latents / scale).sample
        out["out.text"] = models["text_encoder"](input_ids=io["in.ids"].long()).last_hidden_state
    return out


def saved(out, c, models, inputs):
    """The four models saved as diffusers and transformers save them: plain, variant="fp16", sharded, and bf16; each
    with the outputs of the saved weights evaluated in fp32 (as cnf evaluates them)."""
    for variant in ("fp32", "fp16", "sharded", "bf16"):
        folder = os.path.join(out, "saved", variant)
        reloaded = {}
        for name, m in models.items():
            src = copy.deepcopy(m)
            kwargs = {}
            if variant == "fp16":
                src, kwargs = src.to(torch.float16), {"variant": "fp16"}
            elif variant == "bf16":
                src = src.to(torch.bfloat16)
            elif variant == "sharded":
                kwargs = {"max_shard_size": "100KB"}
            src.save_pretrained(os.path.join(folder, name), safe_serialization=True, **kwargs)
            reloaded[name] = src.to(torch.float32)
        io = dict(inputs)
        io.update(outputs(reloaded, inputs, c))
        save_file({k: v.contiguous().float() for k, v in io.items()}, os.path.join(folder, "io.safetensors"))


def sd15_keys(path):
    """SD1.5's four models as diffusers and transformers build them (default configs of stable-diffusion-v1-5)."""
    with init_empty_weights():
        unet = UNet2DConditionModel(sample_size=64, cross_attention_dim=768, attention_head_dim=8)
        controlnet = ControlNetModel(cross_attention_dim=768, attention_head_dim=8)
        vae = AutoencoderKL(in_channels=3, out_channels=3, latent_channels=4, block_out_channels=[128, 256, 512, 512],
                            down_block_types=["DownEncoderBlock2D"] * 4, up_block_types=["UpDecoderBlock2D"] * 4,
                            layers_per_block=2, sample_size=512)
        text = CLIPTextModel(CLIPTextConfig(vocab_size=49408, hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                                            num_attention_heads=12, max_position_embeddings=77, hidden_act="quick_gelu"))
    keys = {name: {k: list(v.shape) for k, v in m.state_dict().items()}
            for name, m in (("unet", unet), ("controlnet", controlnet), ("vae", vae), ("text_encoder", text))}
    with open(path, "w") as f:
        json.dump(keys, f)


def main():
    out = sys.argv[1]
    torch.manual_seed(0)
    for name, config in (("tiny-sd", tiny_sd()), ("other", other())):
        write(os.path.join(out, name), config)
    sd15_keys(os.path.join(out, "sd15-keys.json"))
    print(json.dumps({"torch": torch.__version__, "diffusers": __import__("diffusers").__version__,
                      "transformers": __import__("transformers").__version__}))


if __name__ == "__main__":
    main()
