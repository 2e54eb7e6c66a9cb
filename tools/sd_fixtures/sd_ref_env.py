"""Import the public reference implementations under Debian's python3-torch 1.13.

The reference checkouts are passed as paths (never vendored). Packages that the
reference modules import but that Debian does not ship (or that would drag in
training code) are replaced by tiny shims written into a temporary folder that
goes first on sys.path. Each shim says what it replaces and why; none of them
sits on a numeric path used by the fixtures except `einops.rearrange`, which is
a pure reshape/permute.
"""
import importlib
import os
import sys
import tempfile
import types

SHIMS = {
    # einops is not packaged in Debian. ldm uses rearrange for head splitting and
    # (b c h w) <-> (b hw c) moves; `repeat` is only on paths the fixtures do not
    # take (masks, repeat_only timestep embedding). Named axes and parenthesised
    # groups are supported; ellipsis is refused rather than guessed.
    "einops.py": r'''
import math
import re

def _parse(side):
    groups, cur, depth = [], None, 0
    for tok in re.findall(r"\(|\)|[A-Za-z_][A-Za-z0-9_]*|\.\.\.", side):
        if tok == "...":
            raise NotImplementedError("einops shim: ellipsis not supported")
        if tok == "(":
            cur = []
        elif tok == ")":
            groups.append(cur)
            cur = None
        elif cur is not None:
            cur.append(tok)
        else:
            groups.append([tok])
    return groups

def _sizes(groups, shape, known):
    sizes = dict(known)
    if len(groups) != len(shape):
        raise ValueError("einops shim: rank mismatch %s vs %s" % (groups, shape))
    for g, n in zip(groups, shape):
        unknown = [a for a in g if a not in sizes]
        prod = 1
        for a in g:
            if a in sizes:
                prod *= sizes[a]
        if len(unknown) == 1:
            sizes[unknown[0]] = n // prod
        elif len(unknown) > 1:
            raise ValueError("einops shim: cannot infer %s" % unknown)
        elif prod != n:
            raise ValueError("einops shim: size mismatch for %s" % g)
    return sizes

def rearrange(t, pattern, **axes):
    lhs, rhs = [s.strip() for s in pattern.split("->")]
    gi, go = _parse(lhs), _parse(rhs)
    sizes = _sizes(gi, t.shape, axes)
    flat_in = [a for g in gi for a in g]
    flat_out = [a for g in go for a in g]
    t = t.reshape([sizes[a] for a in flat_in])
    t = t.permute([flat_in.index(a) for a in flat_out])
    return t.reshape([math.prod(sizes[a] for a in g) for g in go])

def repeat(t, pattern, **axes):
    lhs, rhs = [s.strip() for s in pattern.split("->")]
    gi, go = _parse(lhs), _parse(rhs)
    sizes = _sizes(gi, t.shape, axes)
    flat_in = [a for g in gi for a in g]
    flat_out = [a for g in go for a in g]
    t = t.reshape([sizes[a] for a in flat_in])
    kept = [a for a in flat_out if a in flat_in]
    t = t.permute([flat_in.index(a) for a in kept])
    view = [sizes[a] if a in flat_in else 1 for a in flat_out]
    t = t.reshape(view).expand([sizes[a] for a in flat_out])
    return t.reshape([math.prod(sizes[a] for a in g) for g in go])
''',
    # openaimodel.UNetModel only does isinstance(context_dim, ListConfig).
    "omegaconf/__init__.py": "",
    "omegaconf/listconfig.py": "class ListConfig(list):\n    pass\n",
    # python3-ftfy is not in Debian's archive. CLIP's basic_clean calls
    # ftfy.fix_text, which is the identity on the clean ASCII prompts used here.
    "ftfy.py": "def fix_text(text):\n    return text\n",
    # ldm's DDIM sampler wraps its loop in tqdm; progress bars only.
    "tqdm.py": "def tqdm(it, *a, **k):\n    return it\n",
    # open_clip 2.7.0 utils.py imports FrozenBatchNorm2d for freezing ResNet
    # towers; the text tower never touches it. torchvision is not needed.
    "torchvision/__init__.py": "",
    "torchvision/ops/__init__.py": "",
    "torchvision/ops/misc.py": "import torch\nclass FrozenBatchNorm2d(torch.nn.Module):\n    pass\n",
}


def install_shims():
    root = tempfile.mkdtemp(prefix="sd_fixture_shims_")
    for rel, text in SHIMS.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    sys.path.insert(0, root)
    return root


def load_package_without_init(name, folder):
    """Register `name` as a package rooted at `folder` without running its
    __init__.py (open_clip's pulls in tokenizers, transforms and downloads)."""
    pkg = types.ModuleType(name)
    pkg.__path__ = [folder]
    sys.modules[name] = pkg
    return pkg


def load_file_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


class Refs:
    """The reference modules, imported from the given checkouts."""

    def __init__(self, ldm_dir, clip_dir, open_clip_dir):
        install_shims()
        sys.path.insert(0, ldm_dir)
        import ldm.modules.diffusionmodules.openaimodel as openaimodel
        import ldm.modules.diffusionmodules.model as vae_model
        import ldm.modules.diffusionmodules.util as ldm_util
        import ldm.modules.distributions.distributions as distributions
        import ldm.modules.attention as attention
        import ldm.models.diffusion.ddim as ddim
        self.openaimodel = openaimodel
        self.vae_model = vae_model
        self.ldm_util = ldm_util
        self.distributions = distributions
        self.attention = attention
        self.ddim = ddim
        if getattr(attention, "XFORMERS_IS_AVAILBLE", False):
            raise RuntimeError("xformers importable: the fixtures must use the plain softmax attention")

        # openai CLIP: clip/__init__.py imports torchvision transforms and the
        # downloader; only model.py and simple_tokenizer.py are needed.
        load_package_without_init("clip", os.path.join(clip_dir, "clip"))
        self.clip_model = importlib.import_module("clip.model")
        self.clip_tokenizer = importlib.import_module("clip.simple_tokenizer")

        oc_src = os.path.join(open_clip_dir, "src", "open_clip")
        load_package_without_init("open_clip", oc_src)
        self.open_clip_model = importlib.import_module("open_clip.model")
        self.open_clip_version = load_file_module("open_clip_version", os.path.join(oc_src, "version.py")).__version__
        self.ddpm_source = os.path.join(ldm_dir, "ldm", "models", "diffusion", "ddpm.py")
