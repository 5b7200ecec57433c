#!/usr/bin/python3
"""A plain-PyTorch restatement of the tiny-sd models, kept for the original single-file layout it writes.

Numerical parity is checked against diffusers and transformers themselves (diffusers_oracle.py,
DiffusersParityTest). This file, written before those packages could be installed here, restates the
tiny-sd preset's UNet2DConditionModel, ControlNetModel, AutoencoderKL and CLIPTextModel in plain PyTorch,
module for module and name for name, and states the mapping to the original CompVis/lllyasviel layout
from those repositories' module structure (CheckpointFormatsTest reads it). It fills them with
seeded random weights, runs them on seeded inputs and writes:

  weights/{unet,controlnet,vae,text_encoder}.safetensors   the weights, diffusers key names
  weights/original_single_file.safetensors                 the same four models in the original
                                                           CompVis/lllyasviel layout (model.diffusion_model.*,
                                                           control_model.*, first_stage_model.*,
                                                           cond_stage_model.transformer.*)
  io.safetensors                                           inputs and reference outputs

The Java test (ParityTest) loads the same files into the DJL blocks and must reproduce every
output within 1e-4. Regenerate with Debian's PyTorch:

  /usr/bin/python3 model/src/test/python/make_parity_reference.py
"""
import json
import math
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "resources", "dev", "cnf", "model", "parity", "tiny-sd")


def cfg(name):
    with open(os.path.join(OUT, name)) as f:
        return json.load(f)


def per_block(v, n):
    return list(v) if isinstance(v, list) else [v] * n


# ---------------------------------------------------------------- diffusers building blocks
class ResnetBlock2D(nn.Module):
    def __init__(self, cin, cout, temb, groups, eps):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps=eps)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb, cout) if temb else None
        self.norm2 = nn.GroupNorm(groups, cout, eps=eps)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.conv_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, temb=None):
        h = self.conv1(F.silu(self.norm1(x)))
        if self.time_emb_proj is not None:
            h = h + self.time_emb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (x if self.conv_shortcut is None else self.conv_shortcut(x)) + h


class Downsample2D(nn.Module):
    def __init__(self, c, padding=1):
        super().__init__()
        self.padding = padding
        self.conv = nn.Conv2d(c, c, 3, stride=2, padding=padding)

    def forward(self, x):
        if self.padding == 0:
            x = F.pad(x, (0, 1, 0, 1))
        return self.conv(x)


