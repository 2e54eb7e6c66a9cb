#!/usr/bin/env python3
"""Writes the seed corpora in tests/fuzz/corpus/<target>/ (small valid and near-valid files).

Run from anywhere: python3 tests/fuzz/make_corpus.py. Copies fixtures from tests/data, examples/
and resources/, and writes tiny safetensors / .nsnoise files by hand (the format is simple:
8-byte little-endian header length, JSON header, raw little-endian data). Inputs that crashed a
fuzzer are added by hand as corpus/<target>/crash-<what> and are not rewritten here.
"""
import json, os, shutil, struct

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus")


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def safetensors(tensors, metadata=None):
    """tensors: name -> (dtype, shape, raw bytes)."""
    header, data = {}, b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata is not None:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + data


def f32(values):
    return struct.pack("<%df" % len(values), *values)


# --- safetensors -------------------------------------------------------------------------------
put("safetensors", "python_written.safetensors", open(os.path.join(ROOT, "tests/data/model/python_written.safetensors"), "rb").read())
put("safetensors", "all_dtypes.safetensors", safetensors({
    "f16": ("F16", [2], b"\x00\x3c\x00\xc0"), "bf16": ("BF16", [1, 2], b"\x80\x3f\x00\x40"),
    "f32": ("F32", [2, 2], f32([1, -2, 0.5, 3])), "f64": ("F64", [1], struct.pack("<d", 2.5)),
    "i64": ("I64", [1], struct.pack("<q", -7)), "i32": ("I32", [2], struct.pack("<2i", 1, 2)),
    "i16": ("I16", [1], struct.pack("<h", 3)), "i8": ("I8", [3], b"\x01\xff\x02"),
    "u8": ("U8", [2], b"\x00\xff"), "b": ("BOOL", [2], b"\x00\x01")}, {"k": "v"}))
put("safetensors", "empty.safetensors", safetensors({}))
put("safetensors", "zero_dim.safetensors", safetensors({"z": ("F32", [0, 3], b""), "s": ("F32", [], f32([1]))}))
put("safetensors", "truncated.safetensors", safetensors({"x": ("F32", [4], f32([1, 2, 3, 4]))})[:-3])

# --- noise files (.nsnoise = safetensors + "noisestudio" JSON metadata) -----------------------
schedule = {"beta_schedule": "scaled_linear", "beta_start": 0.00085, "beta_end": 0.012, "train_steps": 1000,
            "zero_terminal_snr": False, "set_alpha_to_one": False, "steps_offset": 1, "timestep_spacing": "leading"}
def noise_meta(method, steps):
    return json.dumps({"format": "noisestudio-noise", "format_version": 1, "method": method,
                       "model_id": "builtin-shapes-v1", "schedule": schedule, "steps": steps, "cfg_source": 1.0,
                       "eta": 1.0, "prompt": "a red ball", "source_hash": "0123456789abcdef",
                       "timesteps": list(range(steps * 10, 0, -10))[:steps]})
shape = [1, 2, 2, 2]
n = 8
put("noise_file", "edit_friendly.nsnoise", safetensors({
    "x_T": ("F32", shape, f32([0.1] * n)), "x_0": ("F32", shape, f32([0.2] * n)),
    "zs": ("F32", [2] + shape, f32([0.3] * 2 * n)), "xts": ("F32", [3] + shape, f32([0.4] * 3 * n))},
    {"noisestudio": noise_meta("edit-friendly", 2)}))
put("noise_file", "ddim.nsnoise", safetensors({
    "x_T": ("F16", shape, b"\x00\x3c" * n), "x_0": ("F32", shape, f32([0.2] * n))},
    {"noisestudio": noise_meta("ddim", 3)}))
put("noise_file", "no_metadata.nsnoise", safetensors({"x_T": ("F32", [1], f32([1]))}))

# --- projects ----------------------------------------------------------------------------------
for name in sorted(os.listdir(os.path.join(ROOT, "examples"))):
    if name.endswith(".nsproj"):
        put("project", name, open(os.path.join(ROOT, "examples", name), "rb").read())
put("project", "v0.nsproj", json.dumps({"width": 48, "height": 32, "ratio": 0.55, "fps": 8, "frames": 4,
    "prompt": "in the night sky", "seed": 3, "model": "builtin",
    "background": {"kind": "colour", "colour": "#101030"}, "objects": []}))
