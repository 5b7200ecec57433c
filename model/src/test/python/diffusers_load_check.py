"""Does diffusers build and load what cnf writes? For each folder (config.json + diffusion_pytorch_model.safetensors,
as cnf publishes a ControlNet or a large-mode UNet): the class named by `_class_name` is built with
`from_config(return_unused_kwargs=True)` and the weights are loaded with `load_state_dict(strict=False)`, and this
prints, per folder, the config keys diffusers did not use and the missing, unexpected and shape-mismatched weight names
(all empty means a strict load succeeds). Where the folder also holds control.safetensors (the original ControlNet layout), it is
loaded with from_single_file (offline, the folder's config.json) and compared with the diffusers-format weights.
DiffusersConfigInteropTest reads the JSON.

Usage: diffusers_load_check.py FOLDER...
"""
import json
import os
import sys

import diffusers
import torch
from safetensors.torch import load_file


def check(folder):
    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)
    cls = getattr(diffusers, config["_class_name"])
    model, unused = cls.from_config(config, return_unused_kwargs=True)
    state = load_file(os.path.join(folder, "diffusion_pytorch_model.safetensors"))
    own = model.state_dict()
    # load_state_dict raises on a shape mismatch even when not strict: name those weights and load the others
    mismatched = sorted(k for k in state if k in own and tuple(own[k].shape) != tuple(state[k].shape))
    result = model.load_state_dict({k: v for k, v in state.items() if k not in mismatched}, strict=False)
    checked = {"unused_config": sorted(k for k in unused if not k.startswith("_")),
               "missing": sorted(set(result.missing_keys) - set(mismatched)),
               "unexpected": sorted(result.unexpected_keys), "mismatched": mismatched}
    original = os.path.join(folder, "control.safetensors")
    if os.path.exists(original):  # the original ControlNet layout, through diffusers' single-file loader, offline
        try:
            single = cls.from_single_file(original, config=folder, local_files_only=True).state_dict()
            ours = model.state_dict()
            same = sorted(single) == sorted(ours) and all(torch.equal(single[k], ours[k]) for k in ours)
            checked["single_file"] = "same weights" if same else "other weights"
        except Exception as e:  # the test names the reason
            checked["single_file"] = f"{type(e).__name__}: {e}"
    return checked


if __name__ == "__main__":
    print(json.dumps({os.path.basename(os.path.normpath(f)): check(f) for f in sys.argv[1:]}))
