#!/usr/bin/env python3
"""Writes the tiny TorchScript annotators the tests run through DJL (activities/src/test/resources/annotators/).

They follow the contracts of the real models they stand in for, with hand-set weights whose outputs a test can predict:
  depth.pt  MiDaS-style: ImageNet-normalised RGB [1,3,H,W] -> relative inverse depth [1,H,W] (here: blurred luminance,
            brighter = nearer)
  seg.pt    ADE20K-style: ImageNet-normalised RGB [1,3,H,W] -> logits [1,150,H,W] (here: nearest of six colour
            prototypes, each an ADE20K class)
  pose.pt   OpenPose-style: BGR/256 - 0.5 [1,3,H,W] -> 18 keypoint heatmaps [1,18,H,W] in COCO-18 order (here: keypoint k
            responds to one colour)

and a tiny BLIP-style captioner (activities/src/test/resources/captioner/):
  encoder.pt  CLIP-normalised RGB [1,3,32,32] -> image embedding [1,3] (here: the mean colour)
  decoder.pt  (input_ids [B,T] int64, image_embeds [B,3]) -> logits [B,T,V]; a fixed grammar where greedy decoding
              says "a red circle" and a beam of 2 finds the likelier "the <colour of the image> circle"
  vocab.txt, captioner.json

Each annotator is also written as .onnx (the same module through torch.onnx.export).

Regenerate with Debian's torch:  /usr/bin/python3 activities/src/test/python/make_annotators.py
"""
import os
import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "resources", "annotators")
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)

# ADE20K class index -> prototype RGB in [0, 1]
SEG_PROTOTYPES = {1: (0.5, 0.5, 0.5),    # building
                  2: (0.4, 0.6, 1.0),    # sky
                  4: (0.1, 0.6, 0.1),    # tree
                  6: (0.3, 0.3, 0.3),    # road
                  12: (0.9, 0.6, 0.5),   # person
                  21: (0.9, 0.1, 0.1)}   # car


def pose_colour(k):
    """The BGR colour (in [0, 1]) that keypoint k of the toy detector responds to; PoseAnnotatorTest draws the same."""
    return ((k * 37) % 256 / 255.0, (k * 91 + 60) % 256 / 255.0, (k * 53 + 120) % 256 / 255.0)


class Depth(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("mean", MEAN)
        self.register_buffer("std", STD)
        self.register_buffer("luma", torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1))

    def forward(self, x):
        rgb = x * self.std + self.mean
        y = (rgb * self.luma).sum(1, keepdim=True)
        return torch.nn.functional.avg_pool2d(y, 5, stride=1, padding=2, count_include_pad=False)[:, 0]


class Seg(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("mean", MEAN)
        self.register_buffer("std", STD)
        w = torch.zeros(150, 3)
        b = torch.full((150,), -1e4)
        for cls, p in SEG_PROTOTYPES.items():
            p = torch.tensor(p)
            w[cls] = 2 * p
            b[cls] = -(p * p).sum()
        self.register_buffer("w", w.view(150, 3, 1, 1))
        self.register_buffer("b", b)

    def forward(self, x):
        rgb = x * self.std + self.mean
        return torch.nn.functional.conv2d(rgb, self.w, self.b)


class Pose(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("colours", torch.tensor([pose_colour(k) for k in range(18)]).view(1, 18, 3, 1, 1))

    def forward(self, x):
        bgr = (x + 0.5) * 256.0 / 255.0
        d = ((bgr.unsqueeze(1) - self.colours) ** 2).sum(2)
        return torch.exp(-d / 0.002)


VOCAB = ["[PAD]", "[BOS]", "[EOS]", "a", "the", "red", "green", "blue", "circle"]
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]


class CaptionEncoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.tensor(CLIP_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(CLIP_STD).view(1, 3, 1, 1))

    def forward(self, x):
        return (x * self.std + self.mean).mean(dim=(2, 3))


class CaptionDecoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        v = len(VOCAB)
        ix = {t: i for i, t in enumerate(VOCAB)}
        table = torch.full((v, v), 1e-6)
        table[ix["[BOS]"], ix["a"]] = 0.6
        table[ix["[BOS]"], ix["the"]] = 0.4
        table[ix["a"], ix["red"]] = 0.34
        table[ix["a"], ix["green"]] = 0.33
        table[ix["a"], ix["blue"]] = 0.33
        for c in ("red", "green", "blue"):
            table[ix[c], ix["circle"]] = 1.0
        table[ix["circle"], ix["[EOS]"]] = 1.0
        table[ix["[EOS]"], ix["[EOS]"]] = 1.0
        table[ix["[PAD]"], ix["[EOS]"]] = 1.0
        self.register_buffer("log_table", torch.log(table / table.sum(1, keepdim=True)))
        colour = torch.full((3, v), -20.0)
        colour[0, ix["red"]] = 0.0
        colour[1, ix["green"]] = 0.0
        colour[2, ix["blue"]] = 0.0
        self.register_buffer("colour", colour)
        self.the = ix["the"]

    def forward(self, input_ids, image_embeds):
        logits = self.log_table[input_ids]                      # [B, T, V]
        # after "the", the image's dominant colour, almost surely
        dominant = torch.nn.functional.one_hot(image_embeds.argmax(1), 3).float()  # [B, 3]
        after_the = (dominant @ self.colour).unsqueeze(1)       # [B, 1, V]
        is_the = (input_ids == self.the).unsqueeze(2).float()   # [B, T, 1]
        return logits * (1 - is_the) + after_the * is_the


def write_captioner():
    out = os.path.join(os.path.dirname(__file__), "..", "resources", "captioner")
    os.makedirs(out, exist_ok=True)
    torch.jit.script(CaptionEncoder().eval()).save(os.path.join(out, "encoder.pt"))
    torch.jit.script(CaptionDecoder().eval()).save(os.path.join(out, "decoder.pt"))
    with open(os.path.join(out, "vocab.txt"), "w") as f:
        f.write("\n".join(VOCAB) + "\n")
    with open(os.path.join(out, "captioner.json"), "w") as f:
        f.write('{"image_size": 32, "bos_id": 1, "eos_id": 2, "max_tokens": 10, "mean": %s, "std": %s}\n' % (CLIP_MEAN, CLIP_STD))
    print(out)


def only_onnx():
    """The same models as ONNX (opset 13, any image size): the other format annotators come in. Alone (--onnx-only) it
    leaves the committed .pt files as they are (TorchScript archives are not byte-stable)."""
    example = torch.zeros(1, 3, 64, 64)
    for name, module in (("depth", Depth()), ("seg", Seg()), ("pose", Pose())):
        torch.onnx.export(module.eval(), example, os.path.join(OUT, name + ".onnx"), input_names=["image"], output_names=["out"],
                          dynamic_axes={"image": {2: "h", 3: "w"}}, opset_version=13)


if __name__ == "__main__":
    import sys
    if sys.argv[1:] == ["--onnx-only"]:
        only_onnx()
        sys.exit(0)
    write_captioner()
    os.makedirs(OUT, exist_ok=True)
    example = torch.zeros(1, 3, 64, 64)
    for name, module in (("depth", Depth()), ("seg", Seg()), ("pose", Pose())):
        scripted = torch.jit.script(module.eval())
        path = os.path.join(OUT, name + ".pt")
        scripted.save(path)
        print(path, tuple(scripted(example).shape))
    only_onnx()
