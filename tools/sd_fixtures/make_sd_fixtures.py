#!/usr/bin/python3
"""Conformance fixtures for native Stable Diffusion 1.x/2.x loading (issue 15).

Builds tiny random-weight models of the real architectures with the PUBLIC
reference code (CompVis/Stability `ldm`, openai CLIP, OpenCLIP 2.7.0) under
Debian's python3-torch 1.13, writes them in the single-file / .ckpt / diffusers
layouts, and records the reference outputs of every part plus a 4-step DDIM
generation. See tests/data/sd/README.md for the files and conventions.

    /usr/bin/python3 tools/sd_fixtures/make_sd_fixtures.py \
        --ldm /tmp/ref/stablediffusion --clip /tmp/ref/CLIP \
        --open-clip /tmp/ref/open_clip-v2.7.0 --out tests/data/sd --seed 1234
"""
import argparse
import ast
import copy
import gzip
import json
import os
import sys
import tempfile
from collections import Counter

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import safetensors_io as st  # noqa: E402
import sd_names  # noqa: E402
from sd_ref_env import Refs  # noqa: E402

SCALE_FACTOR = 0.18215
CTX = 77
TEXT_WIDTH = 32

# Tiny configurations: the real architectures with the fewest channels GroupNorm(32)
# allows. channel_mult (1,1) and attention only at the first level keep 4 copies of the
# SD1 weights plus SD2 under the size budget; the second level therefore exercises the
# diffusers DownBlock2D/UpBlock2D (no attention) path like SD's real last level.
UNET_SD1 = dict(image_size=32, in_channels=4, out_channels=4, model_channels=32, attention_resolutions=[1],
                num_res_blocks=1, channel_mult=[1, 1], num_heads=2, use_spatial_transformer=True,
                transformer_depth=1, context_dim=TEXT_WIDTH, use_checkpoint=False, legacy=False)
# SD2: heads from the head width (8 -> 4 heads of 8), linear proj_in/proj_out.
UNET_SD2 = dict(image_size=32, in_channels=4, out_channels=4, model_channels=32, attention_resolutions=[1],
                num_res_blocks=1, channel_mult=[1, 1], num_head_channels=8, use_spatial_transformer=True,
                use_linear_in_transformer=True, transformer_depth=1, context_dim=TEXT_WIDTH,
                use_checkpoint=False, legacy=False)
VAE_DD = dict(double_z=True, z_channels=4, resolution=64, in_channels=3, out_ch=3, ch=32, ch_mult=[1, 1, 1, 1],
              num_res_blocks=1, attn_resolutions=[], dropout=0.0)
VAE_EMBED_DIM = 4
TEXT_SD1 = dict(width=TEXT_WIDTH, layers=2, heads=2, context_length=CTX, activation="quick_gelu",
                output="last layer after final_layer_norm")
TEXT_SD2 = dict(width=TEXT_WIDTH, layers=3, heads=2, context_length=CTX, embed_dim=TEXT_WIDTH, activation="gelu",
                output="penultimate layer (resblocks[:-1]) then ln_final")
SCHEDULE = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear")

# Full-size configurations (v1-inference.yaml, v2-inference-v.yaml; text towers from the
# openai CLIP ViT-L/14 and OpenCLIP ViT-H-14 configs).
UNET_SD15 = dict(image_size=32, in_channels=4, out_channels=4, model_channels=320, attention_resolutions=[4, 2, 1],
                 num_res_blocks=2, channel_mult=[1, 2, 4, 4], num_heads=8, use_spatial_transformer=True,
                 transformer_depth=1, context_dim=768, use_checkpoint=False, legacy=False)
UNET_SD21 = dict(image_size=32, in_channels=4, out_channels=4, model_channels=320, attention_resolutions=[4, 2, 1],
                 num_res_blocks=2, channel_mult=[1, 2, 4, 4], num_head_channels=64, use_spatial_transformer=True,
                 use_linear_in_transformer=True, transformer_depth=1, context_dim=1024, use_checkpoint=False,
                 legacy=False)
VAE_FULL = dict(double_z=True, z_channels=4, resolution=256, in_channels=3, out_ch=3, ch=128, ch_mult=[1, 2, 4, 4],
                num_res_blocks=2, attn_resolutions=[], dropout=0.0)

PROMPTS = [
    "a photo of a cat",
    "A Photo OF a CAT!!",
    "it's a dog's life, isn't it? they're here; we've 42 cats & 7 dogs.",
    "  lots   of    spaces\tand\nnew   lines  ",
    "hello-world: 3.14159 (pi) #1 @home, fish &amp; chips",
    "",
]
GEN_PROMPT = "a red ball on a blue table, 4k photo"
TEXT_PROMPTS = [GEN_PROMPT, "it's a dog's life, isn't it?"]
LONG_WORDS = ("a painting of a red fox sitting on a mossy rock in a quiet forest at dawn with soft light "
              "and mist between tall pine trees while birds fly over the lake in the distance").split()


def long_prompt():
    words = [LONG_WORDS[i % len(LONG_WORDS)] for i in range(100)]
    return " ".join(words)


# ---------------------------------------------------------------- tokenizer

