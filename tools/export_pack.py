#!/usr/bin/env python3
"""Export a diffusers model into a NoiseStudio model pack (docs/model-packs.md).

Run this where PyTorch, diffusers and transformers are installed (it downloads nothing by itself
unless --model names a Hugging Face repo and you are online). NoiseStudio's CI does NOT run this
script: it is tested by hand only. The C++ loader it feeds is tested in tests/core/model/.

Examples:
  python tools/export_pack.py --model runwayml/stable-diffusion-v1-5 --out packs/sd15
  python tools/export_pack.py --model stabilityai/stable-diffusion-2-1 --out packs/sd21
  python tools/export_pack.py --kind video --model cerspense/zeroscope_v2_576w --out packs/zeroscope \
      --frames 16 --dry-run-size 32

What it writes: denoiser.pt (UNet traced with forward(x, t, context)), vae_encoder.pt /
vae_decoder.pt (unscaled latents; latent.scale = vae.config.scaling_factor goes to model.json),
text_encoder.pt (ids [1,77] int64 -> last_hidden_state [1,77,D]), vocab.json, merges.txt and
model.json with the scheduler's settings.
"""
import argparse
import json
import os
import shutil

import torch


class UNetWrapper(torch.nn.Module):
    """forward(x, t, context) -> prediction, the signature NoiseStudio calls."""

    def __init__(self, unet):
        super().__init__()
        self.unet = unet

    def forward(self, x, t, context):
        return self.unet(x, t, encoder_hidden_states=context, return_dict=False)[0]


class VaeEncoder(torch.nn.Module):
    """images [-1,1] -> unscaled latents (posterior mean: deterministic)."""

    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def forward(self, x):
        return self.vae.encode(x).latent_dist.mean


class VaeDecoder(torch.nn.Module):
    """unscaled latents -> images [-1,1]."""

    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def forward(self, z):
        return self.vae.decode(z).sample


class TextEncoder(torch.nn.Module):
    """ids [B,L] int64 -> last_hidden_state [B,L,D]."""

    def __init__(self, te):
        super().__init__()
        self.te = te

    def forward(self, ids):
        return self.te(ids, return_dict=False)[0]


def schedule_of(scheduler_config):
    c = scheduler_config
    beta = c.get("beta_schedule", "linear")
    if beta == "squaredcos_cap_v2":
        beta = "cosine"
    return {
        "beta_schedule": beta,
        "beta_start": float(c.get("beta_start", 0.0001)),
        "beta_end": float(c.get("beta_end", 0.02)),
        "train_steps": int(c.get("num_train_timesteps", 1000)),
        "timestep_spacing": c.get("timestep_spacing", "leading"),
        "steps_offset": int(c.get("steps_offset", 0)),
        "set_alpha_to_one": bool(c.get("set_alpha_to_one", False)),
        "zero_terminal_snr": bool(c.get("rescale_betas_zero_snr", False)),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="diffusers repo id or local folder")
    ap.add_argument("--out", required=True, help="pack folder to create")
    ap.add_argument("--kind", choices=["image", "video"], default="image")
    ap.add_argument("--name", help="pack name (default: the folder name of --out)")
    ap.add_argument("--licence", default="see the model card", help="licence string for model.json")
    ap.add_argument("--resolution", type=int, help="native pixel size (default: from the UNet config)")
    ap.add_argument("--frames", type=int, default=16, help="frames used to trace a video UNet")
    ap.add_argument("--dry-run-size", type=int, default=0,
                    help="latent size NoiseStudio's load-time check uses (default: size_multiple)")
    ap.add_argument("--device", default="cpu", help="trace on this device (cpu is portable)")
    args = ap.parse_args()

    from diffusers import DiffusionPipeline  # imported late so --help works without diffusers

    pipe = DiffusionPipeline.from_pretrained(args.model, torch_dtype=torch.float32)
    unet, vae, te, tok = pipe.unet.eval(), pipe.vae.eval(), pipe.text_encoder.eval(), pipe.tokenizer
    os.makedirs(args.out, exist_ok=True)
    dev = torch.device(args.device)
    for m in (unet, vae, te):
        m.to(dev)

    down = 2 ** (len(vae.config.block_out_channels) - 1)
    res = args.resolution or unet.config.sample_size * down
    lat = res // down
    ch = unet.config.in_channels
    ctx_len = tok.model_max_length
    with torch.no_grad():
        ids = torch.zeros(1, ctx_len, dtype=torch.long, device=dev)
        text = torch.jit.trace(TextEncoder(te), (ids,), check_trace=False)
        text.save(os.path.join(args.out, "text_encoder.pt"))
        ctx = text(ids).repeat(2, 1, 1)
        if args.kind == "video":
            x = torch.randn(2, ch, args.frames, lat, lat, device=dev)
        else:
            x = torch.randn(2, ch, lat, lat, device=dev)
        t = torch.tensor([999, 1], dtype=torch.long, device=dev)
        den = torch.jit.trace(UNetWrapper(unet), (x, t, ctx), check_trace=False)
        den.save(os.path.join(args.out, "denoiser.pt"))
        img = torch.zeros(1, 3, res, res, device=dev)
        enc = torch.jit.trace(VaeEncoder(vae), (img,), check_trace=False)
        enc.save(os.path.join(args.out, "vae_encoder.pt"))
        dec = torch.jit.trace(VaeDecoder(vae), (enc(img),), check_trace=False)
        dec.save(os.path.join(args.out, "vae_decoder.pt"))

    # The CLIP tokenizer files: vocab.json + merges.txt (the slow CLIPTokenizer's files).
    tok_dir = os.path.join(args.out, "_tokenizer")
    tok.save_pretrained(tok_dir)
    for f in ("vocab.json", "merges.txt"):
        shutil.copy(os.path.join(tok_dir, f), os.path.join(args.out, f))
    shutil.rmtree(tok_dir)

    size_multiple = 2 ** (len(unet.config.block_out_channels) - 1)
    pred = pipe.scheduler.config.get("prediction_type", "epsilon")
    model = {
        "format": "noisestudio-pack",
        "format_version": 1,
        "name": args.name or os.path.basename(os.path.normpath(args.out)),
        "licence": args.licence,
        "prediction": pred,
        "schedule": schedule_of(pipe.scheduler.config),
        "resolution": res,
        "size_multiple": size_multiple,
        "latent": {"channels": ch, "downscale": down, "scale": float(vae.config.scaling_factor)},
        "image_or_video": args.kind,
        "text": "clip",
        "context_length": ctx_len,
        "files": {
            "denoiser": "denoiser.pt",
            "vae_encoder": "vae_encoder.pt",
            "vae_decoder": "vae_decoder.pt",
            "text_encoder": "text_encoder.pt",
            "tokenizer_vocab": "vocab.json",
            "tokenizer_merges": "merges.txt",
        },
    }
    pad = tok.pad_token
    if pad is not None and pad != "<|endoftext|>":
        model["tokenizer_pad"] = pad  # SD 2.x pads with "!"
    if args.dry_run_size:
        model["dry_run"] = {"size": args.dry_run_size, "frames": 2}
    if args.kind == "video":
        model.setdefault("dry_run", {})["frames"] = args.frames
    with open(os.path.join(args.out, "model.json"), "w") as f:
        json.dump(model, f, indent=2)
    print(f"wrote {args.out}: prediction {pred}, {res} px, latent {ch}x{lat}x{lat}, scale {vae.config.scaling_factor}")
    print(f"check it with: noisestudio-cli model info {args.out}")


if __name__ == "__main__":
    main()