class Upsample2D(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class Attention(nn.Module):
    def __init__(self, qdim, cdim, heads, head_dim, bias=False, groups=None):
        super().__init__()
        inner = heads * head_dim
        self.heads = heads
        self.group_norm = nn.GroupNorm(groups, qdim, eps=1e-6) if groups else None
        self.to_q = nn.Linear(qdim, inner, bias=bias)
        self.to_k = nn.Linear(cdim, inner, bias=bias)
        self.to_v = nn.Linear(cdim, inner, bias=bias)
        self.to_out = nn.ModuleList([nn.Linear(inner, qdim), nn.Dropout(0.0)])

    def attend(self, x, ctx):
        q, k, v = self.to_q(x), self.to_k(ctx), self.to_v(ctx)
        n, l, inner = q.shape
        d = inner // self.heads
        split = lambda t: t.reshape(n, -1, self.heads, d).transpose(1, 2)
        w = (split(q) @ split(k).transpose(-1, -2)) / math.sqrt(d)
        o = (w.softmax(-1) @ split(v)).transpose(1, 2).reshape(n, l, inner)
        return self.to_out[0](o)

    def forward(self, x, ctx=None):
        if self.group_norm is not None:  # the VAE's spatial self-attention, residual included
            n, c, h, w = x.shape
            s = self.group_norm(x).reshape(n, c, h * w).transpose(1, 2)
            return self.attend(s, s).transpose(1, 2).reshape(n, c, h, w) + x
        return self.attend(x, x if ctx is None else ctx)


class GEGLU(nn.Module):
    def __init__(self, dim, inner):
        super().__init__()
        self.proj = nn.Linear(dim, inner * 2)

    def forward(self, x):
        h, gate = self.proj(x).chunk(2, dim=-1)
        return h * F.gelu(gate)


class FeedForward(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.net = nn.ModuleList([GEGLU(dim, 4 * dim), nn.Dropout(0.0), nn.Linear(4 * dim, dim)])

    def forward(self, x):
        for m in self.net:
            x = m(x)
        return x


class BasicTransformerBlock(nn.Module):
    def __init__(self, dim, heads, head_dim, cdim):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn1 = Attention(dim, dim, heads, head_dim)
        self.norm2 = nn.LayerNorm(dim)
        self.attn2 = Attention(dim, cdim, heads, head_dim)
        self.norm3 = nn.LayerNorm(dim)
        self.ff = FeedForward(dim)

    def forward(self, x, ctx):
        x = self.attn1(self.norm1(x)) + x
        x = self.attn2(self.norm2(x), ctx) + x
        return self.ff(self.norm3(x)) + x


class Transformer2DModel(nn.Module):
    def __init__(self, c, heads, layers, cdim, groups):
        super().__init__()
        self.norm = nn.GroupNorm(groups, c, eps=1e-6)
        self.proj_in = nn.Conv2d(c, c, 1)
        self.transformer_blocks = nn.ModuleList([BasicTransformerBlock(c, heads, c // heads, cdim) for _ in range(layers)])
        self.proj_out = nn.Conv2d(c, c, 1)

    def forward(self, x, ctx):
        n, c, h, w = x.shape
        t = self.proj_in(self.norm(x)).permute(0, 2, 3, 1).reshape(n, h * w, c)
        for b in self.transformer_blocks:
            t = b(t, ctx)
        return self.proj_out(t.reshape(n, h, w, c).permute(0, 3, 1, 2)) + x


def timestep_features(t, dim, flip=True, shift=0):
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32, device=t.device) / (half - shift))
    a = t.float()[:, None] * freqs[None]
    emb = torch.cat([torch.sin(a), torch.cos(a)], dim=-1)
    return torch.cat([emb[:, half:], emb[:, :half]], dim=-1) if flip else emb


class TimestepEmbedding(nn.Module):
    def __init__(self, cin, dim):
        super().__init__()
        self.linear_1 = nn.Linear(cin, dim)
        self.linear_2 = nn.Linear(dim, dim)

    def forward(self, x):
        return self.linear_2(F.silu(self.linear_1(x)))


class DownBlock(nn.Module):  # DownBlock2D / CrossAttnDownBlock2D
    def __init__(self, cin, cout, layers, temb, groups, eps, down, attn):
        super().__init__()
        self.resnets = nn.ModuleList([ResnetBlock2D(cin if i == 0 else cout, cout, temb, groups, eps) for i in range(layers)])
        if attn:
            self.attentions = nn.ModuleList([Transformer2DModel(cout, *attn) for _ in range(layers)])
        self.has_attn = bool(attn)
        if down:
            self.downsamplers = nn.ModuleList([Downsample2D(cout)])
        self.down = down

    def forward(self, h, temb, ctx):
        out = []
        for i, r in enumerate(self.resnets):
            h = r(h, temb)
            if self.has_attn:
                h = self.attentions[i](h, ctx)
            out.append(h)
        if self.down:
            h = self.downsamplers[0](h)
            out.append(h)
        return h, out


class MidBlock(nn.Module):  # UNetMidBlock2DCrossAttn
    def __init__(self, c, temb, groups, eps, attn):
        super().__init__()
        self.resnets = nn.ModuleList([ResnetBlock2D(c, c, temb, groups, eps), ResnetBlock2D(c, c, temb, groups, eps)])
        self.attentions = nn.ModuleList([Transformer2DModel(c, *attn)])

    def forward(self, h, temb, ctx):
        return self.resnets[1](self.attentions[0](self.resnets[0](h, temb), ctx), temb)


class UpBlock(nn.Module):  # UpBlock2D / CrossAttnUpBlock2D
    def __init__(self, prev, cout, skips, temb, groups, eps, up, attn):
        super().__init__()
        ins = [prev] + [cout] * (len(skips) - 1)
        self.resnets = nn.ModuleList([ResnetBlock2D(i + s, cout, temb, groups, eps) for i, s in zip(ins, skips)])
        self.has_attn = bool(attn)
        if attn:
            self.attentions = nn.ModuleList([Transformer2DModel(cout, *attn) for _ in skips])
        if up:
            self.upsamplers = nn.ModuleList([Upsample2D(cout)])
        self.up = up

    def forward(self, h, temb, ctx, skips):
        for i, r in enumerate(self.resnets):
            h = r(torch.cat([h, skips.pop()], dim=1), temb)
            if self.has_attn:
                h = self.attentions[i](h, ctx)
        return self.upsamplers[0](h) if self.up else h


def encoder_parts(m, c):
    """conv_in, time_embedding, down_blocks, mid_block: what UNet and ControlNet share."""
    ch = c["block_out_channels"]
    n = len(ch)
    heads = per_block(c["attention_head_dim"], n)
    temb = ch[0] * 4
    g, eps, layers, cdim = c["norm_num_groups"], c["norm_eps"], c["layers_per_block"], c["cross_attention_dim"]
    m.conv_in = nn.Conv2d(c["in_channels"], ch[0], 3, padding=1)
    m.time_embedding = TimestepEmbedding(ch[0], temb)
    m.down_blocks = nn.ModuleList()
    skips = [ch[0]]
    prev = ch[0]
    for i, t in enumerate(c["down_block_types"]):
        attn = (heads[i], 1, cdim, g) if t.startswith("CrossAttn") else None
        m.down_blocks.append(DownBlock(prev, ch[i], layers, temb, g, eps, i < n - 1, attn))
        skips += [ch[i]] * (layers + (1 if i < n - 1 else 0))
        prev = ch[i]
    m.mid_block = MidBlock(ch[-1], temb, g, eps, (heads[-1], 1, cdim, g))
    return skips


def run_encoder(m, c, sample, t, ctx, hint=None):
    temb = m.time_embedding(timestep_features(t, c["block_out_channels"][0]))
    h = m.conv_in(sample)
    if hint is not None:
        h = h + hint
    skips = [h]
    for b in m.down_blocks:
        h, out = b(h, temb, ctx)
        skips += out
    return temb, skips, m.mid_block(h, temb, ctx)


class UNet2DConditionModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        skips = encoder_parts(self, c)
        ch = c["block_out_channels"]
        n = len(ch)
        heads = per_block(c["attention_head_dim"], n)
        g, eps, layers = c["norm_num_groups"], c["norm_eps"], c["layers_per_block"]
        self.up_blocks = nn.ModuleList()
        prev = ch[-1]
        for j, t in enumerate(c["up_block_types"]):
            out = ch[n - 1 - j]
            consumed = [skips.pop() for _ in range(layers + 1)]
            attn = (heads[n - 1 - j], 1, c["cross_attention_dim"], g) if t.startswith("CrossAttn") else None
            self.up_blocks.append(UpBlock(prev, out, consumed, ch[0] * 4, g, eps, j < n - 1, attn))
            prev = out
        self.conv_norm_out = nn.GroupNorm(g, ch[0], eps=eps)
        self.conv_out = nn.Conv2d(ch[0], c["out_channels"], 3, padding=1)

    def forward(self, sample, t, ctx, down_residuals=None, mid_residual=None):
        temb, skips, h = run_encoder(self, self.c, sample, t, ctx)
        if down_residuals is not None:
            skips = [s + r for s, r in zip(skips, down_residuals)]
            h = h + mid_residual
        for b in self.up_blocks:
            h = b(h, temb, ctx, skips)
        return self.conv_out(F.silu(self.conv_norm_out(h)))


class ControlNetConditioningEmbedding(nn.Module):
    def __init__(self, cin, chans, cout):
        super().__init__()
        self.conv_in = nn.Conv2d(cin, chans[0], 3, padding=1)
        self.blocks = nn.ModuleList()
        for a, b in zip(chans[:-1], chans[1:]):
            self.blocks.append(nn.Conv2d(a, a, 3, padding=1))
            self.blocks.append(nn.Conv2d(a, b, 3, padding=1, stride=2))
        self.conv_out = nn.Conv2d(chans[-1], cout, 3, padding=1)

    def forward(self, x):
        h = F.silu(self.conv_in(x))
        for b in self.blocks:
            h = F.silu(b(h))
        return self.conv_out(h)


class ControlNetModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        skips = encoder_parts(self, c)
        ch = c["block_out_channels"]
        self.controlnet_cond_embedding = ControlNetConditioningEmbedding(
            c["conditioning_channels"], c["conditioning_embedding_out_channels"], ch[0])
        self.controlnet_down_blocks = nn.ModuleList([nn.Conv2d(s, s, 1) for s in skips])
        self.controlnet_mid_block = nn.Conv2d(ch[-1], ch[-1], 1)

    def forward(self, sample, t, ctx, cond, scale=1.0):
        hint = self.controlnet_cond_embedding(cond)
        _, skips, mid = run_encoder(self, self.c, sample, t, ctx, hint)
        down = [z(s) * scale for z, s in zip(self.controlnet_down_blocks, skips)]
        return down, self.controlnet_mid_block(mid) * scale


class VaeMid(nn.Module):  # UNetMidBlock2D without time embedding, single-head attention
    def __init__(self, c, g):
        super().__init__()
        self.attentions = nn.ModuleList([Attention(c, c, 1, c, bias=True, groups=g)])
        self.resnets = nn.ModuleList([ResnetBlock2D(c, c, 0, g, 1e-6), ResnetBlock2D(c, c, 0, g, 1e-6)])

    def forward(self, h):
        return self.resnets[1](self.attentions[0](self.resnets[0](h)))


class DownEncoderBlock2D(nn.Module):
    def __init__(self, cin, cout, layers, g, down):
        super().__init__()
        self.resnets = nn.ModuleList([ResnetBlock2D(cin if i == 0 else cout, cout, 0, g, 1e-6) for i in range(layers)])
        if down:
            self.downsamplers = nn.ModuleList([Downsample2D(cout, padding=0)])
        self.down = down

    def forward(self, h):
        for r in self.resnets:
            h = r(h)
        return self.downsamplers[0](h) if self.down else h


class UpDecoderBlock2D(nn.Module):
    def __init__(self, cin, cout, layers, g, up):
        super().__init__()
        self.resnets = nn.ModuleList([ResnetBlock2D(cin if i == 0 else cout, cout, 0, g, 1e-6) for i in range(layers)])
        if up:
            self.upsamplers = nn.ModuleList([Upsample2D(cout)])
        self.up = up

    def forward(self, h):
        for r in self.resnets:
            h = r(h)
        return self.upsamplers[0](h) if self.up else h


class VaeEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        ch, g, n = c["block_out_channels"], c["norm_num_groups"], len(c["block_out_channels"])
        self.conv_in = nn.Conv2d(c["in_channels"], ch[0], 3, padding=1)
        self.down_blocks = nn.ModuleList([DownEncoderBlock2D(ch[max(i - 1, 0)], ch[i], c["layers_per_block"], g, i < n - 1) for i in range(n)])
        self.mid_block = VaeMid(ch[-1], g)
        self.conv_norm_out = nn.GroupNorm(g, ch[-1], eps=1e-6)
        self.conv_out = nn.Conv2d(ch[-1], 2 * c["latent_channels"], 3, padding=1)

    def forward(self, x):
        h = self.conv_in(x)
        for b in self.down_blocks:
            h = b(h)
        return self.conv_out(F.silu(self.conv_norm_out(self.mid_block(h))))


class VaeDecoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        ch, g, n = c["block_out_channels"], c["norm_num_groups"], len(c["block_out_channels"])
        rev = list(reversed(ch))
        self.conv_in = nn.Conv2d(c["latent_channels"], ch[-1], 3, padding=1)
        self.mid_block = VaeMid(ch[-1], g)
        self.up_blocks = nn.ModuleList([UpDecoderBlock2D(rev[max(i - 1, 0)], rev[i], c["layers_per_block"] + 1, g, i < n - 1) for i in range(n)])
        self.conv_norm_out = nn.GroupNorm(g, ch[0], eps=1e-6)
        self.conv_out = nn.Conv2d(ch[0], c["out_channels"], 3, padding=1)

    def forward(self, z):
        h = self.mid_block(self.conv_in(z))
        for b in self.up_blocks:
            h = b(h)
        return self.conv_out(F.silu(self.conv_norm_out(h)))


class AutoencoderKL(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        lc = c["latent_channels"]
        self.encoder = VaeEncoder(c)
        self.decoder = VaeDecoder(c)
        self.quant_conv = nn.Conv2d(2 * lc, 2 * lc, 1)
        self.post_quant_conv = nn.Conv2d(lc, lc, 1)

    def encode_mean(self, x):
        return self.quant_conv(self.encoder(x)).chunk(2, dim=1)[0] * self.c["scaling_factor"]

    def decode(self, z):
        return self.decoder(self.post_quant_conv(z / self.c["scaling_factor"]))


class CLIPAttention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(d, d) for _ in range(4))

    def forward(self, x, mask):
        n, l, d = x.shape
        hd = d // self.heads
        split = lambda t: t.reshape(n, l, self.heads, hd).transpose(1, 2)
        w = (split(self.q_proj(x)) * hd ** -0.5) @ split(self.k_proj(x)).transpose(-1, -2) + mask
        return self.out_proj((w.softmax(-1) @ split(self.v_proj(x))).transpose(1, 2).reshape(n, l, d))


class CLIPMLP(nn.Module):
    def __init__(self, d, inner, act):
        super().__init__()
        self.act = act
        self.fc1 = nn.Linear(d, inner)
        self.fc2 = nn.Linear(inner, d)

    def forward(self, x):
        h = self.fc1(x)
        h = h * torch.sigmoid(1.702 * h) if self.act == "quick_gelu" else F.gelu(h)
        return self.fc2(h)


class CLIPEncoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["hidden_size"]
        self.self_attn = CLIPAttention(d, c["num_attention_heads"])
        self.layer_norm1 = nn.LayerNorm(d, eps=c["layer_norm_eps"])
        self.mlp = CLIPMLP(d, c["intermediate_size"], c["hidden_act"])
        self.layer_norm2 = nn.LayerNorm(d, eps=c["layer_norm_eps"])

    def forward(self, x, mask):
        x = x + self.self_attn(self.layer_norm1(x), mask)
        return x + self.mlp(self.layer_norm2(x))


class CLIPTextTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["hidden_size"]
        self.embeddings = nn.Module()
        self.embeddings.token_embedding = nn.Embedding(c["vocab_size"], d)
        self.embeddings.position_embedding = nn.Embedding(c["max_position_embeddings"], d)
        self.encoder = nn.Module()
        self.encoder.layers = nn.ModuleList([CLIPEncoderLayer(c) for _ in range(c["num_hidden_layers"])])
        self.final_layer_norm = nn.LayerNorm(d, eps=c["layer_norm_eps"])

    def forward(self, ids):
        l = ids.shape[1]
        h = self.embeddings.token_embedding(ids) + self.embeddings.position_embedding(torch.arange(l, device=ids.device)[None])
        mask = torch.full((l, l), float("-inf"), device=ids.device, dtype=h.dtype).triu(1)  # in h's type, as transformers does
        for layer in self.encoder.layers:
            h = layer(h, mask)
        return self.final_layer_norm(h)


class CLIPTextModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.text_model = CLIPTextTransformer(c)

    def forward(self, ids):
        return self.text_model(ids)


# ---------------------------------------------------------------- schedule and one DDIM step
def alphas_cumprod():
    betas = torch.linspace(0.00085 ** 0.5, 0.012 ** 0.5, 1000, dtype=torch.float32) ** 2
    return torch.cumprod(1.0 - betas, dim=0)


def ddim_step(eps, t, sample, steps=20):
    ac = alphas_cumprod()
    prev = t - 1000 // steps
    a, ap = ac[t], (ac[prev] if prev >= 0 else ac[0])
    x0 = (sample - (1 - a).sqrt() * eps) / a.sqrt()
    return ap.sqrt() * x0 + (1 - ap).sqrt() * eps


# ---------------------------------------------------------------- diffusers -> original layout
# Written from the original repositories' module structure (ldm/modules/diffusionmodules/openaimodel.py,
# ldm/modules/diffusionmodules/model.py, cldm/cldm.py), in the direction opposite to the Java reader,
# so the Java mapping is checked against an independent statement of it.
RESNET_TO_LDM = [("norm1.", "in_layers.0."), ("conv1.", "in_layers.2."), ("time_emb_proj.", "emb_layers.1."),
                 ("norm2.", "out_layers.0."), ("conv2.", "out_layers.3."), ("conv_shortcut.", "skip_connection.")]


def ldm_resnet(rest):
    for a, b in RESNET_TO_LDM:
        if rest.startswith(a):
            return b + rest[len(a):]
    raise KeyError(rest)


def unet_to_ldm(name, c):
    n, per = len(c["block_out_channels"]), c["layers_per_block"] + 1
    p = name.split(".")
    if name.startswith("time_embedding.linear_1."):
        return "time_embed.0." + p[-1]
    if name.startswith("time_embedding.linear_2."):
        return "time_embed.2." + p[-1]
    if name.startswith("conv_in."):
        return "input_blocks.0.0." + p[-1]
    if name.startswith("conv_norm_out."):
        return "out.0." + p[-1]
    if name.startswith("conv_out."):
        return "out.2." + p[-1]
    if p[0] == "down_blocks":
        i = int(p[1])
        if p[2] == "downsamplers":
            return f"input_blocks.{per * (i + 1)}.0.op." + ".".join(p[5:])
        j, rest = int(p[3]), ".".join(p[4:])
        slot = f"input_blocks.{per * i + j + 1}"
        return f"{slot}.0." + ldm_resnet(rest) if p[2] == "resnets" else f"{slot}.1." + rest
    if p[0] == "mid_block":
        j, rest = int(p[2]), ".".join(p[3:])
        return f"middle_block.{2 * j}." + ldm_resnet(rest) if p[1] == "resnets" else "middle_block.1." + rest
    if p[0] == "up_blocks":
        i = int(p[1])
        has_attn = c["up_block_types"][i].startswith("CrossAttn")
        if p[2] == "upsamplers":
            return f"output_blocks.{per * i + per - 1}.{2 if has_attn else 1}." + ".".join(p[4:])
        j, rest = int(p[3]), ".".join(p[4:])
        slot = f"output_blocks.{per * i + j}"
        return f"{slot}.0." + ldm_resnet(rest) if p[2] == "resnets" else f"{slot}.1." + rest
    raise KeyError(name)


def controlnet_to_ldm(name, c):
    p = name.split(".")
    if p[0] == "controlnet_cond_embedding":
        steps = 2 * (len(c["conditioning_embedding_out_channels"]) - 1)
        conv = 0 if p[1] == "conv_in" else steps + 1 if p[1] == "conv_out" else int(p[2]) + 1
        return f"input_hint_block.{2 * conv}." + p[-1]
    if p[0] == "controlnet_down_blocks":
        return f"zero_convs.{p[1]}.0." + p[-1]
    if p[0] == "controlnet_mid_block":
        return "middle_block_out.0." + p[-1]
    return unet_to_ldm(name, c)


def vae_to_ldm(name, c):
    n = len(c["block_out_channels"])
    p = name.split(".")
    if p[0] in ("quant_conv", "post_quant_conv"):
        return name
    side = p[0]
    if p[1] in ("conv_in", "conv_out"):
        return name
    if p[1] == "conv_norm_out":
        return f"{side}.norm_out." + p[-1]
    if p[1] == "mid_block":
        if p[2] == "resnets":
            return f"{side}.mid.block_{int(p[3]) + 1}." + ".".join(p[4:]).replace("conv_shortcut.", "nin_shortcut.")
        proj = {"group_norm": "norm", "to_q": "q", "to_k": "k", "to_v": "v", "to_out": "proj_out"}[p[4]]
        return f"{side}.mid.attn_1.{proj}." + p[-1]
    i = int(p[2])
    if p[1] == "down_blocks":
        if p[3] == "downsamplers":
            return f"encoder.down.{i}.downsample." + ".".join(p[5:])
        return f"encoder.down.{i}.block.{p[4]}." + ".".join(p[5:]).replace("conv_shortcut.", "nin_shortcut.")
    if p[3] == "upsamplers":
        return f"decoder.up.{n - 1 - i}.upsample." + ".".join(p[5:])
    return f"decoder.up.{n - 1 - i}.block.{p[4]}." + ".".join(p[5:]).replace("conv_shortcut.", "nin_shortcut.")


def original_single_file(models, cfgs):
    out = {}
    for k, v in models["unet"].state_dict().items():
        out["model.diffusion_model." + unet_to_ldm(k, cfgs["unet"])] = v
    for k, v in models["controlnet"].state_dict().items():
        out["control_model." + controlnet_to_ldm(k, cfgs["controlnet"])] = v
    for k, v in models["vae"].state_dict().items():
        if ".attentions.0.to_" in k and k.endswith("weight"):
            v = v[:, :, None, None]  # ldm's attention projections are 1x1 convs
        out["first_stage_model." + vae_to_ldm(k, cfgs["vae"])] = v
    for k, v in models["text_encoder"].state_dict().items():
        out["cond_stage_model.transformer." + k] = v
    out["cond_stage_model.transformer.text_model.embeddings.position_ids"] = torch.arange(77, dtype=torch.float32)[None]
    return out


# ---------------------------------------------------------------- files
def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().float()
        data = t.numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def randomise(model, gen):
    """Seeded weights of a sensible scale; zero convs get non-zero values so the test sees them work."""
    with torch.no_grad():
        for name, p in sorted(model.named_parameters()):
            if "norm" in name and name.endswith("weight"):
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=gen))
            elif p.dim() == 1:
                p.copy_(0.05 * torch.randn(p.shape, generator=gen))
            else:
                fan_in = p[0].numel() if p.dim() > 1 else 1
                if "embedding" in name and p.dim() == 2 and "linear" not in name:
                    fan_in = 1
                p.copy_(torch.randn(p.shape, generator=gen) / math.sqrt(fan_in))


def main():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1234)
    unet_c, cn_c = cfg("unet_config.json"), cfg("controlnet_config.json")
    vae_c, te_c = cfg("vae_config.json"), cfg("text_encoder_config.json")
    models = {"unet": UNet2DConditionModel(unet_c), "controlnet": ControlNetModel(cn_c),
              "vae": AutoencoderKL(vae_c), "text_encoder": CLIPTextModel(te_c)}
    os.makedirs(os.path.join(OUT, "weights"), exist_ok=True)
    for name, m in models.items():
        randomise(m, gen)
        m.eval()
        write_safetensors(os.path.join(OUT, "weights", name + ".safetensors"), dict(m.state_dict()))

    cfgs = {"unet": unet_c, "controlnet": cn_c, "vae": vae_c}
    write_safetensors(os.path.join(OUT, "weights", "original_single_file.safetensors"), original_single_file(models, cfgs))

    io = {}
    n = 2
    latents = torch.randn(n, 4, 16, 16, generator=gen)
    timesteps = torch.tensor([10.0, 501.0])
    context = torch.randn(n, 77, 32, generator=gen)
    hint = torch.rand(n, 3, 64, 64, generator=gen)
    image = torch.rand(n, 3, 64, 64, generator=gen) * 2 - 1
    ids = torch.randint(0, te_c["vocab_size"], (n, 77), generator=gen)
    io.update({"in.latents": latents, "in.timesteps": timesteps, "in.context": context, "in.hint": hint,
               "in.image": image, "in.ids": ids.float()})
    with torch.no_grad():
        unet, cn, vae, te = models["unet"], models["controlnet"], models["vae"], models["text_encoder"]
        io["out.unet"] = unet(latents, timesteps, context)
        down, mid = cn(latents, timesteps, context, hint, scale=0.7)
        for i, r in enumerate(down):
            io[f"out.controlnet.{i}"] = r
        io["out.controlnet.mid"] = mid
        io["out.unet_controlled"] = unet(latents, timesteps, context, down, mid)
        z = vae.encode_mean(image)
        io["out.vae_latents"] = z
        io["out.vae_decoded"] = vae.decode(latents)
        io["out.text"] = te(ids)
        io["out.ddim_prev"] = ddim_step(io["out.unet"], 501, latents)
    write_safetensors(os.path.join(OUT, "io.safetensors"), io)
    for k in sorted(io):
        if k.startswith("out."):
            print(f"{k:28s} {tuple(io[k].shape)} mean|x|={io[k].abs().mean():.4f}")
    print("torch", torch.__version__)


if __name__ == "__main__":
    main()
