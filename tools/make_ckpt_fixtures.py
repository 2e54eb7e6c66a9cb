#!/usr/bin/env python3
"""Writes the torch.save fixtures of tests/core/model/tst_torch_checkpoint.cpp into a folder
(default tests/data/ckpt/): small .ckpt files, and for each readable one a companion .safetensors
holding the values the C++ reader must return (contiguous, same dtype), so the test compares every
tensor byte for byte without Python.

Needs a torch (Debian: apt-get install python3-torch; run with /usr/bin/python3) and numpy.
Usage: /usr/bin/python3 tools/make_ckpt_fixtures.py [OUT_DIR]
"""
import collections
import ctypes
import io
import json
import os
import struct
import sys
import zipfile

import numpy as np
import torch

ST_DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64",
             torch.float64: "F64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
             torch.uint8: "U8", torch.bool: "BOOL"}


def raw_bytes(t):
    t = t.detach().contiguous()
    return ctypes.string_at(t.data_ptr(), t.numel() * t.element_size()) if t.numel() else b""


def write_safetensors(path, tensors):
    """The expected values, in the safetensors layout (our C++ reader, core/model/safetensors.h)."""
    header, blobs, at = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name]
        b = raw_bytes(t)
        header[name] = {"dtype": ST_DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [at, at + len(b)]}
        blobs.append(b)
        at += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def write_zip64(path, entries):
    """The entries as a zip whose central directory uses zip64 for every size and offset, the way
    torch's writer (miniz) does for checkpoints past 4 GiB: 0xFFFFFFFF placeholders, the values in a
    zip64 extra field, a zip64 end record and locator. Python's zipfile only does this for big files."""
    out, central = bytearray(), bytearray()
    for name, data in entries:
        at = len(out)
        n = name.encode()
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0, zipfile.crc32(data), len(data), len(data), len(n), 0)
        out += n + data
        extra = struct.pack("<HHQQQ", 1, 24, len(data), len(data), at)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0, zipfile.crc32(data),
                               0xFFFFFFFF, 0xFFFFFFFF, len(n), len(extra), 0, 0, 0, 0, 0xFFFFFFFF)
        central += n + extra
    cd_at, record_at = len(out), len(out) + len(central)
    out += central
    out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, len(entries), len(entries), len(central), cd_at)
    out += struct.pack("<IIQI", 0x07064B50, 0, record_at, 1)
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    with open(path, "wb") as f:
        f.write(out)


def expected(state):
    """Name -> tensor as the reader flattens it (see torch_checkpoint.h)."""
    out = {}

    def walk(d, prefix):
        for k, v in d.items():
            if not isinstance(k, str):
                continue
            if isinstance(v, torch.Tensor):
                out[prefix + k] = v.detach().clone().contiguous()
            elif isinstance(v, dict):
                walk(v, prefix + k + ".")

    root = state["state_dict"] if isinstance(state.get("state_dict"), dict) else state
    walk(root, "")
    return out


class Callback:  # stands in for pytorch_lightning's ModelCheckpoint: a plain object (NEWOBJ + BUILD)
    def __init__(self):
        self.monitor = "val/loss"
        self.best_k = {"epoch=1.ckpt": 0.25}


