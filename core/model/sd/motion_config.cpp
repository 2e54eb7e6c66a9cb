#include "core/model/sd/motion_config.h"

#include <ATen/core/Tensor.h>

#include <algorithm>
#include <map>
#include <set>

namespace ns::sd {

namespace {

bool startsWith(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

Error bad(const std::string& source, const std::string& what) { return makeError(ErrorKind::BadInput, source + ": " + what); }

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out(1);
  for (char c : s) {
    if (c == '.') out.emplace_back();
    else out.back() += c;
  }
  return out;
}

std::string join(const std::vector<std::string>& parts, size_t from) {
  std::string s;
  for (size_t i = from; i < parts.size(); ++i) s += (s.empty() ? "" : ".") + parts[i];
  return s;
}

// A small non-negative index ("0".."9999"); -1 for anything else (names come from untrusted files).
int index(const std::string& s) {
  if (s.empty() || s.size() > 4) return -1;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

// Splits "<site>.<rest>" into the site and the rest; false if the name is not under a site.
bool parseSite(const std::vector<std::string>& p, UnetSite* site, size_t* restFrom) {
  if (p.size() >= 5 && (p[0] == "down_blocks" || p[0] == "up_blocks") && p[2] == "motion_modules") {
    site->part = p[0] == "down_blocks" ? UnetSite::Part::Down : UnetSite::Part::Up;
    site->block = index(p[1]);
    site->index = index(p[3]);
    *restFrom = 4;
    return site->block >= 0 && site->index >= 0;
  }
  if (p.size() >= 4 && p[0] == "mid_block" && p[1] == "motion_modules") {
    site->part = UnetSite::Part::Mid;
    site->block = 0;
    site->index = index(p[2]);
    *restFrom = 3;
    return site->index >= 0;
  }
  return false;
}

// diffusers' transformer-block member names -> AnimateDiff's ("attn2" -> "attention_blocks.1",
// "norm1" -> "norms.0", "norm3" -> "ff_norm"); empty if it is not one of them.
std::string diffusersToOriginal(const std::vector<std::string>& r) {
  // r = transformer_blocks L <member> ...
  if (r.size() < 4 || r[0] != "transformer_blocks" || index(r[1]) < 0) return r.empty() ? "" : join(r, 0);
  const std::string head = "transformer_blocks." + r[1] + ".";
  const std::string& m = r[2];
  if (startsWith(m, "attn") && index(m.substr(4)) >= 1)
    return head + "attention_blocks." + std::to_string(index(m.substr(4)) - 1) + "." + join(r, 3);
  if (m == "norm3") return head + "ff_norm." + join(r, 3);
  if (startsWith(m, "norm") && index(m.substr(4)) >= 1)
    return head + "norms." + std::to_string(index(m.substr(4)) - 1) + "." + join(r, 3);
  return join(r, 0);
}

int64_t peLengthOf(const at::Tensor& t) { return t.dim() == 3 && t.size(0) == 1 ? t.size(1) : -1; }

}  // namespace

Result<WeightMap> canonicalMotionWeights(const WeightMap& w, const std::string& source, std::string* naming,
                                         int* peLength) {
  WeightMap out;
  bool original = false, diffusers = false;
  int pe = -1;
  std::string peName;
  // A whole Stable Diffusion checkpoint given as the module: say so rather than name a stray tensor.
  for (const char* sdPart : {"model.diffusion_model.input_blocks.", "first_stage_model.", "cond_stage_model."}) {
    auto it = w.lower_bound(sdPart);
    if (it != w.end() && startsWith(it->first, sdPart))
      return bad(source, "this is a Stable Diffusion checkpoint, not a motion module (tensor '" + it->first +
                             "'); give it with --model and the AnimateDiff file with --motion-module");
  }
  for (const auto& [stored, t] : w) {
    std::string k = stored;
    for (const char* p : {"module.", "model.diffusion_model."})
      if (startsWith(k, p)) k = k.substr(std::string(p).size());
    const auto parts = split(k);
    UnetSite site;
    size_t restFrom = 0;
    if (!parseSite(parts, &site, &restFrom)) {
      return bad(source, "tensor '" + stored +
                             "' is not part of an AnimateDiff motion module (expected down_blocks.N.motion_modules.M.*, "
                             "mid_block.motion_modules.0.* or up_blocks.N.motion_modules.M.*)");
    }
    std::vector<std::string> rest(parts.begin() + long(restFrom), parts.end());
    std::string canonicalRest;
    bool isPe = false;
    if (rest[0] == "temporal_transformer") {
      original = true;
      rest.erase(rest.begin());
      canonicalRest = join(rest, 0);
      isPe = rest.size() >= 2 && rest[rest.size() - 2] == "pos_encoder" && rest.back() == "pe";
    } else {
      diffusers = true;
      isPe = rest.size() >= 2 && rest[rest.size() - 2] == "pos_embed" && rest.back() == "pe";
      canonicalRest = diffusersToOriginal(rest);
    }
    if (isPe) {
      const int64_t len = peLengthOf(t);
      if (len < 1 || len > 100000)
        return bad(source, "position table '" + stored + "' must be [1, frames, channels], it is " +
                               c10::str(t.sizes()));
      if (pe >= 0 && len != pe)
        return bad(source, "position tables disagree on the frame count: '" + peName + "' has " + std::to_string(pe) +
                               ", '" + stored + "' has " + std::to_string(len));
      pe = int(len);
      peName = stored;
      continue;
    }
    if (canonicalRest.empty()) return bad(source, "tensor '" + stored + "' names no layer");
    const std::string name = site.name() + ".temporal_transformer." + canonicalRest;
    if (!out.emplace(name, t).second) return bad(source, "two tensors give '" + name + "' (e.g. '" + stored + "')");
  }
  if (original && diffusers)
    return bad(source, "mixes AnimateDiff names (temporal_transformer.*) with diffusers MotionAdapter names");
  if (out.empty()) return bad(source, "holds no motion-module tensors");
  if (naming) *naming = diffusers ? "diffusers" : "animatediff";
  if (peLength) *peLength = pe;
  return out;
}

Result<MotionConfig> inferMotionConfig(const WeightMap& w, const std::string& source, int heads, int groups) {
  MotionConfig cfg;
  cfg.heads = heads;
  cfg.groups = groups;
  std::map<UnetSite, MotionModuleShape> sites;
  std::map<UnetSite, std::pair<int, int>> counts;  // transformer blocks, attention blocks per site
  for (const auto& [k, t] : w) {
    const auto parts = split(k);
    UnetSite site;
    size_t restFrom = 0;
    if (!parseSite(parts, &site, &restFrom) || parts.size() < restFrom + 3 || parts[restFrom] != "temporal_transformer")
      return bad(source, "tensor '" + k + "' is not in AnimateDiff's motion-module layout");
    if (sites.size() >= 256 && !sites.count(site)) return bad(source, "more than 256 motion modules");
    auto& s = sites[site];
    s.site = site;
    auto& c = counts[site];
    const std::string member = parts[restFrom + 1];
    if (member == "norm" && parts[restFrom + 2] == "weight") {
      if (t.dim() != 1 || t.size(0) < 1 || t.size(0) > 65536)
        return bad(source, "'" + k + "' must be [channels], it is " + c10::str(t.sizes()));
      s.channels = int(t.size(0));
    } else if (member == "proj_in" && parts[restFrom + 2] == "weight") {
      if (t.dim() != 2 || t.size(0) < 1 || t.size(0) > 65536)
        return bad(source, "'" + k + "' must be [inner, channels], it is " + c10::str(t.sizes()));
      s.innerDim = int(t.size(0));
    } else if (member == "transformer_blocks") {
      const int l = index(parts[restFrom + 2]);
      if (l < 0 || l >= 64) return bad(source, "'" + k + "': transformer block index out of range (0..63)");
      c.first = std::max(c.first, l + 1);
      if (parts.size() > restFrom + 4 && parts[restFrom + 3] == "attention_blocks") {
        const int a = index(parts[restFrom + 4]);
        if (a < 0 || a >= 16) return bad(source, "'" + k + "': attention block index out of range (0..15)");
        c.second = std::max(c.second, a + 1);
      }
    }
  }
  if (sites.empty()) return bad(source, "holds no motion-module tensors");
  bool first = true;
  for (const auto& [site, s] : sites) {
    const std::string name = site.name();
    if (s.channels == 0) return bad(source, "motion module " + name + " has no temporal_transformer.norm.weight");
    if (s.innerDim == 0) return bad(source, "motion module " + name + " has no temporal_transformer.proj_in.weight");
    if (groups < 1 || s.channels % groups != 0)
      return bad(source, "motion module " + name + " has " + std::to_string(s.channels) +
                             " channels; GroupNorm needs a multiple of " + std::to_string(groups));
    if (heads < 1 || s.innerDim % heads != 0)
      return bad(source, "motion module " + name + " is " + std::to_string(s.innerDim) + " wide, not divisible into " +
                             std::to_string(heads) + " attention heads");
    const auto [blocks, attns] = counts[site];
    if (blocks == 0 || attns == 0) return bad(source, "motion module " + name + " has no temporal attention blocks");
    if (first) {
      cfg.transformerBlocks = blocks;
      cfg.attentionBlocks = attns;
      first = false;
    } else if (blocks != cfg.transformerBlocks || attns != cfg.attentionBlocks) {
      return bad(source, "motion module " + name + " has " + std::to_string(blocks) + " transformer blocks of " +
                             std::to_string(attns) + " attentions, the first module " +
                             std::to_string(cfg.transformerBlocks) + " of " + std::to_string(cfg.attentionBlocks));
    }
    if (site.part == UnetSite::Part::Mid) cfg.midBlock = true;
    cfg.modules.push_back(s);
  }
  return cfg;
}

std::vector<MotionModuleShape> unetMotionSites(const UnetConfig& u, bool midBlock) {
  std::vector<MotionModuleShape> out;
  const int levels = u.levels();
  for (int i = 0; i < levels; ++i)
    for (int j = 0; j < u.numResBlocks; ++j)
      out.push_back({{UnetSite::Part::Down, i, j}, u.modelChannels * u.channelMult[i], 0});
  if (midBlock) out.push_back({{UnetSite::Part::Mid, 0, 0}, u.modelChannels * u.channelMult[levels - 1], 0});
  for (int i = 0; i < levels; ++i)
    for (int j = 0; j <= u.numResBlocks; ++j)
      out.push_back({{UnetSite::Part::Up, i, j}, u.modelChannels * u.channelMult[levels - 1 - i], 0});
  return out;
}

Result<void> checkMotionFitsUnet(const MotionConfig& m, const UnetConfig& u, const std::string& motionSource,
                                 const std::string& unetSource) {
  const auto want = unetMotionSites(u, m.midBlock);
  std::map<UnetSite, int> have;
  for (const auto& s : m.modules) have[s.site] = s.channels;
  const std::string both = " (motion module " + motionSource + ", model " + unetSource + ")";
  for (const auto& s : want) {
    auto it = have.find(s.site);
    if (it == have.end())
      return makeError(ErrorKind::BadInput, "the motion module does not match the UNet: it has no module at " +
                                                s.site.name() + ", where the UNet has a layer of " +
                                                std::to_string(s.channels) + " channels" + both);
    if (it->second != s.channels)
      return makeError(ErrorKind::BadInput, "the motion module does not match the UNet: its " + s.site.name() + " is " +
                                                std::to_string(it->second) + " channels wide but the UNet has " +
                                                std::to_string(s.channels) + " there" + both);
    have.erase(it);
  }
  if (!have.empty())
    return makeError(ErrorKind::BadInput, "the motion module does not match the UNet: it has a module at " +
                                              have.begin()->first.name() + ", which the UNet has no place for" + both);
  return {};
}

}  // namespace ns::sd
