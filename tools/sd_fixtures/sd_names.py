"""Tensor-name mappings between the original (LDM / openai CLIP) layouts and the
Hugging Face / diffusers layouts. Written from the name tables of diffusers'
conversion scripts (read, not copied) and checked by round trips in
make_sd_fixtures.py."""
import torch


# ---------------------------------------------------------------- CLIP text (SD 1.x)

def openai_clip_text_to_hf(sd, width):
    """openai CLIP text-tower state dict (token_embedding, positional_embedding,
    transformer.resblocks.N.*, ln_final) -> CLIPTextModel names under
    text_model.* (without the text_model. prefix). in_proj is split into q/k/v
    in that order (nn.MultiheadAttention packs [q; k; v])."""
    out = {}
    out["embeddings.token_embedding.weight"] = sd["token_embedding.weight"]
    out["embeddings.position_embedding.weight"] = sd["positional_embedding"]
    n_layers = 1 + max(int(k.split(".")[2]) for k in sd if k.startswith("transformer.resblocks."))
    for i in range(n_layers):
        s, d = "transformer.resblocks.%d." % i, "encoder.layers.%d." % i
        w, b = sd[s + "attn.in_proj_weight"], sd[s + "attn.in_proj_bias"]
        for j, name in enumerate(("q", "k", "v")):
            out[d + "self_attn.%s_proj.weight" % name] = w[j * width:(j + 1) * width].clone()
            out[d + "self_attn.%s_proj.bias" % name] = b[j * width:(j + 1) * width].clone()
        pairs = [("attn.out_proj", "self_attn.out_proj"), ("ln_1", "layer_norm1"), ("ln_2", "layer_norm2"),
                 ("mlp.c_fc", "mlp.fc1"), ("mlp.c_proj", "mlp.fc2")]
        for a, h in pairs:
            out[d + h + ".weight"] = sd[s + a + ".weight"]
            out[d + h + ".bias"] = sd[s + a + ".bias"]
    out["final_layer_norm.weight"] = sd["ln_final.weight"]
    out["final_layer_norm.bias"] = sd["ln_final.bias"]
    n_ctx = sd["positional_embedding"].shape[0]
    out["embeddings.position_ids"] = torch.arange(n_ctx, dtype=torch.int64).unsqueeze(0)
    return out


def hf_text_to_openai_clip(hf):
    """Inverse of openai_clip_text_to_hf (position_ids dropped)."""
    sd = {"token_embedding.weight": hf["embeddings.token_embedding.weight"],
          "positional_embedding": hf["embeddings.position_embedding.weight"],
          "ln_final.weight": hf["final_layer_norm.weight"],
          "ln_final.bias": hf["final_layer_norm.bias"]}
    n_layers = 1 + max(int(k.split(".")[2]) for k in hf if k.startswith("encoder.layers."))
    for i in range(n_layers):
        s, d = "transformer.resblocks.%d." % i, "encoder.layers.%d." % i
        sd[s + "attn.in_proj_weight"] = torch.cat([hf[d + "self_attn.%s_proj.weight" % n] for n in "qkv"])
        sd[s + "attn.in_proj_bias"] = torch.cat([hf[d + "self_attn.%s_proj.bias" % n] for n in "qkv"])
        pairs = [("attn.out_proj", "self_attn.out_proj"), ("ln_1", "layer_norm1"), ("ln_2", "layer_norm2"),
                 ("mlp.c_fc", "mlp.fc1"), ("mlp.c_proj", "mlp.fc2")]
        for a, h in pairs:
            sd[s + a + ".weight"] = hf[d + h + ".weight"]
            sd[s + a + ".bias"] = hf[d + h + ".bias"]
    return sd


# ---------------------------------------------------------------- UNet (LDM -> diffusers)

_RESBLOCK = {"in_layers.0": "norm1", "in_layers.2": "conv1", "emb_layers.1": "time_emb_proj",
             "out_layers.0": "norm2", "out_layers.3": "conv2", "skip_connection": "conv_shortcut"}


def _resblock(rest):
    for a, d in _RESBLOCK.items():
        if rest.startswith(a + "."):
            return d + rest[len(a):]
    raise KeyError("unknown ResBlock tensor " + rest)


