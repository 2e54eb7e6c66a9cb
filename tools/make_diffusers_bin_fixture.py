#!/usr/bin/env python3
"""Writes tests/data/diffusers_bin/: torch.save'd diffusers part weights (.bin, the format older
diffusers / transformers folders ship) for tests/core/model/tst_diffusers_folder.cpp, plus
expected.safetensors holding the same tensors under "<part>/<name>" (written by hand here: the
format is 8-byte little-endian header length, JSON header, raw little-endian data), so the C++ test
compares what the folder reader returns byte for byte without Python.

Names are those of the test's small synthetic folder (2 UNet levels, attention at level 0,
1 ResBlock per level). Needs Debian's python3-torch: /usr/bin/python3 tools/make_diffusers_bin_fixture.py [OUT_DIR]
"""
import ctypes, json, os, struct, sys

import torch

ST = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}


def raw(t):
    t = t.contiguous()
    return ctypes.string_at(t.data_ptr(), t.numel() * t.element_size())


def write_safetensors(path, tensors):
    header, data = {}, b""
    for name in sorted(tensors):
        t = tensors[name]
        b = raw(t)
        header[name] = {"dtype": ST[t.dtype], "shape": list(t.shape), "data_offsets": [len(data), len(data) + len(b)]}
        data += b
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + data)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "data", "diffusers_bin")
    torch.manual_seed(15)
    parts = {
        ("unet", "diffusion_pytorch_model.bin"): {
            "conv_in.weight": torch.randn(8, 4, 3, 3),
            "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.weight": torch.randn(8, 8).half(),
            "mid_block.resnets.1.time_emb_proj.bias": torch.randn(16).bfloat16(),
            "up_blocks.0.upsamplers.0.conv.weight": torch.randn(16, 16, 3, 3),
        },
        ("vae", "diffusion_pytorch_model.bin"): {
            "decoder.up_blocks.0.resnets.0.conv1.weight": torch.randn(16, 16, 3, 3).half(),
            "encoder.mid_block.attentions.0.to_v.weight": torch.randn(16, 16),
        },
        ("text_encoder", "pytorch_model.bin"): {
            "text_model.final_layer_norm.weight": torch.randn(32),
        },
    }
    expected = {}
    for (part, name), sd in parts.items():
        os.makedirs(os.path.join(out, part), exist_ok=True)
        torch.save(sd, os.path.join(out, part, name))
        for k, t in sd.items():
            expected[part + "/" + k] = t
    write_safetensors(os.path.join(out, "expected.safetensors"), expected)


if __name__ == "__main__":
    main()
