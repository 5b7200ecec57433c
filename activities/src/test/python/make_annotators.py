#!/usr/bin/env python3
"""Writes the tiny TorchScript annotators the tests run through DJL (activities/src/test/resources/annotators/).

They follow the contracts of the real models they stand in for, with hand-set weights whose outputs a test can predict:
  depth.pt  MiDaS-style: ImageNet-normalised RGB [1,3,H,W] -> relative inverse depth [1,H,W] (here: blurred luminance,
            brighter = nearer)
  seg.pt    ADE20K-style: ImageNet-normalised RGB [1,3,H,W] -> logits [1,150,H,W] (here: nearest of six colour
            prototypes, each an ADE20K class)
  pose.pt   OpenPose-style: BGR/256 - 0.5 [1,3,H,W] -> 18 keypoint heatmaps [1,18,H,W] in COCO-18 order (here: keypoint k
            responds to one colour)

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


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    example = torch.zeros(1, 3, 64, 64)
    for name, module in (("depth", Depth()), ("seg", Seg()), ("pose", Pose())):
        scripted = torch.jit.script(module.eval())
        path = os.path.join(OUT, name + ".pt")
        scripted.save(path)
        print(path, tuple(scripted(example).shape))