def ldm_unet_to_diffusers(sd, num_res_blocks, attention_levels, n_levels):
    """LDM UNetModel names (without model.diffusion_model.) -> UNet2DConditionModel names.

    input_blocks[0] is conv_in; then per level `num_res_blocks` (ResBlock[, SpatialTransformer])
    blocks and, except at the last level, one Downsample. output_blocks run the levels in
    reverse with num_res_blocks+1 blocks each, the last of a level (except the top) ending
    in an Upsample. SpatialTransformer internals keep their names in diffusers."""
    out = {}
    per = num_res_blocks + 1
    for k, v in sd.items():
        parts = k.split(".")
        if k.startswith("time_embed.0."):
            nk = "time_embedding.linear_1." + parts[-1]
        elif k.startswith("time_embed.2."):
            nk = "time_embedding.linear_2." + parts[-1]
        elif k.startswith("input_blocks.0.0."):
            nk = "conv_in." + parts[-1]
        elif k.startswith("out.0."):
            nk = "conv_norm_out." + parts[-1]
        elif k.startswith("out.2."):
            nk = "conv_out." + parts[-1]
        elif k.startswith("input_blocks."):
            b, layer, rest = int(parts[1]), int(parts[2]), ".".join(parts[3:])
            level, j = (b - 1) // per, (b - 1) % per
            if j == num_res_blocks:          # Downsample: op conv
                assert rest.startswith("op."), k
                nk = "down_blocks.%d.downsamplers.0.conv.%s" % (level, rest[3:])
            elif layer == 0:
                nk = "down_blocks.%d.resnets.%d.%s" % (level, j, _resblock(rest))
            else:
                assert level in attention_levels, k
                nk = "down_blocks.%d.attentions.%d.%s" % (level, j, rest)
        elif k.startswith("middle_block."):
            layer, rest = int(parts[1]), ".".join(parts[2:])
            if layer == 1:
                nk = "mid_block.attentions.0." + rest
            else:
                nk = "mid_block.resnets.%d.%s" % (layer // 2, _resblock(rest))
        elif k.startswith("output_blocks."):
            b, layer, rest = int(parts[1]), int(parts[2]), ".".join(parts[3:])
            up, j = b // per, b % per
            level = n_levels - 1 - up
            has_attn = level in attention_levels
            if layer == 0:
                nk = "up_blocks.%d.resnets.%d.%s" % (up, j, _resblock(rest))
            elif layer == 1 and has_attn:
                nk = "up_blocks.%d.attentions.%d.%s" % (up, j, rest)
            else:                            # Upsample: conv
                assert j == num_res_blocks and rest.startswith("conv."), k
                nk = "up_blocks.%d.upsamplers.0.conv.%s" % (up, rest[5:])
        else:
            raise KeyError("unmapped UNet tensor " + k)
        assert nk not in out, nk
        out[nk] = v
    return out


# ---------------------------------------------------------------- VAE (LDM -> diffusers)

def ldm_vae_to_diffusers(sd, n_levels):
    """AutoencoderKL names (without first_stage_model.) -> diffusers AutoencoderKL with the
    current attention names (group_norm, to_q/k/v, to_out.0; 1x1 convs become Linear)."""
    out = {}
    attn = {"norm": "group_norm", "q": "to_q", "k": "to_k", "v": "to_v", "proj_out": "to_out.0"}
    for k, v in sd.items():
        parts = k.split(".")
        side = parts[0]
        if side in ("quant_conv", "post_quant_conv"):
            nk = k
        elif parts[1] in ("conv_in", "conv_out"):
            nk = k
        elif parts[1] == "norm_out":
            nk = "%s.conv_norm_out.%s" % (side, parts[2])
        elif parts[1] == "mid":
            if parts[2].startswith("block_"):
                idx = int(parts[2][-1]) - 1
                nk = "%s.mid_block.resnets.%d.%s" % (side, idx, ".".join(parts[3:]).replace("nin_shortcut", "conv_shortcut"))
            else:
                assert parts[2] == "attn_1", k
                nk = "%s.mid_block.attentions.0.%s.%s" % (side, attn[parts[3]], parts[4])
                if v.dim() == 4:
                    v = v[:, :, 0, 0].clone()
        elif parts[1] in ("down", "up"):
            level = int(parts[2])
            blk = "down_blocks" if side == "encoder" else "up_blocks"
            dl = level if side == "encoder" else n_levels - 1 - level
            if parts[3] == "block":
                rest = ".".join(parts[5:]).replace("nin_shortcut", "conv_shortcut")
                nk = "%s.%s.%d.resnets.%s.%s" % (side, blk, dl, parts[4], rest)
            elif parts[3] in ("downsample", "upsample"):
                which = "downsamplers" if parts[3] == "downsample" else "upsamplers"
                nk = "%s.%s.%d.%s.0.conv.%s" % (side, blk, dl, which, parts[5])
            else:
                raise KeyError("unmapped VAE tensor " + k)
        else:
            raise KeyError("unmapped VAE tensor " + k)
        assert nk not in out, nk
        out[nk] = v
    return out