def build_tokenizer(refs, tmp):
    """A small BPE table in CLIP's format: the 256 byte symbols and their </w>
    forms, merges learned (greedy pair counts) from the test prompts' words, then
    the two special tokens. Returns (SimpleTokenizer, merges)."""
    tk = refs.clip_tokenizer
    empty = os.path.join(tmp, "empty_bpe.txt.gz")
    with gzip.open(empty, "wb") as f:
        f.write(b"#version: 0.2 - tiny NoiseStudio fixture vocabulary")
    base = tk.SimpleTokenizer(bpe_path=empty)
    words = Counter()
    for text in PROMPTS + TEXT_PROMPTS + [GEN_PROMPT, long_prompt()]:
        text = tk.whitespace_clean(tk.basic_clean(text)).lower()
        for tok in tk.re.findall(base.pat, text):
            words["".join(base.byte_encoder[b] for b in tok.encode("utf-8"))] += 1
    seqs = {tuple(w[:-1]) + (w[-1] + "</w>",): c for w, c in words.items()}
    known = set(base.encoder)
    merges = []
    while len(merges) < 88:
        pairs = Counter()
        for seq, c in seqs.items():
            for p in zip(seq, seq[1:]):
                pairs[p] += c
        pick = None
        for p, _ in sorted(pairs.items(), key=lambda pc: (-pc[1], pc[0])):
            if "".join(p) not in known:
                pick = p
                break
        if pick is None:
            break
        merges.append(pick)
        known.add("".join(pick))
        merged = {}
        for seq, c in seqs.items():
            out, i = [], 0
            while i < len(seq):
                if i + 1 < len(seq) and (seq[i], seq[i + 1]) == pick:
                    out.append(seq[i] + seq[i + 1])
                    i += 2
                else:
                    out.append(seq[i])
                    i += 1
            merged[tuple(out)] = merged.get(tuple(out), 0) + c
        seqs = merged
    path = os.path.join(tmp, "tiny_bpe.txt.gz")
    with gzip.open(path, "wb") as f:   # no trailing newline: SimpleTokenizer would add '' to the vocab
        f.write(("#version: 0.2\n" + "\n".join("%s %s" % m for m in merges)).encode("utf-8"))
    tok = tk.SimpleTokenizer(bpe_path=path)
    assert len(tok.encoder) == 512 + len(merges) + 2, "merge results must be unique"
    return tok, merges


def ids_sd1(tok, text):
    """CLIPTokenizer as SD 1.x calls it: <sot> ids <eot>, truncated to 77 keeping <eot>, padded with <eot>."""
    sot, eot = tok.encoder["<|startoftext|>"], tok.encoder["<|endoftext|>"]
    ids = [sot] + tok.encode(text)[:CTX - 2] + [eot]
    return ids + [eot] * (CTX - len(ids))


def ids_sd2(tok, text):
    """open_clip.tokenize (SD 2.x): <sot> ids <eot>, cut to 77 with <eot> last, padded with 0."""
    sot, eot = tok.encoder["<|startoftext|>"], tok.encoder["<|endoftext|>"]
    ids = [sot] + tok.encode(text) + [eot]
    if len(ids) > CTX:
        ids = ids[:CTX]
        ids[-1] = eot
    return ids + [0] * (CTX - len(ids))


