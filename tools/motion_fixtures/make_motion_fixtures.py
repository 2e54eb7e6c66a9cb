#!/usr/bin/python3
"""Conformance fixtures for AnimateDiff motion modules on the native SD 1.5 UNet (issue 16).

Builds tiny random-weight AnimateDiff motion modules with the PUBLIC reference code
(guoyww/AnimateDiff `animatediff/models/motion_module.py`: VanillaTemporalModule), inserts them
into the tiny SD 1.x UNet of tests/data/sd (run by CompVis/Stability `ldm`'s openaimodel.UNetModel)
at the places AnimateDiff's UNet3DConditionModel puts them (animatediff/models/unet_blocks.py):

  down block i, layer j : after ResBlock (+ SpatialTransformer)      -> down_blocks.i.motion_modules.j
  mid block (v2 only)   : after the SpatialTransformer, before the second ResBlock -> mid_block.motion_modules.0
  up block i, layer j   : after ResBlock (+ SpatialTransformer), before the Upsample -> up_blocks.i.motion_modules.j

Frames are folded into the batch for every spatial layer (v2/v3 use InflatedGroupNorm, i.e. per-frame
statistics); t and the text context are repeated per frame. Writes tests/data/motion/ (see its README).

    g=/work/.mirror
    mkdir -p /tmp/ref/ad /tmp/ref/sd
    git --git-dir=$g/guoyww+AnimateDiff/repo archive HEAD animatediff | tar -x -C /tmp/ref/ad
    git --git-dir=$g/Stability-AI+stablediffusion/repo archive HEAD ldm | tar -x -C /tmp/ref/sd
    /usr/bin/python3 tools/motion_fixtures/make_motion_fixtures.py --animatediff /tmp/ref/ad \
        --ldm /tmp/ref/sd --sd-data tests/data/sd --out tests/data/motion --seed 1616

Runtime: Debian python3-torch 1.13. The diffusers 0.11 classes motion_module.py imports
(CrossAttention, FeedForward, ModelMixin...) and einops are replaced by small shims written into a
temporary folder (MOTION_SHIMS below; our own code, written from diffusers 0.11's documented behaviour).
"""
import argparse
import collections
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "sd_fixtures"))
import make_sd_fixtures as fx  # noqa: E402
import safetensors_io as st  # noqa: E402
import sd_ref_env  # noqa: E402

MOTION_SHIMS = {
    # motion_module.py subclasses diffusers 0.11's CrossAttention and uses its FeedForward. Only the
    # members VersatileAttention touches exist here: q/k/v without bias, to_out = [Linear, Dropout],
    # heads folded into the batch, softmax(q k^T * dim_head^-0.5) v.
    "diffusers/__init__.py": "",
    "diffusers/configuration_utils.py":
        "class ConfigMixin:\n    pass\n\ndef register_to_config(f):\n    return f\n",
    "diffusers/modeling_utils.py": "import torch\nclass ModelMixin(torch.nn.Module):\n    pass\n",
    "diffusers/utils/__init__.py": "class BaseOutput(dict):\n    pass\n",
    "diffusers/utils/import_utils.py": "def is_xformers_available():\n    return False\n",
    "diffusers/models/__init__.py": "",
    "diffusers/models/attention.py": r'''
import torch
from torch import nn
import torch.nn.functional as F

class CrossAttention(nn.Module):
    def __init__(self, query_dim, cross_attention_dim=None, heads=8, dim_head=64, dropout=0.0, bias=False,
                 upcast_attention=False, upcast_softmax=False, added_kv_proj_dim=None, norm_num_groups=None):
        super().__init__()
        inner = heads * dim_head
        ctx = cross_attention_dim if cross_attention_dim is not None else query_dim
        self.scale = dim_head ** -0.5
        self.heads = heads
        self._slice_size = None
        self._use_memory_efficient_attention_xformers = False
        self.added_kv_proj_dim = added_kv_proj_dim
        self.group_norm = None
        self.to_q = nn.Linear(query_dim, inner, bias=bias)
        self.to_k = nn.Linear(ctx, inner, bias=bias)
        self.to_v = nn.Linear(ctx, inner, bias=bias)
        self.to_out = nn.ModuleList([nn.Linear(inner, query_dim), nn.Dropout(dropout)])

    def reshape_heads_to_batch_dim(self, t):
        b, s, d = t.shape
        h = self.heads
        return t.reshape(b, s, h, d // h).permute(0, 2, 1, 3).reshape(b * h, s, d // h)

    def reshape_batch_dim_to_heads(self, t):
        bh, s, d = t.shape
        h = self.heads
        return t.reshape(bh // h, h, s, d).permute(0, 2, 1, 3).reshape(bh // h, s, d * h)

    def _attention(self, q, k, v, attention_mask=None):
        scores = torch.baddbmm(torch.empty(q.shape[0], q.shape[1], k.shape[1], dtype=q.dtype), q,
                               k.transpose(-1, -2), beta=0, alpha=self.scale)
        probs = scores.softmax(dim=-1)
        return self.reshape_batch_dim_to_heads(torch.bmm(probs, v))

class GEGLU(nn.Module):
    def __init__(self, dim_in, dim_out):
        super().__init__()
        self.proj = nn.Linear(dim_in, dim_out * 2)

    def forward(self, x):
        x, gate = self.proj(x).chunk(2, dim=-1)
        return x * F.gelu(gate)

class FeedForward(nn.Module):
    def __init__(self, dim, dim_out=None, mult=4, dropout=0.0, activation_fn="geglu"):
        super().__init__()
        assert activation_fn == "geglu"
        inner = int(dim * mult)
        self.net = nn.ModuleList([GEGLU(dim, inner), nn.Dropout(dropout), nn.Linear(inner, dim_out or dim)])

    def forward(self, x):
        for m in self.net:
            x = m(x)
        return x
''',
}

