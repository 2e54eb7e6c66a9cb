#!/usr/bin/python3
"""Non-square conformance fixture for native SD (issue 15: image sizes and aspect ratios).

Artists render 512x768 portraits and 768x512 landscapes; every part of the UNet and VAE must then
work on latents whose height and width differ. This script loads the committed tiny SD 1.x weights
(tests/data/sd/sd1_tiny.safetensors, made by make_sd_fixtures.py) into the PUBLIC reference modules
(CompVis/Stability `ldm`, openai CLIP) and records, for a wide latent (8 x 12, i.e. 64 x 96 px) and a
tall one (12 x 8):
  - unet.out for unet.x [2,4,8,12], vae.decoded for vae.z [1,4,12,8], vae.mean for a 96x64 image;
  - a 4-step DDIM generation with CFG 7.5 from a [1,4,8,12] x_T (the same settings as sd1_gen.json).
Writes tests/data/sd/sd1_nonsquare_inputs.safetensors, sd1_nonsquare_reference.safetensors and
sd1_nonsquare_gen.safetensors. Needs the same reference checkouts as make_sd_fixtures.py:

    /usr/bin/python3 tools/sd_fixtures/make_sd_nonsquare_fixture.py \
        --ldm /tmp/ref/stablediffusion --clip /tmp/ref/CLIP --open-clip /tmp/ref/open_clip-v2.7.0 \
        --data tests/data/sd
"""
import argparse
import json
import os
import sys
import tempfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_sd_fixtures as fx  # noqa: E402
import safetensors_io as st  # noqa: E402
from sd_ref_env import Refs  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ldm", required=True)
    ap.add_argument("--clip", required=True)
    ap.add_argument("--open-clip", required=True)
    ap.add_argument("--data", required=True, help="tests/data/sd (reads sd1_tiny.safetensors, writes the fixture)")
    ap.add_argument("--seed", type=int, default=4321)
    args = ap.parse_args()

    torch.set_num_threads(2)
    refs = Refs(args.ldm, args.clip, args.open_clip)
    tok, _ = fx.build_tokenizer(refs, tempfile.mkdtemp(prefix="sd_nonsquare_"))
    # The tokenizer is rebuilt deterministically; it must be the committed one.
    committed = json.load(open(os.path.join(args.data, "tokenizer_tiny_ids.json")))
    assert committed["vocab_size"] == len(tok.encoder), "tokenizer differs from tests/data/sd/tokenizer_tiny"
    for case in committed["cases"]:
        assert tok.encode(case["text"]) == case["ids"], case["text"]

    gen = torch.Generator().manual_seed(args.seed)
    fam = fx.Family(refs, "sd1", fx.UNET_SD1, len(tok.encoder), gen)   # random weights, replaced below
    stored, _ = st.load(os.path.join(args.data, "sd1_tiny.safetensors"))
    fam.load_ldm_state(stored)

    image = torch.from_numpy(np.asarray(
        __import__("PIL.Image", fromlist=["Image"]).open(os.path.join(HERE, "..", "..", "tests", "data",
                                                                       "astronaut_128.png")).convert("RGB")
        .resize((64, 96)), dtype=np.float32)).permute(2, 0, 1).unsqueeze(0) / 127.5 - 1.0   # [1,3,96,64]
    inputs = {"unet.x": torch.randn(2, 4, 8, 12, generator=gen),
              "unet.t": torch.tensor([999, 17], dtype=torch.int64),
              "unet.context": torch.randn(2, fx.CTX, fx.TEXT_WIDTH, generator=gen),
              "vae.z": torch.randn(1, 4, 12, 8, generator=gen) * 2.0,
              "vae.image": image.contiguous()}
    with torch.no_grad():
        ref = {"unet.out": fam.unet(inputs["unet.x"], timesteps=inputs["unet.t"], context=inputs["unet.context"]),
               "vae.decoded": fam.vae.decode(inputs["vae.z"]),
               "vae.mean": fam.vae.encode(inputs["vae.image"]).mean}
    ref = {k: v.float().contiguous() for k, v in ref.items()}
    assert all(bool(torch.isfinite(v).all()) for v in ref.values())
    st.save(inputs, os.path.join(args.data, "sd1_nonsquare_inputs.safetensors"))
    st.save(ref, os.path.join(args.data, "sd1_nonsquare_reference.safetensors"))

    noise = torch.randn(1, 4, 8, 12, generator=gen)
    img, lat, gids, *_ = fx.generate(refs, fam, tok, fx.ids_sd1, noise, "eps")
    st.save({"noise": noise, "image": img.contiguous(), "latents": lat.contiguous(), "text.ids": gids},
            os.path.join(args.data, "sd1_nonsquare_gen.safetensors"))
    print(json.dumps({"unet.out": list(ref["unet.out"].shape), "vae.decoded": list(ref["vae.decoded"].shape),
                      "vae.mean": list(ref["vae.mean"].shape), "gen.image": list(img.shape),
                      "image_mean": float(img.mean()), "image_std": float(img.std())}))


if __name__ == "__main__":
    main()