put("project", "kinds.nsproj", json.dumps({
    "schema_version": 1, "canvas": {"width": 64, "height": 64}, "fps": 8, "frames": 24, "prompt": "on grass",
    "seed": 7, "model": "builtin",
    "background": {"kind": "gradient", "colour": "#3a8f3a", "colour2": "#000000", "direction": "horizontal"},
    "noise": {"kind": "freenoise", "window": 8, "stride": 2, "degradation": 0.25},
    "render": {"steps": 10, "cfg": 3, "noise_ratio": 0.6, "method": "ddim_inversion"},
    "objects": [
        {"id": "a", "source": {"kind": "shape", "shape": "box", "colour": "blue"},
         "trajectory": {"keyframes": [{"frame": 0, "box": [0.1, 0.1, 0.3, 0.3]}]}},
        {"id": "b", "prompt": "a red ball", "z": 2, "source": {"kind": "cutout", "path": "src.png",
                                                               "box": [0, 0, 0.5, 0.5]},
         "trajectory": {"interpolation": "catmull_rom", "keyframes": [
             {"frame": 0, "box": [0.1, 0.5, 0.3, 0.7]},
             {"frame": 10, "box": [0.4, 0.5, 0.6, 0.7], "easing": "ease_in"},
             {"frame": 20, "box": [0.7, 0.5, 0.9, 0.7], "rotation_deg": 90}]}}]}, indent=1))

# --- model.json (built-in model and model packs) -----------------------------------------------
put("model_json", "builtin_model.json", open(os.path.join(ROOT, "resources/models/builtin/model.json"), "rb").read())
pack = {"format": "noisestudio-pack", "format_version": 1, "name": "test-pack", "licence": "CC0-1.0",
        "prediction": "epsilon", "schedule": schedule, "resolution": 16, "size_multiple": 4,
        "image_or_video": "image", "files": {"denoiser": "denoiser.pt"},
        "latent": {"channels": 3, "downscale": 1, "scale": 1.0}, "text": "none"}
put("model_json", "pack_pixel.json", json.dumps(pack, indent=1))
pack.update({"prediction": "v_prediction", "image_or_video": "video", "context_length": 77,
             "latent": {"channels": 4, "downscale": 2, "scale": 0.5}, "tokenizer_pad": "!",
             "dry_run": {"size": 8, "frames": 2},
             "files": {"denoiser": "denoiser.pt", "vae_encoder": "vae_encoder.pt", "vae_decoder": "vae_decoder.pt",
                       "text_encoder": "text_encoder.pt", "tokenizer_vocab": "vocab.json",
                       "tokenizer_merges": "merges.txt"}})
del pack["text"]
put("model_json", "pack_latent_video.json", json.dumps(pack, indent=1))

# --- CLIP tokenizer prompts (first byte picks the context length) ------------------------------
for i, text in enumerate(["a cat", "hello world!! it's 42", "<|startoftext|>hello<|endoftext|> 's 't 're",
                          "Caf\u00e9 \u732b  tabs\tand\nnewlines", "!!!!''''" * 8]):
    put("clip_tokenizer", "prompt%d.txt" % i, bytes([(i * 13) % 256]) + text.encode())

# --- AnimateDiff motion modules (names/layout inference) ---------------------------------------
def motion_module(sites, diffusers=False, pe=16, ch=32, inner=8):
    """A tiny full motion module (F16 zeros) at each site, in the original or diffusers names."""
    def z(*shape):
        n = 1
        for s in shape:
            n *= s
        return ("F16", list(shape), b"\x00\x00" * n)
    t = {}
    for site in sites:
        top = site + ("." if diffusers else ".temporal_transformer.")
        t[top + "norm.weight"], t[top + "norm.bias"] = z(ch), z(ch)
        t[top + "proj_in.weight"], t[top + "proj_in.bias"] = z(inner, ch), z(inner)
        t[top + "proj_out.weight"], t[top + "proj_out.bias"] = z(ch, inner), z(ch)
        blk = top + "transformer_blocks.0."
        for a in range(2):
            att = blk + ("attn%d." % (a + 1) if diffusers else "attention_blocks.%d." % a)
            for p in ("to_q", "to_k", "to_v"):
                t[att + p + ".weight"] = z(inner, inner)
            t[att + "to_out.0.weight"], t[att + "to_out.0.bias"] = z(inner, inner), z(inner)
            nrm = blk + ("norm%d." % (a + 1) if diffusers else "norms.%d." % a)
            t[nrm + "weight"], t[nrm + "bias"] = z(inner), z(inner)
            if not diffusers:
                t[att + "pos_encoder.pe"] = z(1, pe, inner)
        if diffusers:
            t[blk + "pos_embed.pe"] = z(1, pe, inner)
        t[blk + "ff.net.0.proj.weight"], t[blk + "ff.net.0.proj.bias"] = z(inner * 8, inner), z(inner * 8)
        t[blk + "ff.net.2.weight"], t[blk + "ff.net.2.bias"] = z(inner, inner * 4), z(inner)
        ff = blk + ("norm3." if diffusers else "ff_norm.")
        t[ff + "weight"], t[ff + "bias"] = z(inner), z(inner)
    return safetensors(t)


v3_sites = ["down_blocks.0.motion_modules.0", "up_blocks.0.motion_modules.0", "up_blocks.0.motion_modules.1"]
put("motion_module", "v3_original.safetensors", motion_module(v3_sites))
put("motion_module", "v3_diffusers.safetensors", motion_module(v3_sites, diffusers=True))
put("motion_module", "v2_mid_original.safetensors",
    motion_module(v3_sites[:1] + ["mid_block.motion_modules.0"] + v3_sites[1:], pe=32))