FRAMES = 6
HEADS = 8


def install_motion_shims():
    root = sd_ref_env.install_shims()   # einops, omegaconf, torchvision (empty package), ...
    for rel, text in MOTION_SHIMS.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    return root


def motion_sites(cfg, mid):
    """(name, channels) of every motion module, in AnimateDiff's (diffusers') block names."""
    mc, mult, nres = cfg["model_channels"], cfg["channel_mult"], cfg["num_res_blocks"]
    sites = []
    for i, m in enumerate(mult):
        for j in range(nres):
            sites.append(("down_blocks.%d.motion_modules.%d" % (i, j), mc * m))
    if mid:
        sites.append(("mid_block.motion_modules.0", mc * mult[-1]))
    for i, m in enumerate(reversed(mult)):
        for j in range(nres + 1):
            sites.append(("up_blocks.%d.motion_modules.%d" % (i, j), mc * m))
    return sites


def build_modules(mm, sites, max_len, gen):
    mods = collections.OrderedDict()
    for name, ch in sites:
        m = mm.VanillaTemporalModule(in_channels=ch, num_attention_heads=HEADS, num_transformer_block=1,
                                     attention_block_types=("Temporal_Self", "Temporal_Self"),
                                     temporal_position_encoding=True, temporal_position_encoding_max_len=max_len,
                                     temporal_attention_dim_div=1, zero_initialize=False)
        # Random weights everywhere (proj_out is zero in a fresh AnimateDiff module: it would hide
        # the whole module), norms away from 1/0 so their affine parts count; then rounded to F16,
        # the storage of the fixture files, so the reference runs the stored values.
        with torch.no_grad():
            for sub in m.modules():
                if isinstance(sub, (torch.nn.LayerNorm, torch.nn.GroupNorm)):
                    sub.weight.copy_(1.0 + 0.2 * torch.randn(sub.weight.shape, generator=gen))
                    sub.bias.copy_(0.2 * torch.randn(sub.bias.shape, generator=gen))
                elif isinstance(sub, torch.nn.Linear):
                    bound = 1.5 / (sub.weight.shape[1] ** 0.5)
                    sub.weight.copy_((torch.rand(sub.weight.shape, generator=gen) * 2 - 1) * bound)
                    if sub.bias is not None:
                        sub.bias.copy_((torch.rand(sub.bias.shape, generator=gen) * 2 - 1) * bound)
            for p in m.parameters():
                p.copy_(p.half().float())
        m.eval()
        mods[name] = m
    return mods


def original_state(mods):
    sd = collections.OrderedDict()
    for name, m in mods.items():
        for k, v in m.state_dict().items():
            sd[name + "." + k] = v.detach().clone()
        # pos_encoder.pe is a non-persistent buffer in today's motion_module.py, but the released
        # v2/v3 files carry it ([1, max_len, C]); so do these, as the files users have do.
        for k, b in m.named_buffers():
            if k.endswith("pos_encoder.pe"):
                sd[name + "." + k] = b.detach().clone()
    return sd


