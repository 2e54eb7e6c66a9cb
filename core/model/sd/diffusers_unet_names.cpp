#include "core/model/sd/diffusers_unet_names.h"

#include <nlohmann/json.hpp>

#include <utility>

#include "core/model/sd/diffusers_json.h"
#include "core/model/sd/dotted_name.h"

namespace ns::sd {

namespace {

std::string num(int i) { return std::to_string(i); }

// ResBlock parts: diffusers name -> LDM path (the leaf .weight/.bias follows both).
const std::pair<const char*, const char*> kResnetParts[] = {
    {"norm1", "in_layers.0"},  {"conv1", "in_layers.2"},  {"time_emb_proj", "emb_layers.1"},
    {"norm2", "out_layers.0"}, {"conv2", "out_layers.3"}, {"conv_shortcut", "skip_connection"},
};

// Top-level tensors outside any block: diffusers -> LDM path.
const std::pair<const char*, const char*> kTopLevel[] = {
    {"time_embedding.linear_1", "time_embed.0"}, {"time_embedding.linear_2", "time_embed.2"},
    {"conv_in", "input_blocks.0.0"},             {"conv_norm_out", "out.0"},
    {"conv_out", "out.2"},
};

// diffusers resnet suffix at `from` ("conv1.weight") -> LDM suffix ("in_layers.2.weight").
std::optional<std::string> resnetToLdm(const DottedName& n, size_t from) {
  if (!n.leafAt(from, 1)) return std::nullopt;
  for (const auto& [hf, ldm] : kResnetParts)
    if (n[from] == hf) return std::string(ldm) + "." + n[from + 1];
  return std::nullopt;
}

std::optional<std::string> resnetToDiffusers(const DottedName& n, size_t from) {
  for (const auto& [hf, ldm] : kResnetParts) {
    const DottedName want(ldm);
    if (!n.leafAt(from, want.size())) continue;
    bool same = true;
    for (size_t k = 0; k < want.size(); ++k) same = same && n[from + k] == want[k];
    if (same) return std::string(hf) + "." + n[n.size() - 1];
  }
  return std::nullopt;
}

// SpatialTransformer suffix at `from`: identical in both layouts, so it is checked, not renamed.
bool isTransformerSuffix(const DottedName& n, size_t from) {
  if (n.leafAt(from, 1)) return n.is(from, "norm") || n.is(from, "proj_in") || n.is(from, "proj_out");
  if (!n.is(from, "transformer_blocks") || n.index(from + 1) < 0) return false;
  const size_t r = from + 2;
  if (n.leafAt(r, 1)) return n.is(r, "norm1") || n.is(r, "norm2") || n.is(r, "norm3");
  if (n.is(r, "attn1") || n.is(r, "attn2")) {
    if (n.leafAt(r, 2)) return n.is(r + 1, "to_q") || n.is(r + 1, "to_k") || n.is(r + 1, "to_v");
    return n.leafAt(r, 3) && n.is(r + 1, "to_out") && n.is(r + 2, "0");
  }
  if (n.is(r, "ff") && n.is(r + 1, "net")) {
    if (n.leafAt(r, 4)) return n.is(r + 2, "0") && n.is(r + 3, "proj");
    return n.leafAt(r, 3) && n.is(r + 2, "2");
  }
  return false;
}

bool isConvLeaf(const DottedName& n, size_t from, const char* conv) { return n.leafAt(from, 1) && n.is(from, conv); }

}  // namespace

Result<DiffusersUnetLayout> unetLayoutFromConfig(const nlohmann::json& config, const std::string& file) {
  const JsonFields f(config, file);
  if (!config.is_object()) return makeError(ErrorKind::Model, file + ": not a JSON object");
  DiffusersUnetLayout l;
  auto channels = diffusersIntList(f, "block_out_channels", 1, 1 << 16);
  if (!channels.ok()) return channels.error();
  l.levels = int(channels->size());
  auto lpb = diffusersLayersPerBlock(f, channels->size());
  if (!lpb.ok()) return lpb.error();
  l.layersPerBlock = *lpb;
  auto down = diffusersStringList(f, "down_block_types", channels->size());
  if (!down.ok()) return down.error();
  for (const auto& t : *down) {
    if (t != "CrossAttnDownBlock2D" && t != "DownBlock2D")
      return f.error("down_block_types", "names '" + t + "'; only CrossAttnDownBlock2D and DownBlock2D (Stable Diffusion 1.x/2.x) are supported");
    l.downAttention.push_back(t == "CrossAttnDownBlock2D");
  }
  auto up = diffusersStringList(f, "up_block_types", channels->size());
  if (!up.ok()) return up.error();
  for (const auto& t : *up) {
    if (t != "CrossAttnUpBlock2D" && t != "UpBlock2D")
      return f.error("up_block_types", "names '" + t + "'; only CrossAttnUpBlock2D and UpBlock2D (Stable Diffusion 1.x/2.x) are supported");
    l.upAttention.push_back(t == "CrossAttnUpBlock2D");
  }
  // The LDM UNet mirrors its levels: output level k has attention exactly where input level k has.
  for (int i = 0; i < l.levels; ++i)
    if (l.upAttention[size_t(l.levels - 1 - i)] != l.downAttention[size_t(i)])
      return f.error("up_block_types", "does not mirror down_block_types (level " + num(i) + "), which the LDM UNet requires");
  auto mid = f.optStr("mid_block_type", "UNetMidBlock2DCrossAttn");
  if (!mid.ok()) return mid.error();
  if (*mid != "UNetMidBlock2DCrossAttn")
    return f.error("mid_block_type", "is '" + *mid + "'; the LDM UNet has a UNetMidBlock2DCrossAttn");
  l.midAttention = true;
  return l;
}

std::optional<std::string> diffusersUnetToLdm(const std::string& name, const DiffusersUnetLayout& l) {
  const DottedName n(name);
  if (n.size() < 2) return std::nullopt;
  const std::string leaf = n[n.size() - 1];
  if (leaf != "weight" && leaf != "bias") return std::nullopt;
  const std::string path = name.substr(0, name.size() - leaf.size() - 1);
  for (const auto& [hf, ldm] : kTopLevel)
    if (path == hf) return std::string(ldm) + "." + leaf;

  const int P = l.layersPerBlock;
  if (n.is(0, "down_blocks") || n.is(0, "up_blocks")) {
    const bool isDown = n.is(0, "down_blocks");
    const int i = n.index(1);
    if (i < 0 || i >= l.levels || n.size() < 5) return std::nullopt;
    const int j = n.index(3);
    const bool attn = isDown ? l.downAttention[size_t(i)] : l.upAttention[size_t(i)];
    const int perBlock = isDown ? P : P + 1;
    const std::string blocks = isDown ? "input_blocks." : "output_blocks.";
    const int first = isDown ? 1 + i * (P + 1) : i * (P + 1);
    if (n.is(2, "resnets") && j >= 0 && j < perBlock) {
      auto s = resnetToLdm(n, 4);
      if (s) return blocks + num(first + j) + ".0." + *s;
    } else if (n.is(2, "attentions") && attn && j >= 0 && j < perBlock) {
      if (isTransformerSuffix(n, 4)) return blocks + num(first + j) + ".1." + n.tail(4);
    } else if (i + 1 < l.levels && n.is(3, "0") && isConvLeaf(n, 4, "conv")) {
      if (isDown && n.is(2, "downsamplers")) return "input_blocks." + num((i + 1) * (P + 1)) + ".0.op." + leaf;
      if (!isDown && n.is(2, "upsamplers"))
        return "output_blocks." + num(first + P) + "." + (attn ? "2" : "1") + ".conv." + leaf;
    }
    return std::nullopt;
  }
  if (n.is(0, "mid_block") && n.size() >= 4) {
    const int k = n.index(2);
    if (n.is(1, "resnets") && (k == 0 || k == 1)) {
      auto s = resnetToLdm(n, 3);
      if (s) return "middle_block." + num(k == 0 ? 0 : (l.midAttention ? 2 : 1)) + "." + *s;
    } else if (n.is(1, "attentions") && k == 0 && l.midAttention && isTransformerSuffix(n, 3)) {
      return "middle_block.1." + n.tail(3);
    }
  }
  return std::nullopt;
}

std::optional<std::string> ldmUnetToDiffusers(const std::string& name, const DiffusersUnetLayout& l) {
  const DottedName n(name);
  if (n.size() < 2) return std::nullopt;
  const std::string leaf = n[n.size() - 1];
  if (leaf != "weight" && leaf != "bias") return std::nullopt;
  const std::string path = name.substr(0, name.size() - leaf.size() - 1);
  for (const auto& [hf, ldm] : kTopLevel)
    if (path == ldm) return std::string(hf) + "." + leaf;

  const int P = l.layersPerBlock;
  const int b = n.index(1), k = n.index(2);
  const bool blockName = b >= 0 && k >= 0 && n.size() >= 4;
  if (n.is(0, "input_blocks") && blockName && b >= 1) {
    const int i = (b - 1) / (P + 1), j = (b - 1) % (P + 1);
    if (i >= l.levels) return std::nullopt;
    const std::string blk = "down_blocks." + num(i) + ".";
    if (j == P) {  // the level's Downsample
      if (i + 1 < l.levels && k == 0 && n.is(3, "op") && n.leafAt(3, 1)) return blk + "downsamplers.0.conv." + leaf;
      return std::nullopt;
    }
    if (k == 0) {
      auto s = resnetToDiffusers(n, 3);
      if (s) return blk + "resnets." + num(j) + "." + *s;
    } else if (k == 1 && l.downAttention[size_t(i)] && isTransformerSuffix(n, 3)) {
      return blk + "attentions." + num(j) + "." + n.tail(3);
    }
    return std::nullopt;
  }
  if (n.is(0, "output_blocks") && blockName) {
    const int i = b / (P + 1), j = b % (P + 1);
    if (i >= l.levels) return std::nullopt;
    const bool attn = l.upAttention[size_t(i)];
    const std::string blk = "up_blocks." + num(i) + ".";
    if (k == 0) {
      auto s = resnetToDiffusers(n, 3);
      if (s) return blk + "resnets." + num(j) + "." + *s;
    } else if (k == 1 && attn && isTransformerSuffix(n, 3)) {
      return blk + "attentions." + num(j) + "." + n.tail(3);
    } else if (k == (attn ? 2 : 1) && j == P && i + 1 < l.levels && isConvLeaf(n, 3, "conv")) {
      return blk + "upsamplers.0.conv." + leaf;
    }
    return std::nullopt;
  }
  if (n.is(0, "middle_block") && n.size() >= 3) {
    const int m = n.index(1);
    const int lastRes = l.midAttention ? 2 : 1;
    if (m == 0 || m == lastRes) {
      auto s = resnetToDiffusers(n, 2);
      if (s) return "mid_block.resnets." + num(m == 0 ? 0 : 1) + "." + *s;
    } else if (m == 1 && l.midAttention && isTransformerSuffix(n, 2)) {
      return "mid_block.attentions.0." + n.tail(2);
    }
  }
  return std::nullopt;
}

}  // namespace ns::sd