def write_tokenizer(tok, merges, folder):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "vocab.json"), "w") as f:
        json.dump(tok.encoder, f, ensure_ascii=False)
    with open(os.path.join(folder, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "".join("%s %s\n" % m for m in merges))


# ---------------------------------------------------------------- models

class TinyAutoencoderKL(nn.Module):
    """ldm.models.autoencoder.AutoencoderKL's inference path without its
    pytorch_lightning base: Encoder -> quant_conv -> DiagonalGaussianDistribution,
    post_quant_conv -> Decoder (same attribute names, hence same state-dict keys)."""

    def __init__(self, refs, ddconfig, embed_dim):
        super().__init__()
        self.encoder = refs.vae_model.Encoder(**ddconfig)
        self.decoder = refs.vae_model.Decoder(**ddconfig)
        self.quant_conv = nn.Conv2d(2 * ddconfig["z_channels"], 2 * embed_dim, 1)
        self.post_quant_conv = nn.Conv2d(embed_dim, ddconfig["z_channels"], 1)
        self._dist = refs.distributions.DiagonalGaussianDistribution

    def encode(self, x):
        return self._dist(self.quant_conv(self.encoder(x)))

    def decode(self, z):
        return self.decoder(self.post_quant_conv(z))


def openai_clip(refs, vocab, width, layers, heads):
    # The vision tower is only there because CLIP's constructor and dtype need one.
    return refs.clip_model.CLIP(embed_dim=width, image_resolution=32, vision_layers=1, vision_width=64,
                                vision_patch_size=16, context_length=CTX, vocab_size=vocab,
                                transformer_width=width, transformer_heads=heads, transformer_layers=layers)


def open_clip_text(refs, vocab, width, layers, heads, embed_dim):
    m = refs.open_clip_model.CLIP(embed_dim=embed_dim,
                                  vision_cfg=dict(image_size=32, layers=1, width=64, head_width=64, patch_size=16),
                                  text_cfg=dict(context_length=CTX, vocab_size=vocab, width=width, heads=heads,
                                                layers=layers))
    del m.visual   # as FrozenOpenCLIPEmbedder does
    return m


def openai_text_hidden(clip, ids):
    """SD 1.x conditioning: CLIPTextModel.last_hidden_state, i.e. CLIP.encode_text up to
    ln_final (before the EOT pooling and projection)."""
    x = clip.token_embedding(ids).type(clip.dtype)
    x = x + clip.positional_embedding.type(clip.dtype)
    x = x.permute(1, 0, 2)
    x = clip.transformer(x)
    x = x.permute(1, 0, 2)
    return clip.ln_final(x).type(clip.dtype)


def open_clip_penultimate(model, ids):
    """FrozenOpenCLIPEmbedder.encode_with_transformer with layer="penultimate"
    (ldm/modules/encoders/modules.py; that module needs kornia/transformers to import)."""
    x = model.token_embedding(ids)
    x = x + model.positional_embedding
    x = x.permute(1, 0, 2)
    blocks = model.transformer.resblocks
    for i, r in enumerate(blocks):
        if i == len(blocks) - 1:
            break
        x = r(x, attn_mask=model.attn_mask)
    x = x.permute(1, 0, 2)
    return model.ln_final(x)


def randomize(module, gen, prefix=""):
    """Every parameter random, norms and zero-initialised convs included, scaled to keep
    activations O(1): weights N(0, 1/fan_in), norm gains 1+N(0,0.25^2), biases N(0,0.1^2)."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            full = prefix + name
            if name.endswith("logit_scale"):
                p.fill_(float(np.log(1 / 0.07)))
            elif "token_embedding" in name:
                p.copy_(torch.randn(p.shape, generator=gen))
            elif "positional_embedding" in name or "position_embedding" in name:
                p.copy_(0.5 * torch.randn(p.shape, generator=gen))
            elif name.endswith("text_projection"):
                p.copy_(torch.randn(p.shape, generator=gen) / np.sqrt(p.shape[0]))
            elif p.dim() >= 2:
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=gen) / np.sqrt(fan_in))
            elif name.endswith("weight"):
                p.copy_(1.0 + 0.25 * torch.randn(p.shape, generator=gen))
            else:
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))
            del full


def round_to_f16(module):
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(p.half().float())


def plant_subnormals(unet):
    """F16 subnormals (bits 0x0001, 0x0200, 0x03ff, 0x8001) in time_embed.0.bias[0:4]:
    a loader that flushes them to zero reads different values."""
    bits = torch.tensor([0x0001, 0x0200, 0x03FF, -32767], dtype=torch.int16)
    with torch.no_grad():
        unet.time_embed[0].bias[:4] = bits.view(torch.float16).float()


def schedule_buffers(refs):
    """The buffers ldm's DDPM.register_schedule stores in every original checkpoint
    (float64 numpy cumprod, saved as float32)."""
    betas = refs.ldm_util.make_beta_schedule("linear", SCHEDULE["num_train_timesteps"],
                                             linear_start=SCHEDULE["beta_start"], linear_end=SCHEDULE["beta_end"])
    alphas_cumprod = np.cumprod(1.0 - betas, axis=0)
    prev = np.append(1.0, alphas_cumprod[:-1])
    f32 = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    return {"betas": f32(betas), "alphas_cumprod": f32(alphas_cumprod), "alphas_cumprod_prev": f32(prev)}


def full_schedule_buffers(refs):
    """Names and values of all 12 schedule buffers (for the full-size key lists)."""
    betas = refs.ldm_util.make_beta_schedule("linear", 1000, linear_start=0.00085, linear_end=0.012)
    ac = np.cumprod(1.0 - betas)
    prev = np.append(1.0, ac[:-1])
    pv = betas * (1.0 - prev) / (1.0 - ac)
    d = {"betas": betas, "alphas_cumprod": ac, "alphas_cumprod_prev": prev, "sqrt_alphas_cumprod": np.sqrt(ac),
         "sqrt_one_minus_alphas_cumprod": np.sqrt(1 - ac), "log_one_minus_alphas_cumprod": np.log(1 - ac),
         "sqrt_recip_alphas_cumprod": np.sqrt(1 / ac), "sqrt_recipm1_alphas_cumprod": np.sqrt(1 / ac - 1),
         "posterior_variance": pv, "posterior_log_variance_clipped": np.log(np.maximum(pv, 1e-20)),
         "posterior_mean_coef1": betas * np.sqrt(prev) / (1 - ac),
         "posterior_mean_coef2": (1 - prev) * np.sqrt(1 - betas) / (1 - ac)}
    return {k: torch.tensor(v, dtype=torch.float32) for k, v in d.items()}


def prefixed(prefix, sd):
    return {prefix + k: v for k, v in sd.items()}


def to_f16(sd):
    return {k: (v.detach().clone().half() if v.is_floating_point() else v.detach().clone()) for k, v in sd.items()}


class Family:
    """One tiny model family: UNet, VAE, text tower, in fp32 with F16-rounded weights."""

    def __init__(self, refs, name, unet_cfg, vocab, gen):
        self.refs, self.name = refs, name
        self.unet = refs.openaimodel.UNetModel(**unet_cfg).eval()
        self.vae = TinyAutoencoderKL(refs, VAE_DD, VAE_EMBED_DIM).eval()
        if name == "sd1":
            self.text = openai_clip(refs, vocab, TEXT_SD1["width"], TEXT_SD1["layers"], TEXT_SD1["heads"]).eval()
        else:
            self.text = open_clip_text(refs, vocab, TEXT_SD2["width"], TEXT_SD2["layers"], TEXT_SD2["heads"],
                                       TEXT_SD2["embed_dim"]).eval()
        for m in (self.unet, self.vae, self.text):
            randomize(m, gen)
        plant_subnormals(self.unet)
        for m in (self.unet, self.vae, self.text):
            round_to_f16(m)

    def text_state(self):
        sd = self.text.state_dict()
        if self.name == "sd1":
            sd = {k: v for k, v in sd.items()
                  if not k.startswith("visual.") and k not in ("text_projection", "logit_scale")}
            return sd_names.openai_clip_text_to_hf(sd, TEXT_SD1["width"])
        return dict(sd)

    def ldm_state(self, sched):
        text_prefix = "cond_stage_model.transformer.text_model." if self.name == "sd1" else "cond_stage_model.model."
        sd = {}
        sd.update(prefixed("model.diffusion_model.", self.unet.state_dict()))
        vae = {k: v for k, v in self.vae.state_dict().items()}
        sd.update(prefixed("first_stage_model.", vae))
        sd.update(prefixed(text_prefix, self.text_state()))
        sd.update(sched)
        return sd

    def encode_text(self, ids):
        if self.name == "sd1":
            return openai_text_hidden(self.text, ids)
        return open_clip_penultimate(self.text, ids)

    def load_ldm_state(self, sd):
        """Load a single-file state dict back into the reference modules (checks the
        file round trip and makes the references come from the stored values)."""
        def part(prefix):
            return {k[len(prefix):]: v.float() for k, v in sd.items() if k.startswith(prefix)}
        self.unet.load_state_dict(part("model.diffusion_model."), strict=True)
        self.vae.load_state_dict(part("first_stage_model."), strict=True)
        if self.name == "sd1":
            hf = part("cond_stage_model.transformer.text_model.")
            text = sd_names.hf_text_to_openai_clip(hf)
            missing, unexpected = self.text.load_state_dict(text, strict=False)
            assert not unexpected and all(k.startswith("visual.") or k in ("text_projection", "logit_scale")
                                          for k in missing), (missing, unexpected)
        else:
            self.text.load_state_dict(part("cond_stage_model.model."), strict=True)


# ---------------------------------------------------------------- references

def run_parts(fam, inputs):
    with torch.no_grad():
        out = {"text.hidden": fam.encode_text(inputs["text.ids"]),
               "unet.out": fam.unet(inputs["unet.x"], timesteps=inputs["unet.t"], context=inputs["unet.context"]),
               "vae.decoded": fam.vae.decode(inputs["vae.z"]),
               "vae.mean": fam.vae.encode(inputs["vae.image"]).mean}
    return {k: v.float().contiguous() for k, v in out.items()}


def as_double(fam):
    d = copy.copy(fam)
    d.unet, d.vae, d.text = copy.deepcopy(fam.unet).double(), copy.deepcopy(fam.vae).double(), \
        copy.deepcopy(fam.text).double()
    d.unet.dtype = torch.float64   # UNetModel.forward casts x to self.dtype
    return d


class Float64Mode:
    """For the fp64 error estimate only (never for the fixtures): openai CLIP's LayerNorm,
    ldm's GroupNorm32, its timestep embedding and its attention (ATTN_PRECISION fp32) cast
    to float32; in this mode they stay in float64."""

    def __init__(self, refs):
        self.refs = refs

    def __enter__(self):
        r = self.refs
        self.saved = (r.clip_model.LayerNorm.forward, r.ldm_util.GroupNorm32.forward,
                      r.openaimodel.timestep_embedding, r.attention._ATTN_PRECISION)
        r.clip_model.LayerNorm.forward = nn.LayerNorm.forward
        r.ldm_util.GroupNorm32.forward = nn.GroupNorm.forward
        te = self.saved[2]
        r.openaimodel.timestep_embedding = lambda *a, **k: te(*a, **k).double()
        r.attention._ATTN_PRECISION = "fp64"

    def __exit__(self, *a):
        r = self.refs
        (r.clip_model.LayerNorm.forward, r.ldm_util.GroupNorm32.forward,
         r.openaimodel.timestep_embedding, r.attention._ATTN_PRECISION) = self.saved


def double_inputs(inputs):
    return {k: (v.double() if v.is_floating_point() else v) for k, v in inputs.items()}


def rel_err(a, b):
    return float((a.double() - b.double()).abs().max() / b.double().abs().max())


def ddpm_methods(refs):
    """DDPM.predict_eps_from_z_and_v / predict_start_from_z_and_v taken from ddpm.py's
    source (the module itself needs pytorch_lightning to import)."""
    tree = ast.parse(open(refs.ddpm_source).read())
    ns = {"extract_into_tensor": refs.ldm_util.extract_into_tensor, "torch": torch}
    for cls in tree.body:
        if isinstance(cls, ast.ClassDef) and cls.name == "DDPM":
            for fn in cls.body:
                if isinstance(fn, ast.FunctionDef) and fn.name in ("predict_eps_from_z_and_v",
                                                                    "predict_start_from_z_and_v"):
                    exec(compile(ast.Module(body=[fn], type_ignores=[]), refs.ddpm_source, "exec"), ns)
    return ns["predict_eps_from_z_and_v"], ns["predict_start_from_z_and_v"]


class SamplerModel:
    """What ldm's DDIMSampler asks of a LatentDiffusion: the schedule (DDPM.register_schedule's
    float64 numbers saved as float32), apply_model and the v conversions."""

    def __init__(self, refs, unet, parameterization):
        self.unet, self.parameterization = unet, parameterization
        betas = refs.ldm_util.make_beta_schedule("linear", 1000, linear_start=SCHEDULE["beta_start"],
                                                 linear_end=SCHEDULE["beta_end"])
        ac = np.cumprod(1.0 - betas, axis=0)
        f32 = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
        self.num_timesteps = 1000
        self.betas = f32(betas)
        self.alphas_cumprod = f32(ac)
        self.alphas_cumprod_prev = f32(np.append(1.0, ac[:-1]))
        self.sqrt_alphas_cumprod = f32(np.sqrt(ac))
        self.sqrt_one_minus_alphas_cumprod = f32(np.sqrt(1.0 - ac))
        self.device = torch.device("cpu")
        eps, start = ddpm_methods(refs)
        self.predict_eps_from_z_and_v = lambda x, t, v: eps(self, x, t, v)
        self.predict_start_from_z_and_v = lambda x, t, v: start(self, x, t, v)

    def apply_model(self, x, t, c):
        return self.unet(x, timesteps=t, context=c)


def generate(refs, fam, tok, ids_fn, noise, parameterization, steps=4, cfg=7.5):
    ids = torch.tensor([ids_fn(tok, ""), ids_fn(tok, GEN_PROMPT)], dtype=torch.int64)
    dtype = noise.dtype
    with torch.no_grad():
        ctx = fam.encode_text(ids).to(dtype)
        model = SamplerModel(refs, fam.unet, parameterization)
        sampler = refs.ddim.DDIMSampler(model, device=torch.device("cpu"))
        samples, _ = sampler.sample(S=steps, batch_size=1, shape=tuple(noise.shape[1:]), conditioning=ctx[1:],
                                    x_T=noise, eta=0.0, unconditional_guidance_scale=cfg,
                                    unconditional_conditioning=ctx[:1], verbose=False)
        x = fam.vae.decode(samples / SCALE_FACTOR)
        image = torch.clamp((x + 1.0) / 2.0, min=0.0, max=1.0)
    timesteps = [int(t) for t in np.flip(sampler.ddim_timesteps)]
    alphas = [float(a) for a in sampler.ddim_alphas.flip(0)]
    alphas_prev = [float(a) for a in np.flip(np.asarray(sampler.ddim_alphas_prev))]
    return image.float(), samples.float(), ids, timesteps, alphas, alphas_prev, x.float()


# ---------------------------------------------------------------- full-size key lists

class MetaParams:
    """Parameters land on the meta device while a module is built, so the full-size
    models cost no memory (initialisers run on meta tensors)."""

    def __enter__(self):
        self.orig = nn.Module.register_parameter

        def reg(mod, name, param):
            if param is not None and param.device.type != "meta":
                param = nn.Parameter(param.data.to("meta"), requires_grad=param.requires_grad)
            self.orig(mod, name, param)
        nn.Module.register_parameter = reg
        return self

    def __exit__(self, *a):
        nn.Module.register_parameter = self.orig


def count(m):
    return sum(p.numel() for p in m.parameters())


def full_size_keys(refs, out):
    counts = {}
    sched = full_schedule_buffers(refs)
    for fam in ("sd15", "sd21"):
        with MetaParams():
            unet = refs.openaimodel.UNetModel(**(UNET_SD15 if fam == "sd15" else UNET_SD21))
            vae = TinyAutoencoderKL(refs, VAE_FULL, 4)
            if fam == "sd15":
                text = openai_clip(refs, 49408, 768, 12, 12)
                tsd = {k: v for k, v in text.state_dict().items()
                       if not k.startswith("visual.") and k not in ("text_projection", "logit_scale")}
                hf = sd_names.openai_clip_text_to_hf({k: v for k, v in tsd.items()}, 768)
                text_sd = prefixed("cond_stage_model.transformer.text_model.", hf)
                text_params = sum(v.numel() for k, v in hf.items() if k != "embeddings.position_ids")
            else:
                text = open_clip_text(refs, 49408, 1024, 24, 16, 1024)
                text_sd = prefixed("cond_stage_model.model.", text.state_dict())
                text_params = count(text)
        counts[fam] = {"unet": count(unet), "vae": count(vae), "text": text_params}
        sd = {}
        sd.update(prefixed("model.diffusion_model.", unet.state_dict()))
        sd.update(prefixed("first_stage_model.", vae.state_dict()))
        sd.update(text_sd)
        sd.update(sched)
        lines = ["%s\t%s" % (k, ",".join(str(s) for s in sd[k].shape)) for k in sorted(sd)]
        path = os.path.join(out, "keys_%s.txt" % fam)
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        counts[fam]["tensors"] = len(lines)
        del unet, vae, text
    return counts


# ---------------------------------------------------------------- diffusers folder

def diffusers_configs(vocab_size):
    n = len(UNET_SD1["channel_mult"])
    blocks = [UNET_SD1["model_channels"] * m for m in UNET_SD1["channel_mult"]]
    attn_levels = [lv for lv in range(n) if 2 ** lv in UNET_SD1["attention_resolutions"]]
    unet = {
        "_class_name": "UNet2DConditionModel", "_diffusers_version": "0.6.0",
        "act_fn": "silu",
        # diffusers' historic misnomer: for SD 1.x this field holds the NUMBER of heads.
        "attention_head_dim": UNET_SD1["num_heads"],
        "block_out_channels": blocks, "center_input_sample": False,
        "cross_attention_dim": UNET_SD1["context_dim"],
        "down_block_types": ["CrossAttnDownBlock2D" if lv in attn_levels else "DownBlock2D" for lv in range(n)],
        "downsample_padding": 1, "flip_sin_to_cos": True, "freq_shift": 0,
        "in_channels": 4, "layers_per_block": UNET_SD1["num_res_blocks"], "mid_block_scale_factor": 1,
        "norm_eps": 1e-05, "norm_num_groups": 32, "out_channels": 4, "sample_size": 8,
        "up_block_types": ["CrossAttnUpBlock2D" if lv in attn_levels else "UpBlock2D" for lv in reversed(range(n))],
        "use_linear_projection": False, "upcast_attention": False, "only_cross_attention": False,
        "dual_cross_attention": False, "class_embed_type": None, "num_class_embeds": None,
        "resnet_time_scale_shift": "default",
    }
    vae = {
        "_class_name": "AutoencoderKL", "_diffusers_version": "0.6.0", "act_fn": "silu",
        "block_out_channels": [VAE_DD["ch"] * m for m in VAE_DD["ch_mult"]],
        "down_block_types": ["DownEncoderBlock2D"] * len(VAE_DD["ch_mult"]),
        "in_channels": 3, "latent_channels": VAE_EMBED_DIM, "layers_per_block": VAE_DD["num_res_blocks"],
        "norm_num_groups": 32, "out_channels": 3, "sample_size": 64, "scaling_factor": SCALE_FACTOR,
        "up_block_types": ["UpDecoderBlock2D"] * len(VAE_DD["ch_mult"]),
    }
    text = {
        "_name_or_path": "noisestudio/tiny-clip-text", "architectures": ["CLIPTextModel"],
        "attention_dropout": 0.0,
        # bos/eos/pad as in the real SD 1.5 text_encoder/config.json (transformers defaults,
        # not the tokenizer's ids): take the special tokens from tokenizer/, not from here.
        "bos_token_id": 0, "dropout": 0.0, "eos_token_id": 2, "hidden_act": "quick_gelu",
        "hidden_size": TEXT_SD1["width"], "initializer_factor": 1.0, "initializer_range": 0.02,
        "intermediate_size": 4 * TEXT_SD1["width"], "layer_norm_eps": 1e-05,
        "max_position_embeddings": CTX, "model_type": "clip_text_model",
        "num_attention_heads": TEXT_SD1["heads"], "num_hidden_layers": TEXT_SD1["layers"], "pad_token_id": 1,
        "projection_dim": TEXT_SD1["width"], "torch_dtype": "float16", "transformers_version": "4.22.0",
        "vocab_size": vocab_size,
    }
    sched = {
        "_class_name": "PNDMScheduler", "_diffusers_version": "0.6.0",
        "beta_end": SCHEDULE["beta_end"], "beta_schedule": SCHEDULE["beta_schedule"],
        "beta_start": SCHEDULE["beta_start"], "clip_sample": False,
        "num_train_timesteps": SCHEDULE["num_train_timesteps"], "prediction_type": "epsilon",
        "set_alpha_to_one": False, "skip_prk_steps": True, "steps_offset": 1, "timestep_spacing": "leading",
        "trained_betas": None,
    }
    model_index = {
        "_class_name": "StableDiffusionPipeline", "_diffusers_version": "0.6.0",
        "feature_extractor": [None, None], "safety_checker": [None, None], "requires_safety_checker": False,
        "scheduler": ["diffusers", "PNDMScheduler"], "text_encoder": ["transformers", "CLIPTextModel"],
        "tokenizer": ["transformers", "CLIPTokenizer"], "unet": ["diffusers", "UNet2DConditionModel"],
        "vae": ["diffusers", "AutoencoderKL"],
    }
    return unet, vae, text, sched, model_index, attn_levels


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")


def write_diffusers(fam, tok, merges, folder, ldm_f16):
    unet_cfg, vae_cfg, text_cfg, sched_cfg, index, attn_levels = diffusers_configs(len(tok.encoder))
    for sub in ("unet", "vae", "text_encoder", "tokenizer", "scheduler"):
        os.makedirs(os.path.join(folder, sub), exist_ok=True)
    write_json(os.path.join(folder, "model_index.json"), index)
    write_json(os.path.join(folder, "unet", "config.json"), unet_cfg)
    write_json(os.path.join(folder, "vae", "config.json"), vae_cfg)
    write_json(os.path.join(folder, "text_encoder", "config.json"), text_cfg)
    write_json(os.path.join(folder, "scheduler", "scheduler_config.json"), sched_cfg)

    def part(prefix):
        return {k[len(prefix):]: v for k, v in ldm_f16.items() if k.startswith(prefix)}
    unet = sd_names.ldm_unet_to_diffusers(part("model.diffusion_model."), UNET_SD1["num_res_blocks"], attn_levels,
                                          len(UNET_SD1["channel_mult"]))
    vae = sd_names.ldm_vae_to_diffusers(part("first_stage_model."), len(VAE_DD["ch_mult"]))
    text = prefixed("text_model.", part("cond_stage_model.transformer.text_model."))
    st.save(unet, os.path.join(folder, "unet", "diffusion_pytorch_model.fp16.safetensors"), {"format": "pt"})
    st.save(vae, os.path.join(folder, "vae", "diffusion_pytorch_model.safetensors"), {"format": "pt"})
    st.save(text, os.path.join(folder, "text_encoder", "model.safetensors"), {"format": "pt"})
    write_tokenizer(tok, merges, os.path.join(folder, "tokenizer"))
    special = {"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>",
               "unk_token": "<|endoftext|>"}
    write_json(os.path.join(folder, "tokenizer", "special_tokens_map.json"), special)
    write_json(os.path.join(folder, "tokenizer", "tokenizer_config.json"), dict(
        special, add_prefix_space=False, do_lower_case=True, errors="replace", model_max_length=CTX,
        tokenizer_class="CLIPTokenizer", name_or_path="noisestudio/tiny-clip-tokenizer"))
    return unet, vae


def write_dtype_fixture(path):
    """Storage-dtype conversions a loader must get exactly right, each next to its F32
    value: F16 and BF16 normals, subnormals, signed zeros, +-inf and the largest finite
    values (the BF16 SD copy does not fit the size budget; this covers the decoding)."""
    f16_bits = torch.tensor([0x0000, 0x8000, 0x0001, 0x8001, 0x0200, 0x03FF, 0x0400, 0x3C00, 0xBC00, 0x3555,
                             0x7BFF, 0xFBFF, 0x7C00, 0xFC00, 0x4248, 0x1234], dtype=torch.int32)
    bf16_bits = torch.tensor([0x0000, 0x8000, 0x0001, 0x8001, 0x0040, 0x007F, 0x0080, 0x3F80, 0xBF80, 0x3EAB,
                              0x7F7F, 0xFF7F, 0x7F80, 0xFF80, 0x4049, 0x1234], dtype=torch.int32)
    def as16(bits):   # 16-bit patterns as int16 (two's complement) to reinterpret
        return torch.tensor([x - 0x10000 if x >= 0x8000 else x for x in bits.tolist()], dtype=torch.int16)

    f16 = as16(f16_bits).view(torch.float16)
    bf16 = as16(bf16_bits).view(torch.bfloat16)
    st.save({"f16": f16.reshape(4, 4), "f16_as_f32": f16.float().reshape(4, 4),
             "bf16": bf16.reshape(4, 4), "bf16_as_f32": bf16.float().reshape(4, 4)}, path,
            {"format": "pt", "noisestudio.fixture": "storage dtype decoding, tools/sd_fixtures/make_sd_fixtures.py"})


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ldm", required=True, help="Stability-AI/stablediffusion checkout (has ldm/)")
    ap.add_argument("--clip", required=True, help="openai/CLIP checkout (has clip/model.py)")
    ap.add_argument("--open-clip", required=True, help="mlfoundations/open_clip checkout at v2.7.0 (has src/open_clip)")
    ap.add_argument("--out", required=True, help="output folder (tests/data/sd)")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--skip-keys", action="store_true", help="do not rebuild the full-size key lists")
    args = ap.parse_args()

    torch.set_num_threads(2)
    refs = Refs(args.ldm, args.clip, args.open_clip)
    if refs.open_clip_version != "2.7.0":
        sys.exit("open_clip %s: SD 2.x pinned open-clip-torch==2.7.0 (stablediffusion requirements.txt); "
                 "use that tag" % refs.open_clip_version)
    out = args.out
    os.makedirs(out, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="sd_fixtures_")
    report = {"torch": torch.__version__, "open_clip": refs.open_clip_version, "seed": args.seed}

    # tokenizer
    tok, merges = build_tokenizer(refs, tmp)
    vocab = len(tok.encoder)
    write_tokenizer(tok, merges, os.path.join(out, "tokenizer_tiny"))
    tok_ref = {"vocab_size": vocab, "start": tok.encoder["<|startoftext|>"], "end": tok.encoder["<|endoftext|>"],
               "algorithm": "openai CLIP clip/simple_tokenizer.py SimpleTokenizer.encode with tokenizer_tiny",
               "cases": []}
    for text in PROMPTS + [long_prompt()]:
        tok_ref["cases"].append({"text": text, "ids": tok.encode(text), "sd1_ids77": ids_sd1(tok, text),
                                 "sd2_ids77": ids_sd2(tok, text)})
    write_json(os.path.join(out, "tokenizer_tiny_ids.json"), tok_ref)
    report["vocab_size"] = vocab

    gen = torch.Generator().manual_seed(args.seed)
    sched = schedule_buffers(refs)
    configs = {"sd1": {"unet": UNET_SD1, "vae": dict(VAE_DD, embed_dim=VAE_EMBED_DIM, scale_factor=SCALE_FACTOR),
                       "text": dict(TEXT_SD1, vocab_size=vocab), "prediction": "epsilon", "schedule": SCHEDULE},
               "sd2": {"unet": UNET_SD2, "vae": dict(VAE_DD, embed_dim=VAE_EMBED_DIM, scale_factor=SCALE_FACTOR),
                       "text": dict(TEXT_SD2, vocab_size=vocab), "prediction": "v", "schedule": SCHEDULE}}
    write_json(os.path.join(out, "sd_tiny_configs.json"), configs)

    image = torch.from_numpy(np.asarray(
        __import__("PIL.Image", fromlist=["Image"]).open(os.path.join(HERE, "..", "..", "tests", "data",
                                                                       "astronaut_64.png")).convert("RGB"),
        dtype=np.float32)).permute(2, 0, 1).unsqueeze(0) / 127.5 - 1.0

    fams = {}
    for name, unet_cfg, fname, ids_fn in (("sd1", UNET_SD1, "sd1_tiny.safetensors", ids_sd1),
                                          ("sd2", UNET_SD2, "sd2_tiny_v.safetensors", ids_sd2)):
        fam = Family(refs, name, unet_cfg, vocab, gen)
        ldm = to_f16(fam.ldm_state({}))
        ldm.update(sched)
        meta = {"format": "pt", "noisestudio.fixture": "tiny random-weight %s, tools/sd_fixtures/make_sd_fixtures.py"
                % name, "noisestudio.config": json.dumps(configs[name], sort_keys=True)}
        path = os.path.join(out, fname)
        st.save(ldm, path, meta)
        back, _ = st.load(path)
        assert set(back) == set(ldm) and all(torch.equal(back[k], ldm[k]) for k in ldm), "safetensors round trip"
        fam.load_ldm_state(back)
        fams[name] = (fam, ldm, ids_fn)

        inputs = {"text.ids": torch.tensor([ids_fn(tok, p) for p in TEXT_PROMPTS], dtype=torch.int64),
                  "unet.x": torch.randn(2, 4, 8, 8, generator=gen),
                  "unet.t": torch.tensor([999, 17], dtype=torch.int64),
                  "unet.context": torch.randn(2, CTX, TEXT_WIDTH, generator=gen),
                  "vae.z": torch.randn(1, 4, 8, 8, generator=gen) * 2.0,
                  "vae.image": image.clone()}
        ref = run_parts(fam, inputs)
        assert all(bool(torch.isfinite(v).all()) for v in ref.values()), "non-finite reference output"
        with Float64Mode(refs):
            ref64 = run_parts(as_double(fam), double_inputs(inputs))
        report[name] = {"rel_err_fp32_vs_fp64": {k: rel_err(ref[k], ref64[k]) for k in ref},
                        "output_std": {k: float(v.std()) for k, v in ref.items()},
                        "params": {"unet": count(fam.unet), "vae": count(fam.vae),
                                   "text": sum(v.numel() for k, v in fam.text_state().items()
                                               if k != "embeddings.position_ids")}}
        st.save(inputs, os.path.join(out, "%s_inputs.safetensors" % name))
        st.save(ref, os.path.join(out, "%s_reference.safetensors" % name))

        # generation reference
        noise = torch.randn(1, 4, 8, 8, generator=gen)
        param = "eps" if name == "sd1" else "v"
        img, lat, gids, ts, a_t, a_prev, raw = generate(refs, fam, tok, ids_fn, noise, param)
        assert bool(torch.isfinite(raw).all()), "non-finite generation"
        with Float64Mode(refs):
            img64, lat64, *_ = generate(refs, as_double(fam), tok, ids_fn, noise.double(), param)
        report[name]["gen"] = {"max_abs_fp32_vs_fp64_pixels": float((img.double() - img64).abs().max()),
                               "latent_rel_err_fp32_vs_fp64": rel_err(lat, lat64),
                               "clamped_fraction": float(((raw < -1) | (raw > 1)).float().mean()),
                               "image_mean": float(img.mean()), "image_std": float(img.std())}
        st.save({"noise": noise, "image": img, "latents": lat, "text.ids": gids},
                os.path.join(out, "%s_gen.safetensors" % name))
        write_json(os.path.join(out, "%s_gen.json" % name), {
            "prompt": GEN_PROMPT, "negative": "", "steps": 4, "cfg": 7.5, "sampler": "ddim", "eta": 0.0,
            "prediction": "epsilon" if name == "sd1" else "v", "timesteps": ts,
            "alphas_cumprod_t": a_t, "alphas_cumprod_prev": a_prev,
            "scheduler": dict(SCHEDULE, timestep_spacing="leading", steps_offset=1, set_alpha_to_one=False),
            "latent_scale_factor": SCALE_FACTOR, "noise": "x_T in scaled latent space [1,4,8,8]",
            "image": "decode(latents / 0.18215), clamp to [-1,1], (x+1)/2: [1,3,64,64] in [0,1]",
            "reference": "ldm.models.diffusion.ddim.DDIMSampler.sample(S=4, eta=0, unconditional_guidance_scale=7.5)",
            "model": "sd1_tiny.safetensors" if name == "sd1" else "sd2_tiny_v.safetensors"})

    # SD1 .ckpt (zip pickle) and diffusers folder of the same weights
    fam1, ldm1, _ = fams["sd1"]
    torch.save({"state_dict": {k: v.clone() for k, v in ldm1.items()}, "global_step": 7},
               os.path.join(out, "sd1_tiny.ckpt"))
    back = torch.load(os.path.join(out, "sd1_tiny.ckpt"))["state_dict"]
    assert all(torch.equal(back[k], ldm1[k]) for k in ldm1)
    dunet, dvae = write_diffusers(fam1, tok, merges, os.path.join(out, "sd1_tiny_diffusers"), ldm1)
    report["diffusers"] = {"unet_tensors": len(dunet), "vae_tensors": len(dvae)}

    write_dtype_fixture(os.path.join(out, "dtypes_tiny.safetensors"))

    if not args.skip_keys:
        report["full_size"] = full_size_keys(refs, out)

    total = 0
    for root, _, files in os.walk(out):
        for f in files:
            total += os.path.getsize(os.path.join(root, f))
    report["total_bytes"] = total
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
