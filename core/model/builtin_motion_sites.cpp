#include "core/model/builtin_motion_sites.h"

#include <charconv>
#include <set>


namespace ns {

namespace {

Error bad(const std::string& source, const std::string& what) {
  return makeError(ErrorKind::Model, source + ": " + what);
}

// A whole decimal integer in [lo, hi] (no sign games, no trailing text).
Result<int> intField(const std::map<std::string, std::string>& meta, const std::string& key, int lo, int hi,
                     const std::string& source) {
  auto it = meta.find(key);
  if (it == meta.end()) return bad(source, "metadata has no \"" + key + "\" (not a built-in motion file?)");
  const std::string& s = it->second;
  int v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty())
    return bad(source, "metadata \"" + key + "\" is \"" + s.substr(0, 40) + "\", not an integer");
  if (v < lo || v > hi)
    return bad(source, "metadata \"" + key + "\" is " + s + ", outside " + std::to_string(lo) + ".." +
                           std::to_string(hi));
  return v;
}

std::string joinInts(const std::vector<int>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s;
}

}  // namespace

sd::MotionConfig builtinMotionConfig(const nn::UNetConfig& unet, const BuiltinMotionOptions& o) {
  using Part = sd::UnetSite::Part;
  sd::MotionConfig c;
  c.heads = o.heads;
  c.groups = o.groups;
  c.maxFrames = o.maxFrames;
  c.midBlock = o.midBlock;
  c.transformerBlocks = o.transformerBlocks;
  c.attentionBlocks = o.attentionBlocks;
  c.naming = "animatediff";
  const int levels = int(unet.mults.size());
  auto add = [&c](Part part, int block, int index, int channels) {
    c.modules.push_back(sd::MotionModuleShape{sd::UnetSite{part, block, index}, channels, channels});
  };
  for (int l = 0; l < levels; ++l)
    for (int i = 0; i < unet.resBlocks; ++i) add(Part::Down, l, i, unet.baseChannels * unet.mults[size_t(l)]);
  if (o.midBlock) add(Part::Mid, 0, 0, unet.baseChannels * unet.mults.back());
  for (int b = 0; b < levels; ++b)
    for (int i = 0; i <= unet.resBlocks; ++i)
      add(Part::Up, b, i, unet.baseChannels * unet.mults[size_t(levels - 1 - b)]);
  return c;
}

std::map<std::string, std::vector<int64_t>> motionTensorShapes(const sd::MotionConfig& c) {
  std::map<std::string, std::vector<int64_t>> out;
  for (const auto& m : c.modules) {
    const std::string p = m.site.name() + ".temporal_transformer.";
    const int64_t ch = m.channels, d = m.innerDim;
    out[p + "norm.weight"] = {ch};
    out[p + "norm.bias"] = {ch};
    out[p + "proj_in.weight"] = {d, ch};
    out[p + "proj_in.bias"] = {d};
    out[p + "proj_out.weight"] = {ch, d};
    out[p + "proj_out.bias"] = {ch};
    for (int l = 0; l < c.transformerBlocks; ++l) {
      const std::string b = p + "transformer_blocks." + std::to_string(l) + ".";
      for (int a = 0; a < c.attentionBlocks; ++a) {
        const std::string attn = b + "attention_blocks." + std::to_string(a) + ".";
        for (const char* w : {"to_q.weight", "to_k.weight", "to_v.weight", "to_out.0.weight"}) out[attn + w] = {d, d};
        out[attn + "to_out.0.bias"] = {d};
        out[b + "norms." + std::to_string(a) + ".weight"] = {d};
        out[b + "norms." + std::to_string(a) + ".bias"] = {d};
      }
      out[b + "ff.net.0.proj.weight"] = {8 * d, d};
      out[b + "ff.net.0.proj.bias"] = {8 * d};
      out[b + "ff.net.2.weight"] = {d, 4 * d};
      out[b + "ff.net.2.bias"] = {d};
      out[b + "ff_norm.weight"] = {d};
      out[b + "ff_norm.bias"] = {d};
    }
  }
  return out;
}

std::map<std::string, std::string> builtinMotionMetadata(const sd::MotionConfig& c, const nn::UNetConfig& unet,
                                                         const std::string& modelId) {
  return {{"format", kBuiltinMotionFormat},
          {"heads", std::to_string(c.heads)},
          {"groups", std::to_string(c.groups)},
          {"max_frames", std::to_string(c.maxFrames)},
          {"mid_block", c.midBlock ? "1" : "0"},
          {"unet_base_channels", std::to_string(unet.baseChannels)},
          {"unet_mults", joinInts(unet.mults)},
          {"unet_res_blocks", std::to_string(unet.resBlocks)},
          {"model_id", modelId}};
}