class Evil:  # what a hostile checkpoint does: pickle calls os.system on load
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "data", "ckpt")
    os.makedirs(out_dir, exist_ok=True)
    g = torch.Generator().manual_seed(15)

    def save(name, obj, with_expected=True, **kw):
        path = os.path.join(out_dir, name + ".ckpt")
        torch.save(obj, path, **kw)
        if with_expected:
            write_safetensors(os.path.join(out_dir, name + ".safetensors"), expected(obj))
        return path

    # 1. A flat state dict in the LDM names, one tensor per stored dtype, with edge values.
    f32 = torch.randn(4, 3, generator=g)
    f32[0, 0], f32[0, 1], f32[0, 2] = float("nan"), float("-inf"), -0.0
    f16 = (torch.randn(2, 5, generator=g) * 3).half()
    f16[0, 0] = 5.96e-08  # the smallest F16 subnormal: must arrive unflushed
    bf16 = torch.randn(3, 2, 2, generator=g).bfloat16()
    i64 = torch.tensor([0, -1, 2**62 + 12345, -(2**53) - 1, 7], dtype=torch.int64)
    flat = collections.OrderedDict([
        ("model.diffusion_model.input_blocks.0.0.weight", f32),
        ("model.diffusion_model.input_blocks.0.0.bias", f16),
        ("first_stage_model.encoder.conv_in.weight", bf16),
        ("cond_stage_model.transformer.text_model.embeddings.position_ids", i64),
        ("scalar", torch.tensor(2.5)),
        ("empty", torch.zeros(0, 3)),
    ])
    save("flat", flat)

    # 2. Views: a transpose (non-contiguous strides), two tensors sharing one storage at different
    #    offsets, and an expanded (stride 0) tensor.
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) / 8
    big = torch.randn(10, generator=g)
    views = {"base": base, "base_t": base.t(), "head": big[:4], "tail": big[4:].view(2, 3),
             "column": base[:, 2], "expanded": torch.randn(3, generator=g).expand(2, 3)}
    save("views", views)

    # 3. A training checkpoint: tensors under "state_dict", counters, a callback object keyed by its
    #    class, a numpy scalar metric, bytes (protocol 2 writes them through _codecs.encode).
    lightning = {"state_dict": {"model.betas": torch.linspace(1e-4, 2e-2, 10, dtype=torch.float64),
                                "model.diffusion_model.out.2.weight": torch.randn(4, 2, generator=g).half()},
                 "global_step": 7, "epoch": 1, "pytorch-lightning_version": "1.4.2",
                 "callbacks": {Callback: {"best_model_score": np.float64(0.125)}},
                 "hyper": Callback(), "blob": b"\x00\xff\x80ns", "big": 2**70, "flags": {1, 2},
                 "optimizer_states": [{"state": {0: {"exp_avg": torch.ones(2)}}}]}
    save("lightning", lightning)

    # 4. nn.Parameters next to plain tensors and nested dicts (flattened with ".").
    param = {"weight": torch.nn.Parameter(torch.randn(3, 3, generator=g)),
             "frozen": torch.nn.Parameter(torch.randn(2, generator=g).bfloat16(), requires_grad=False),
             "module": {"bias": torch.randn(3, generator=g), "inner": {"k": torch.arange(4, dtype=torch.int32)}},
             "plain": torch.tensor([True, False, True])}
    save("param", param)

    # 5. Pickle protocol 4 (SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL, FRAME).
    save("proto4", {"a": torch.randn(2, 2, generator=g), "b": torch.arange(3, dtype=torch.int16)},
         pickle_protocol=4)

    # 6. Hostile: a tensor next to an object whose unpickling would run os.system("echo pwned").
    save("malicious", {"w": torch.ones(2), "evil": Evil()}, with_expected=False)

    # 7. The flat checkpoint repacked by Python's zipfile: no zip64 record, no data descriptors, no
    #    64-byte alignment (storages misaligned for their dtype); one without the storage of one tensor.
    with zipfile.ZipFile(os.path.join(out_dir, "flat.ckpt")) as src:
        entries = [(i.filename, src.read(i.filename)) for i in src.infolist()]
    def repack(name, keep):
        with zipfile.ZipFile(os.path.join(out_dir, name + ".ckpt"), "w", zipfile.ZIP_STORED) as dst:
            for n, data in entries:
                if keep(n):  # a fixed date: the fixtures come out the same on every run
                    dst.writestr(zipfile.ZipInfo(n, date_time=(2020, 1, 1, 0, 0, 0)), data)
    with zipfile.ZipFile(os.path.join(out_dir, "repacked.ckpt"), "w", zipfile.ZIP_STORED) as dst:
        for n, data in entries:
            # An extra field padded so the data starts 1 byte past a multiple of 8: misaligned for
            # every dtype wider than a byte.
            info = zipfile.ZipInfo(n, date_time=(2020, 1, 1, 0, 0, 0))
            start = dst.fp.tell() + 30 + len(n.encode()) + 4
            pad = (1 - start) % 8
            info.extra = b"\xfe\xca" + struct.pack("<H", pad) + b"\0" * pad
            dst.writestr(info, data)
    write_zip64(os.path.join(out_dir, "zip64.ckpt"), entries)
    dropped = [n for n, _ in entries if n.endswith("/data/1")]
    repack("missing_storage", lambda n: n not in dropped)

    total = sum(os.path.getsize(os.path.join(out_dir, f)) for f in os.listdir(out_dir))
    print(f"torch {torch.__version__}: wrote {len(os.listdir(out_dir))} files, {total} bytes, to {out_dir}")


if __name__ == "__main__":
    main()
