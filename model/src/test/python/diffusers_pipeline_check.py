"""diffusers runs what cnf publishes: ControlNetModel.from_pretrained on a published version, then
StableDiffusionControlNetPipeline from the base folder cnf trained on (its UNet, VAE, CLIP text encoder, tokenizer and
a DDIMScheduler from its scheduler/scheduler_config.json) with that ControlNet, on the given prompt, condition image
and initial latents (IO: in.latents [1,4,h,w], in.condition [1,3,H,W] in [0,1]). Writes out.image [1,H,W,3] in [0,1]
(output_type="np") to OUT.

Several ControlNets (VERSION and CONTROL_SCALE comma-separated lists, conditions in.condition.0, in.condition.1, ...)
run as diffusers' MultiControlNetModel, which the pipeline builds from a list.

Usage: diffusers_pipeline_check.py BASE VERSION[,VERSION...] IO OUT PROMPT STEPS GUIDANCE CONTROL_SCALE[,SCALE...]
"""
import os
import sys

import torch
from diffusers import (AutoencoderKL, ControlNetModel, DDIMScheduler, StableDiffusionControlNetPipeline,
                       UNet2DConditionModel)
from safetensors.torch import load_file, save_file
from transformers import CLIPTextModel, CLIPTokenizer


def main():
    base, version, io_path, out, prompt = sys.argv[1:6]
    steps, guidance = int(sys.argv[6]), float(sys.argv[7])
    scales = [float(s) for s in sys.argv[8].split(",")]
    io = load_file(io_path)
    versions = version.split(",")
    nets = [ControlNetModel.from_pretrained(v, local_files_only=True) for v in versions]
    controlnet = nets[0] if len(nets) == 1 else nets
    conditions = [io["in.condition"]] if len(nets) == 1 else [io[f"in.condition.{i}"] for i in range(len(nets))]
    tok = os.path.join(base, "tokenizer")
    pipe = StableDiffusionControlNetPipeline(
        vae=AutoencoderKL.from_pretrained(os.path.join(base, "vae"), local_files_only=True),
        text_encoder=CLIPTextModel.from_pretrained(os.path.join(base, "text_encoder"), local_files_only=True),
        tokenizer=CLIPTokenizer(os.path.join(tok, "vocab.json"), os.path.join(tok, "merges.txt"), pad_token="<|endoftext|>",
                                model_max_length=77),
        unet=UNet2DConditionModel.from_pretrained(os.path.join(base, "unet"), local_files_only=True),
        controlnet=controlnet,
        scheduler=DDIMScheduler.from_pretrained(os.path.join(base, "scheduler"), local_files_only=True),
        safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    if len(nets) > 1:
        assert type(pipe.controlnet).__name__ == "MultiControlNetModel", type(pipe.controlnet)
    h, w = conditions[0].shape[-2:]
    image = pipe(prompt, image=conditions[0] if len(nets) == 1 else conditions, height=h, width=w,
                 num_inference_steps=steps, guidance_scale=guidance,
                 controlnet_conditioning_scale=scales[0] if len(nets) == 1 else scales, latents=io["in.latents"], eta=0.0,
                 output_type="np").images
    save_file({"out.image": torch.from_numpy(image).float().contiguous()}, out)


if __name__ == "__main__":
    main()
