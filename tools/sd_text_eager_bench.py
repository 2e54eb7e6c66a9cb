#!/usr/bin/env python3
"""PyTorch-eager baseline for slow_sd_text: openai CLIP's own text transformer (clip/model.py,
from a fetched snapshot; not committed) at ViT-L size with random weights, forward on [2,77] ids,
same threads as the app. Usage:
  git --git-dir=/work/.mirror/openai+CLIP/repo archive HEAD clip | tar -x -C /tmp/ref/clip
  OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 tools/sd_text_eager_bench.py --clip /tmp/ref/clip [--threads 2]
"""
import argparse
import importlib.util
import os
import time

import torch

ap = argparse.ArgumentParser()
ap.add_argument("--clip", required=True, help="folder holding clip/model.py")
ap.add_argument("--threads", type=int, default=os.cpu_count())
args = ap.parse_args()
torch.set_num_threads(args.threads)

# clip/__init__.py imports torchvision and downloads; model.py alone needs only torch and numpy.
spec = importlib.util.spec_from_file_location("clip_model", os.path.join(args.clip, "clip", "model.py"))
cm = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cm)

V, D, L, H, P = 49408, 768, 12, 12, 77
torch.manual_seed(42)
mask = torch.empty(P, P).fill_(float("-inf")).triu_(1)
tok = torch.nn.Embedding(V, D)
pos = torch.nn.Parameter(torch.randn(P, D) * 0.5)
tr = cm.Transformer(D, L, H, attn_mask=mask)
ln = cm.LayerNorm(D)
params = sum(p.numel() for m in (tok, tr, ln) for p in m.parameters()) + pos.numel()


def forward(ids):
    x = tok(ids) + pos
    x = tr(x.permute(1, 0, 2)).permute(1, 0, 2)  # CLIP's transformer is sequence-first
    return ln(x)


ids = torch.randint(0, V, (2, P))
ms = []
with torch.inference_mode():
    for _ in range(5):
        t = time.perf_counter()
        out = forward(ids)
        ms.append((time.perf_counter() - t) * 1e3)
s = sorted(ms)
print(f"openai CLIP eager ViT-L text, {params:,} parameters, {torch.get_num_threads()} threads: "
      f"forward [2,77] first {ms[0]:.1f} ms, median {s[2]:.1f} ms, min {s[0]:.1f} ms; out {tuple(out.shape)}")
