#include "core/model/sd/clip_text_config.h"

#include <ATen/ATen.h>

namespace ns::sd {

namespace {

const std::string kEmb = "text_model.embeddings.";
const std::string kLayers = "text_model.encoder.layers.";

Error missing(const std::string& src, const std::string& key) {
  return makeError(ErrorKind::Model, src + ": missing tensor '" + key + "' (not a CLIP text encoder?)");
}

Error badRank(const std::string& src, const std::string& key, const at::Tensor& t, int64_t want) {
  return makeError(ErrorKind::Model, src + ": tensor '" + key + "' has shape " + c10::str(t.sizes()) + ", expected " +
                                         std::to_string(want) + " dimensions");
}

}  // namespace

Result<ClipTextConfig> inferClipTextConfig(const WeightMap& w, const std::string& src, std::optional<int64_t> heads) {
  ClipTextConfig c;
  const std::string tok = kEmb + "token_embedding.weight", pos = kEmb + "position_embedding.weight";
  auto it = w.find(tok);
  if (it == w.end()) return missing(src, tok);
  if (it->second.dim() != 2) return badRank(src, tok, it->second, 2);
  c.vocabSize = it->second.size(0);
  c.width = it->second.size(1);
  it = w.find(pos);
  if (it == w.end()) return missing(src, pos);
  if (it->second.dim() != 2) return badRank(src, pos, it->second, 2);
  c.maxPositions = it->second.size(0);
  if (it->second.size(1) != c.width)
    return makeError(ErrorKind::Model, src + ": tensor '" + pos + "' is " + std::to_string(it->second.size(1)) +
                                           " wide, the token embedding " + std::to_string(c.width));

  // Blocks are numbered 0..N-1; a gap means a damaged file, not a shorter tower.
  auto blockKey = [](int64_t i) { return kLayers + std::to_string(i) + ".mlp.fc1.weight"; };
  while (w.count(blockKey(c.layers))) ++c.layers;
  for (auto k = w.lower_bound(kLayers); k != w.end() && k->first.compare(0, kLayers.size(), kLayers) == 0; ++k) {
    const size_t dot = k->first.find('.', kLayers.size());
    const std::string num = k->first.substr(kLayers.size(), dot - kLayers.size());
    if (num.empty() || num.find_first_not_of("0123456789") != std::string::npos || std::stoll(num) >= c.layers)
      return makeError(ErrorKind::Model, src + ": tensor '" + k->first + "' belongs to no block 0.." +
                                             std::to_string(c.layers - 1) + " (missing '" + blockKey(c.layers) + "'?)");
  }
  if (c.layers == 0) return missing(src, blockKey(0));
  const at::Tensor& fc1 = w.at(blockKey(0));
  if (fc1.dim() != 2) return badRank(src, blockKey(0), fc1, 2);
  c.mlpWidth = fc1.size(0);

  const std::string lnf = "text_model.final_layer_norm.weight";
  if (!w.count(lnf)) return missing(src, lnf);

  c.heads = heads ? *heads : c.width / 64;
  if (c.heads <= 0 || c.width % c.heads != 0)
    return makeError(ErrorKind::Model, src + ": text width " + std::to_string(c.width) + " does not split into " +
                                           std::to_string(c.heads) + " attention heads");
  return c;
}

ClipTextConfig::Activation activationFromName(const std::string& name) {
  if (name == "quick_gelu") return ClipTextConfig::Activation::QuickGelu;
  if (name == "gelu") return ClipTextConfig::Activation::Gelu;
  return ClipTextConfig::Activation::Invalid;
}

const char* toString(ClipTextConfig::Activation a) {
  switch (a) {
    case ClipTextConfig::Activation::QuickGelu: return "quick_gelu";
    case ClipTextConfig::Activation::Gelu: return "gelu";
    default: return "invalid";
  }
}

}  // namespace ns::sd