put("motion_module", "bad_global.ckpt", open(os.path.join(ROOT, "tests/data/motion/mm_bad_global.ckpt"), "rb").read())


# --- png_metadata: PNGs carrying NoiseStudio metadata (core/media/result_metadata.h) ---------------
import zlib


def png_chunk(ctype, data):
    body = ctype + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xffffffff)


def tiny_png(extra_chunks):
    """A 2x2 RGB PNG with `extra_chunks` after IHDR."""
    ihdr = png_chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
    raw = b"".join(b"\x00" + bytes([10 * y, 20, 30] * 2) for y in range(2))
    return (b"\x89PNG\r\n\x1a\n" + ihdr + b"".join(extra_chunks) + png_chunk(b"IDAT", zlib.compress(raw))
            + png_chunk(b"IEND", b""))


def itxt(keyword, text, compress):
    payload = zlib.compress(text.encode()) if compress else text.encode()
    return png_chunk(b"iTXt", keyword.encode() + b"\x00" + bytes([1 if compress else 0, 0]) + b"\x00\x00" + payload)


project = json.load(open(os.path.join(ROOT, "examples/red_ball_on_grass.nsproj")))
envelopes = {
    "project": {"format": "noisestudio-result", "version": 1, "kind": "project", "project": project},
    "recipe": {"format": "noisestudio-result", "version": 1, "kind": "recipe", "frame": 3,
               "recipe": {"verb": "edit", "prompt": "a dog", "seed": 7, "steps": 30, "cfg": 12.5, "skip": 20}},
}
summary = png_chunk(b"tEXt", b"parameters\x00a red ball on grass\nSteps: 30, Sampler: DDIM, Seed: 7")
for name, env in envelopes.items():
    text = json.dumps(env)
    put("png_metadata", name + ".png", tiny_png([itxt("NoiseStudio", text, False), summary]))
    put("png_metadata", name + "_zlib.png", tiny_png([itxt("NoiseStudio", text, True), summary]))
put("png_metadata", "ztxt.png", tiny_png([png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"hello"))]))
put("png_metadata", "plain.png", tiny_png([]))

# builtin_motion: built-in motion-module files (core/model/builtin_motion_sites.h) for the fuzz
# target's tiny UNet (base 8, mults [1], 1 res block: sites down 0.0, mid, up 0.0 and 0.1).
def motion_shapes(sites, heads_blocks=(1, 2)):
    blocks, attns = heads_blocks
    out = {}
    for site, ch in sites:
        p, d = site + ".temporal_transformer.", ch
        out.update({p + "norm.weight": [ch], p + "norm.bias": [ch], p + "proj_in.weight": [d, ch],
                    p + "proj_in.bias": [d], p + "proj_out.weight": [ch, d], p + "proj_out.bias": [ch]})
        for l in range(blocks):
            b = p + "transformer_blocks.%d." % l
            for a in range(attns):
                at = b + "attention_blocks.%d." % a
                for w in ("to_q.weight", "to_k.weight", "to_v.weight", "to_out.0.weight"):
                    out[at + w] = [d, d]
                out[at + "to_out.0.bias"] = [d]
                out[b + "norms.%d.weight" % a] = [d]
                out[b + "norms.%d.bias" % a] = [d]
            out.update({b + "ff.net.0.proj.weight": [8 * d, d], b + "ff.net.0.proj.bias": [8 * d],
                        b + "ff.net.2.weight": [d, 4 * d], b + "ff.net.2.bias": [d], b + "ff_norm.weight": [d],
                        b + "ff_norm.bias": [d]})
    return out


def f16_zeros(shape):
    n = 1
    for s in shape:
        n *= s
    return ("F16", shape, b"\x00\x00" * n)


tiny_sites = [("down_blocks.0.motion_modules.0", 8), ("mid_block.motion_modules.0", 8),
              ("up_blocks.0.motion_modules.0", 8), ("up_blocks.0.motion_modules.1", 8)]
motion_meta = {"format": "noisestudio-motion", "heads": "4", "groups": "4", "max_frames": "32", "mid_block": "1",
               "unet_base_channels": "8", "unet_mults": "1", "unet_res_blocks": "1", "model_id": "builtin-shapes-v1"}
valid = {k: f16_zeros(v) for k, v in motion_shapes(tiny_sites).items()}
put("builtin_motion", "valid.safetensors", safetensors(valid, motion_meta))
put("builtin_motion", "no_mid.safetensors",
    safetensors({k: f16_zeros(v) for k, v in motion_shapes([s for s in tiny_sites if "mid" not in s[0]]).items()},
                dict(motion_meta, mid_block="0")))
put("builtin_motion", "wrong_unet.safetensors", safetensors(valid, dict(motion_meta, unet_base_channels="48")))
put("builtin_motion", "no_metadata.safetensors", safetensors(valid))