Result<sd::MotionConfig> parseBuiltinMotionFile(const std::map<std::string, std::string>& meta,
                                               const sd::WeightMap& tensors, const nn::UNetConfig& unet,
                                               const std::string& source, sd::WeightMap* canonicalOut) {
  auto format = meta.find("format");
  if (format == meta.end() || format->second != kBuiltinMotionFormat)
    return bad(source, std::string("metadata \"format\" is not \"") + kBuiltinMotionFormat +
                           "\": not a built-in motion file (an AnimateDiff file goes with a Stable Diffusion model)");
  auto heads = intField(meta, "heads", 1, 64, source);
  if (!heads) return heads.error();
  auto groups = intField(meta, "groups", 1, 1024, source);
  if (!groups) return groups.error();
  auto maxFrames = intField(meta, "max_frames", 1, 1024, source);
  if (!maxFrames) return maxFrames.error();
  auto mid = intField(meta, "mid_block", 0, 1, source);
  if (!mid) return mid.error();
  auto base = intField(meta, "unet_base_channels", 1, 4096, source);
  if (!base) return base.error();
  auto resBlocks = intField(meta, "unet_res_blocks", 1, 64, source);
  if (!resBlocks) return resBlocks.error();
  auto mults = meta.find("unet_mults");
  if (base.value() != unet.baseChannels || resBlocks.value() != unet.resBlocks || mults == meta.end() ||
      mults->second != joinInts(unet.mults))
    return bad(source, "was trained for a UNet with base " + std::to_string(base.value()) + ", mults [" +
                           (mults == meta.end() ? std::string("?") : mults->second.substr(0, 40)) + "], " +
                           std::to_string(resBlocks.value()) + " res blocks; this model's UNet has base " +
                           std::to_string(unet.baseChannels) + ", mults [" + joinInts(unet.mults) + "], " +
                           std::to_string(unet.resBlocks));

  std::string naming;
  int pe = -1;
  auto canonical = sd::canonicalMotionWeights(tensors, source, &naming, &pe);
  if (!canonical) return canonical.error();
  auto inferred = sd::inferMotionConfig(*canonical, source, heads.value(), groups.value());
  if (!inferred) return inferred.error();

  BuiltinMotionOptions o;
  o.heads = heads.value();
  o.groups = groups.value();
  o.maxFrames = maxFrames.value();
  o.midBlock = mid.value() == 1;
  o.transformerBlocks = inferred->transformerBlocks;
  o.attentionBlocks = inferred->attentionBlocks;
  sd::MotionConfig want = builtinMotionConfig(unet, o);
  std::set<std::string> have, expected;
  for (const auto& m : inferred->modules) have.insert(m.site.name());
  for (const auto& m : want.modules) expected.insert(m.site.name());
  for (const auto& name : expected)
    if (!have.count(name)) return bad(source, "has no motion module " + name + " (the built-in UNet has that site)");
  for (const auto& name : have)
    if (!expected.count(name)) return bad(source, "has a motion module " + name + " at no site of the built-in UNet");
  for (size_t i = 0; i < want.modules.size(); ++i) {
    const auto& w = want.modules[i];
    for (const auto& m : inferred->modules) {
      if (!(m.site == w.site)) continue;
      if (m.channels != w.channels)
        return bad(source, "motion module " + w.site.name() + " has " + std::to_string(m.channels) +
                               " channels; the built-in UNet has " + std::to_string(w.channels) + " there");
      want.modules[i].innerDim = m.innerDim;
    }
  }
  // Every tensor, by name and shape, against the network these settings build.
  const auto shapes = motionTensorShapes(want);
  for (const auto& [name, shape] : shapes) {
    auto it = canonical->find(name);
    if (it == canonical->end()) return bad(source, "has no tensor " + name);
    if (it->second.sizes().vec() != shape) return bad(source, "tensor " + name + " has the wrong shape");
  }
  for (const auto& [name, t] : *canonical)
    if (!shapes.count(name)) return bad(source, "has an unexpected tensor " + name);
  if (canonicalOut) *canonicalOut = std::move(*canonical);
  return want;
}

}  // namespace ns