def diffusers_state(orig):
    """diffusers' MotionAdapter names (convert_animatediff_motion_module_to_diffusers.py's renames);
    the sinusoid lives once per transformer block as pos_embed.pe there."""
    out = collections.OrderedDict()
    for k, v in orig.items():
        if "pos_encoder" in k:
            if ".attention_blocks.0." in k:
                base = k.split(".attention_blocks.0.")[0].replace(".temporal_transformer", "")
                out[base + ".pos_embed.pe"] = v
            continue
        out[k.replace(".norms.0", ".norm1").replace(".norms.1", ".norm2").replace(".ff_norm", ".norm3")
            .replace(".attention_blocks.0", ".attn1").replace(".attention_blocks.1", ".attn2")
            .replace(".temporal_transformer", "")] = v
    return out


def video_forward(refs, unet, mods, x5, t, ctx):
    """ldm's UNetModel.forward with the motion modules where AnimateDiff's UNet3D has them."""
    om = refs.openaimodel
    b, c, f, h, w = x5.shape
    fold = lambda v: v.permute(0, 2, 1, 3, 4).reshape(b * f, *v.shape[1:2], *v.shape[3:])
    unfold = lambda v: v.reshape(b, f, *v.shape[1:]).permute(0, 2, 1, 3, 4)

    def motion(name, hid):
        return fold(mods[name](unfold(hid), None, None)) if name in mods else hid

    def run(layer, hid, emb, cx):
        if isinstance(layer, om.TimestepBlock):
            return layer(hid, emb)
        if isinstance(layer, refs.attention.SpatialTransformer):
            return layer(hid, cx)
        return layer(hid)

    tt = t.repeat_interleave(f)
    cx = ctx.repeat_interleave(f, dim=0)
    temb = refs.ldm_util.timestep_embedding(tt, unet.model_channels, repeat_only=False)
    emb = unet.time_embed(temb.to(x5.dtype))
    nres = unet.num_res_blocks[0] if isinstance(unet.num_res_blocks, list) else unet.num_res_blocks
    hid = fold(x5)
    hs = []
    for k, blk in enumerate(unet.input_blocks):
        for layer in blk:
            hid = run(layer, hid, emb, cx)
        if k > 0 and (k - 1) % (nres + 1) < nres:   # a ResBlock level, not a Downsample
            hid = motion("down_blocks.%d.motion_modules.%d" % ((k - 1) // (nres + 1), (k - 1) % (nres + 1)), hid)
        hs.append(hid)
    for n, layer in enumerate(unet.middle_block):
        hid = run(layer, hid, emb, cx)
        if n == 1:
            hid = motion("mid_block.motion_modules.0", hid)
    for k, blk in enumerate(unet.output_blocks):
        hid = torch.cat([hid, hs.pop()], dim=1)
        for layer in blk:
            if isinstance(layer, om.Upsample):
                hid = motion("up_blocks.%d.motion_modules.%d" % (k // (nres + 1), k % (nres + 1)), hid)
                hid = layer(hid)
                break
            hid = run(layer, hid, emb, cx)
        else:
            hid = motion("up_blocks.%d.motion_modules.%d" % (k // (nres + 1), k % (nres + 1)), hid)
    return unfold(unet.out(hid)).contiguous()


def full_size_keys(mm, out):
    """Every tensor of SD 1.5 v2 / v3 motion-module files (name, shape), the modules built by the
    reference code on the meta device: the loader's layout inference is checked on the real names
    and shapes without the 1.7 GB of weights. Position tables [1, 32, C] as in the released files."""
    sd15 = dict(model_channels=320, channel_mult=[1, 2, 4, 4], num_res_blocks=2)
    counts = {}
    for version, mid in (("v2", True), ("v3", False)):
        sd, params = {}, 0
        with fx.MetaParams():
            for name, ch in motion_sites(sd15, mid):
                m = mm.VanillaTemporalModule(in_channels=ch, num_attention_heads=HEADS, num_transformer_block=1,
                                             attention_block_types=("Temporal_Self", "Temporal_Self"),
                                             temporal_position_encoding=True,
                                             temporal_position_encoding_max_len=32, zero_initialize=False)
                params += sum(p.numel() for p in m.parameters())
                for k, v in m.state_dict().items():
                    sd[name + "." + k] = v
                for k, b in m.named_buffers():
                    if k.endswith("pos_encoder.pe"):
                        sd[name + "." + k] = b
        lines = ["%s\t%s" % (k, ",".join(str(x) for x in sd[k].shape)) for k in sorted(sd)]
        with open(os.path.join(out, "keys_mm_sd15_%s.txt" % version), "w") as f:
            f.write("\n".join(lines) + "\n")
        counts[version] = {"tensors": len(lines), "parameters": params}
    return counts


def f16(sd):
    return collections.OrderedDict((k, v.half() if v.is_floating_point() else v) for k, v in sd.items())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--animatediff", required=True, help="checkout with animatediff/models/motion_module.py")
    ap.add_argument("--ldm", required=True, help="Stability-AI/stablediffusion checkout (ldm/)")
    ap.add_argument("--sd-data", required=True, help="tests/data/sd (reads sd1_tiny.safetensors)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1616)
    args = ap.parse_args()
    torch.set_num_threads(2)
    install_motion_shims()
    sys.path.insert(0, args.ldm)

    class LdmRefs:
        import ldm.modules.diffusionmodules.openaimodel as openaimodel
        import ldm.modules.diffusionmodules.util as ldm_util
        import ldm.modules.attention as attention
    refs = LdmRefs
    mm = sd_ref_env.load_file_module("animatediff_motion_module",
                                     os.path.join(args.animatediff, "animatediff", "models", "motion_module.py"))

    cfg = dict(fx.UNET_SD1)
    unet = refs.openaimodel.UNetModel(**cfg).eval()
    stored, _ = st.load(os.path.join(args.sd_data, "sd1_tiny.safetensors"))
    prefix = "model.diffusion_model."
    unet.load_state_dict({k[len(prefix):]: v.float() for k, v in stored.items() if k.startswith(prefix)})

    gen = torch.Generator().manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    x = torch.randn(2, 4, FRAMES, 8, 8, generator=gen)
    t = torch.tensor([999, 17], dtype=torch.int64)
    ctx = torch.randn(2, fx.CTX, fx.TEXT_WIDTH, generator=gen)
    st.save({"unet.x": x, "unet.t": t, "unet.context": ctx}, os.path.join(args.out, "motion_inputs.safetensors"))

    report, refs_out = {}, {}
    for version, mid, max_len in (("v2", True, 32), ("v3", False, 24)):
        mods = build_modules(mm, motion_sites(cfg, mid), max_len, gen)
        orig = f16(original_state(mods))
        st.save(orig, os.path.join(args.out, "mm_tiny_%s.safetensors" % version),
                metadata={"noisestudio.fixture": "AnimateDiff %s layout, tiny, random weights" % version})
        st.save(f16(diffusers_state(orig)), os.path.join(args.out, "mm_tiny_%s_diffusers.safetensors" % version))
        if version == "v2":
            path = os.path.join(args.out, "mm_tiny_v2.ckpt")
            torch.save({"state_dict": orig}, path)
            back = torch.load(path)["state_dict"]
            assert all(torch.equal(back[k], v) for k, v in orig.items())
        with torch.no_grad():
            out = video_forward(refs, unet, mods, x, t, ctx)
            # fp64 run of the same computation: how far fp32 itself is from exact
            gn = refs.ldm_util.GroupNorm32.forward
            refs.ldm_util.GroupNorm32.forward = torch.nn.GroupNorm.forward   # it casts to fp32 otherwise
            prec = refs.attention._ATTN_PRECISION
            refs.attention._ATTN_PRECISION = "fp64"
            out64 = video_forward(refs, unet.double(), {k: m.double() for k, m in mods.items()},
                                  x.double(), t, ctx.double())
            refs.ldm_util.GroupNorm32.forward, refs.attention._ATTN_PRECISION = gn, prec
            unet.float()
            for m in mods.values():
                m.float()
            no_motion = video_forward(refs, unet, {}, x, t, ctx)
        refs_out[version + ".unet.out"] = out.float()
        report[version] = {"modules": len(mods), "tensors": len(orig),
                           "fp32_vs_fp64_rel": fx.rel_err(out, out64),
                           "motion_effect_rel": fx.rel_err(out, no_motion)}
    st.save(refs_out, os.path.join(args.out, "motion_reference.safetensors"))

    # A checkpoint whose pickle CALLS a global outside the restricted reader's list (REDUCE on
    # argparse.Namespace: harmless here, but any callable could sit in its place). A plain
    # Namespace instance would be pickled with NEWOBJ, which the reader keeps as inert data.
    class CallsAGlobal:
        def __reduce__(self):
            return (argparse.Namespace, ())
    torch.save({"state_dict": {"down_blocks.0.motion_modules.0.temporal_transformer.norm.weight": torch.ones(32)},
                "args": CallsAGlobal()}, os.path.join(args.out, "mm_bad_global.ckpt"))
    # A module for a UNet 64 channels wide (does not fit the tiny 32-channel UNet).
    wide = build_modules(mm, [(n, 64) for n, _ in motion_sites(cfg, False)], 24, gen)
    st.save(f16(original_state(wide)), os.path.join(args.out, "mm_wide64_v3.safetensors"))
    report["full_size"] = full_size_keys(mm, args.out)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
