#include "core/model/sd/unet_config.h"

#include <ATen/ATen.h>

namespace ns::sd {

namespace {

bool has(const WeightMap& w, const std::string& k) { return w.count(k) != 0; }

Error missing(const std::string& src, const std::string& key) {
  return makeError(ErrorKind::Model, src + ": missing tensor '" + key + "' (not a Stable Diffusion UNet?)");
}

}  // namespace

UnetConfig sd15UnetConfig() {
  UnetConfig u;
  u.modelChannels = 320;
  u.channelMult = {1, 2, 4, 4};
  u.numResBlocks = 2;
  u.attnAtLevel = {true, true, true, false};
  u.headsAtLevel = {8, 8, 8, 8};
  u.contextDim = 768;
  return u;
}

Result<UnetConfig> inferUnetConfig(const WeightMap& w, const std::string& p, const HeadSplit& hs,
                                   const std::string& src) {
  UnetConfig c;
  const std::string convIn = p + "input_blocks.0.0.weight", convOut = p + "out.2.weight";
  if (!has(w, convIn)) return missing(src, convIn);
  if (!has(w, convOut)) return missing(src, convOut);
  const at::Tensor& ci = w.at(convIn);
  if (ci.dim() != 4) return makeError(ErrorKind::Model, src + ": tensor '" + convIn + "' is not a conv weight");
  c.modelChannels = int(ci.size(0));
  c.inChannels = int(ci.size(1));
  c.outChannels = int(w.at(convOut).size(0));

  // Walk input_blocks 1..N: ResBlocks (with an optional transformer at .1) until a Downsample (.0.op).
  int level = 0, resInLevel = 0, firstLevelRes = -1;
  c.channelMult.clear();
  c.attnAtLevel.clear();
  bool levelAttn = false;
  int levelChannels = 0;
  for (int i = 1;; ++i) {
    const std::string b = p + "input_blocks." + std::to_string(i) + ".";
    if (has(w, b + "0.op.weight")) {
      if (resInLevel == 0) return makeError(ErrorKind::Model, src + ": input block " + std::to_string(i) + " downsamples an empty level");
      if (firstLevelRes < 0) firstLevelRes = resInLevel;
      else if (resInLevel != firstLevelRes)
        return makeError(ErrorKind::Model, src + ": levels have different ResBlock counts (" + std::to_string(firstLevelRes) + " and " + std::to_string(resInLevel) + ")");
      c.channelMult.push_back(levelChannels / c.modelChannels);
      c.attnAtLevel.push_back(levelAttn);
      ++level;
      resInLevel = 0;
      levelAttn = false;
      continue;
    }
    if (!has(w, b + "0.out_layers.3.weight")) break;
    levelChannels = int(w.at(b + "0.out_layers.3.weight").size(0));
    if (levelChannels % c.modelChannels != 0)
      return makeError(ErrorKind::Model, src + ": input block " + std::to_string(i) + " has " + std::to_string(levelChannels) +
                                             " channels, not a multiple of " + std::to_string(c.modelChannels));
    const bool attn = has(w, b + "1.proj_in.weight");
    if (resInLevel > 0 && attn != levelAttn)
      return makeError(ErrorKind::Model, src + ": attention is placed unevenly within level " + std::to_string(level));
    levelAttn = attn;
    ++resInLevel;
  }
  if (resInLevel == 0) return makeError(ErrorKind::Model, src + ": the UNet's last level has no ResBlock");
  if (firstLevelRes >= 0 && resInLevel != firstLevelRes)
    return makeError(ErrorKind::Model, src + ": levels have different ResBlock counts");
  c.channelMult.push_back(levelChannels / c.modelChannels);
  c.attnAtLevel.push_back(levelAttn);
  c.numResBlocks = resInLevel;

  c.midAttention = has(w, p + "middle_block.1.proj_in.weight");
  // The first transformer anywhere tells depth, projection kind and context width.
  std::string t;
  for (int i = 1; t.empty(); ++i) {
    const std::string b = p + "input_blocks." + std::to_string(i) + ".1.";
    if (has(w, b + "proj_in.weight")) t = b;
    else if (!has(w, p + "input_blocks." + std::to_string(i) + ".0.op.weight") &&
             !has(w, p + "input_blocks." + std::to_string(i) + ".0.out_layers.3.weight"))
      break;
  }
  if (t.empty() && c.midAttention) t = p + "middle_block.1.";
  if (!t.empty()) {
    c.linearProj = w.at(t + "proj_in.weight").dim() == 2;
    const std::string k = t + "transformer_blocks.0.attn2.to_k.weight";
    if (!has(w, k)) return missing(src, k);
    c.contextDim = int(w.at(k).size(1));
    c.transformerDepth = 0;
    while (has(w, t + "transformer_blocks." + std::to_string(c.transformerDepth) + ".attn1.to_q.weight"))
      ++c.transformerDepth;
  }

  c.headsAtLevel.assign(c.channelMult.size(), 0);
  for (size_t l = 0; l < c.channelMult.size(); ++l) {
    const int ch = c.channelMult[l] * c.modelChannels;
    int heads = 0;
    if (l < hs.headsPerLevel.size()) heads = hs.headsPerLevel[l];
    else if (!hs.headsPerLevel.empty()) heads = hs.headsPerLevel.back();
    else if (hs.heads > 0) heads = hs.heads;
    else if (hs.headDim > 0) heads = ch / hs.headDim;
    if (heads <= 0 || ch % heads != 0)
      return makeError(ErrorKind::Model, src + ": cannot split " + std::to_string(ch) + " channels into attention heads (" +
                                             std::to_string(heads) + ")");
    c.headsAtLevel[l] = heads;
  }
  return c;
}

}  // namespace ns::sd
