#!/usr/bin/env python3
"""PyTorch-eager baseline for bench/bench_core_sd.cpp: one SD 1.5 UNet step at 512² with CFG
(batch 2, latents [2,4,64,64], context [2,77,768]) through the reference ldm UNetModel, on Debian's
python3-torch (the same LibTorch NoiseStudio links). Random weights: the time does not depend on
the values. Prints one "step_seconds S" line per timed iteration (after one warm-up step).

Usage: sd_unet_eager.py --ldm PATH_TO_stablediffusion_CHECKOUT [--iterations N] [--threads T]
The checkout is the reference code (Stability-AI/stablediffusion); nothing of it is copied here.
einops is not packaged in Debian 12: the few patterns ldm's UNet uses are provided by a shim.
"""
import argparse
import sys
import time
import types

import torch


def einops_shim():
    """rearrange/repeat for exactly the patterns ldm's attention and UNet code use."""
    def rearrange(t, pattern, **k):
        p = " ".join(pattern.split())
        if p == "b c h w -> b (h w) c":
            b, c, h, w = t.shape
            return t.reshape(b, c, h * w).transpose(1, 2)
        if p == "b c h w -> b c (h w)":
            return t.reshape(t.shape[0], t.shape[1], -1)
        if p == "b i j -> b j i":
            return t.transpose(1, 2)
        if p == "b c (h w) -> b c h w":
            return t.reshape(t.shape[0], t.shape[1], k["h"], -1)
        if p == "b (h w) c -> b c h w":
            b, n, c = t.shape
            return t.transpose(1, 2).reshape(b, c, k["h"], k["w"])
        if p == "b n (h d) -> (b h) n d":
            b, n, hd = t.shape
            h = k["h"]
            return t.reshape(b, n, h, hd // h).permute(0, 2, 1, 3).reshape(b * h, n, hd // h)
        if p == "(b h) n d -> b n (h d)":
            bh, n, d = t.shape
            h = k["h"]
            return t.reshape(bh // h, h, n, d).permute(0, 2, 1, 3).reshape(bh // h, n, h * d)
        if p == "b ... -> b (...)":
            return t.reshape(t.shape[0], -1)
        raise NotImplementedError("einops shim: rearrange pattern " + pattern)

    def repeat(t, pattern, **k):
        p = " ".join(pattern.split())
        if p == "b -> b d":
            return t[:, None].expand(t.shape[0], k["d"])
        if p == "b j -> (b h) () j":
            return t[:, None, :].repeat_interleave(k["h"], 0)
        raise NotImplementedError("einops shim: repeat pattern " + pattern)

    m = types.ModuleType("einops")
    m.rearrange, m.repeat = rearrange, repeat
    return m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ldm", required=True)
    ap.add_argument("--iterations", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--latent", type=int, default=64, help="latent size (64 = a 512² image)")
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    sys.modules.setdefault("einops", einops_shim())
    # openaimodel only checks `type(context_dim) == ListConfig`; omegaconf itself is not needed.
    if "omegaconf" not in sys.modules:
        try:
            import omegaconf  # noqa: F401
        except ImportError:
            oc, lc = types.ModuleType("omegaconf"), types.ModuleType("omegaconf.listconfig")
            lc.ListConfig = type("ListConfig", (list,), {})
            oc.listconfig = lc
            sys.modules["omegaconf"], sys.modules["omegaconf.listconfig"] = oc, lc
    sys.path.insert(0, a.ldm)
    from ldm.modules.diffusionmodules.openaimodel import UNetModel  # the reference implementation

    # v1-inference.yaml's unet_config
    net = UNetModel(image_size=32, in_channels=4, out_channels=4, model_channels=320,
                    attention_resolutions=[4, 2, 1], num_res_blocks=2, channel_mult=[1, 2, 4, 4],
                    num_heads=8, use_spatial_transformer=True, transformer_depth=1, context_dim=768,
                    use_checkpoint=False, legacy=False).eval()
    g = torch.Generator().manual_seed(2)
    x = torch.randn(2, 4, a.latent, a.latent, generator=g)
    ctx = torch.randn(2, 77, 768, generator=g)
    t = torch.full((2,), 500, dtype=torch.long)
    with torch.inference_mode():
        net(x, t, context=ctx)  # warm-up, as the C++ side does
        for _ in range(a.iterations):
            t0 = time.perf_counter()
            net(x, t, context=ctx)
            print("step_seconds %.6f" % (time.perf_counter() - t0), flush=True)


if __name__ == "__main__":
    main()
