#include "core/model/sd/diffusers_vae_names.h"

#include <nlohmann/json.hpp>

#include <utility>

#include "core/model/sd/diffusers_json.h"
#include "core/model/sd/dotted_name.h"

namespace ns::sd {

namespace {

std::string num(int i) { return std::to_string(i); }

// Mid-block attention parts: every diffusers spelling -> LDM. The first spelling of each LDM name
// is what the inverse produces (current diffusers).
const std::pair<const char*, const char*> kAttnParts[] = {
    {"group_norm", "norm"}, {"to_q", "q"},  {"to_k", "k"},       {"to_v", "v"},         {"to_out.0", "proj_out"},
    {"query", "q"},         {"key", "k"},   {"value", "v"},      {"proj_attn", "proj_out"},
};

// ResnetBlock suffix at `from`; `toLdm` picks the direction (only the shortcut is renamed).
std::optional<std::string> resnetSuffix(const DottedName& n, size_t from, bool toLdm) {
  if (!n.leafAt(from, 1)) return std::nullopt;
  const std::string& part = n[from];
  const std::string& leaf = n[from + 1];
  if (part == "norm1" || part == "conv1" || part == "norm2" || part == "conv2") return part + "." + leaf;
  if (part == (toLdm ? "conv_shortcut" : "nin_shortcut")) return std::string(toLdm ? "nin_shortcut." : "conv_shortcut.") + leaf;
  return std::nullopt;
}

std::optional<std::string> attnToLdm(const DottedName& n, size_t from) {
  const std::string path = n.tail(from);
  for (const auto& [hf, ldm] : kAttnParts) {
    const std::string h = hf;
    if (path == h + ".weight" || path == h + ".bias") return std::string(ldm) + path.substr(h.size());
  }
  return std::nullopt;
}

std::optional<std::string> attnToDiffusers(const DottedName& n, size_t from) {
  if (!n.leafAt(from, 1)) return std::nullopt;
  for (const auto& [hf, ldm] : kAttnParts)
    if (n[from] == ldm) return std::string(hf) + "." + n[from + 1];
  return std::nullopt;
}

// The parts of encoder/decoder outside the level blocks: diffusers -> LDM.
const std::pair<const char*, const char*> kEnds[] = {
    {"conv_in", "conv_in"}, {"conv_out", "conv_out"}, {"conv_norm_out", "norm_out"}};

}  // namespace

Result<DiffusersVaeLayout> vaeLayoutFromConfig(const nlohmann::json& config, const std::string& file) {
  if (!config.is_object()) return makeError(ErrorKind::Model, file + ": not a JSON object");
  const JsonFields f(config, file);
  DiffusersVaeLayout l;
  auto channels = diffusersIntList(f, "block_out_channels", 1, 1 << 16);
  if (!channels.ok()) return channels.error();
  l.levels = int(channels->size());
  auto lpb = diffusersLayersPerBlock(f, channels->size());
  if (!lpb.ok()) return lpb.error();
  l.layersPerBlock = *lpb;
  auto down = diffusersStringList(f, "down_block_types", channels->size());
  if (!down.ok()) return down.error();
  for (const auto& t : *down)
    if (t != "DownEncoderBlock2D")
      return f.error("down_block_types", "names '" + t + "'; Stable Diffusion's VAE has DownEncoderBlock2D only");
  auto up = diffusersStringList(f, "up_block_types", channels->size());
  if (!up.ok()) return up.error();
  for (const auto& t : *up)
    if (t != "UpDecoderBlock2D")
      return f.error("up_block_types", "names '" + t + "'; Stable Diffusion's VAE has UpDecoderBlock2D only");
  auto midAttn = f.boolean("mid_block_add_attention", true);
  if (!midAttn.ok()) return midAttn.error();
  l.midAttention = *midAttn;
  return l;
}

std::optional<std::string> diffusersVaeToLdm(const std::string& name, const DiffusersVaeLayout& l) {
  const DottedName n(name);
  if (n.size() < 2) return std::nullopt;
  if ((n.is(0, "quant_conv") || n.is(0, "post_quant_conv")) && n.leafAt(1, 0)) return name;
  const bool enc = n.is(0, "encoder");
  if (!enc && !n.is(0, "decoder")) return std::nullopt;
  const std::string side = n[0] + ".";
  for (const auto& [hf, ldm] : kEnds)
    if (n.leafAt(1, 1) && n[1] == hf) return side + ldm + "." + n[2];

  const int P = l.layersPerBlock;
  if (n.is(1, enc ? "down_blocks" : "up_blocks")) {
    const int i = n.index(2), j = n.index(4);
    if (i < 0 || i >= l.levels) return std::nullopt;
    const std::string blk = enc ? side + "down." + num(i) + "." : side + "up." + num(l.levels - 1 - i) + ".";
    if (n.is(3, "resnets") && j >= 0 && j < (enc ? P : P + 1)) {
      auto s = resnetSuffix(n, 5, true);
      if (s) return blk + "block." + num(j) + "." + *s;
    } else if (n.is(3, enc ? "downsamplers" : "upsamplers") && n.is(4, "0") && i + 1 < l.levels && n.leafAt(5, 1) &&
               n.is(5, "conv")) {
      return blk + (enc ? "downsample.conv." : "upsample.conv.") + n[6];
    }
    return std::nullopt;
  }
  if (n.is(1, "mid_block")) {
    const int k = n.index(3);
    if (n.is(2, "resnets") && (k == 0 || k == 1)) {
      auto s = resnetSuffix(n, 4, true);
      if (s) return side + "mid.block_" + num(k + 1) + "." + *s;
    } else if (n.is(2, "attentions") && k == 0 && l.midAttention) {
      auto s = attnToLdm(n, 4);
      if (s) return side + "mid.attn_1." + *s;
    }
  }
  return std::nullopt;
}

std::optional<std::string> ldmVaeToDiffusers(const std::string& name, const DiffusersVaeLayout& l) {
  const DottedName n(name);
  if (n.size() < 2) return std::nullopt;
  if ((n.is(0, "quant_conv") || n.is(0, "post_quant_conv")) && n.leafAt(1, 0)) return name;
  const bool enc = n.is(0, "encoder");
  if (!enc && !n.is(0, "decoder")) return std::nullopt;
  const std::string side = n[0] + ".";
  for (const auto& [hf, ldm] : kEnds)
    if (n.leafAt(1, 1) && n[1] == ldm) return side + hf + "." + n[2];

  const int P = l.layersPerBlock;
  if (n.is(1, enc ? "down" : "up")) {
    const int level = n.index(2);
    if (level < 0 || level >= l.levels) return std::nullopt;
    const int i = enc ? level : l.levels - 1 - level;
    const std::string blk = side + (enc ? "down_blocks." : "up_blocks.") + num(i) + ".";
    const int j = n.index(4);
    if (n.is(3, "block") && j >= 0 && j < (enc ? P : P + 1)) {
      auto s = resnetSuffix(n, 5, false);
      if (s) return blk + "resnets." + num(j) + "." + *s;
    } else if (n.is(3, enc ? "downsample" : "upsample") && i + 1 < l.levels && n.leafAt(4, 1) && n.is(4, "conv")) {
      return blk + (enc ? "downsamplers.0.conv." : "upsamplers.0.conv.") + n[5];
    }
    return std::nullopt;
  }
  if (n.is(1, "mid")) {
    if (n.is(2, "block_1") || n.is(2, "block_2")) {
      auto s = resnetSuffix(n, 3, false);
      if (s) return side + "mid_block.resnets." + (n.is(2, "block_1") ? "0." : "1.") + *s;
    } else if (n.is(2, "attn_1") && l.midAttention) {
      auto s = attnToDiffusers(n, 3);
      if (s) return side + "mid_block.attentions.0." + *s;
    }
  }
  return std::nullopt;
}

bool vaeWeightIsConv1x1(const std::string& ldmName) {
  const DottedName n(ldmName);
  return n.size() == 5 && (n.is(0, "encoder") || n.is(0, "decoder")) && n.is(1, "mid") && n.is(2, "attn_1") &&
         (n.is(3, "q") || n.is(3, "k") || n.is(3, "v") || n.is(3, "proj_out")) && n.is(4, "weight");
}

}  // namespace ns::sd
