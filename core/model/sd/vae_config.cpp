#include "core/model/sd/vae_config.h"

#include <ATen/ATen.h>

namespace ns::sd {

VaeConfig sdVaeConfig() {
  VaeConfig v;
  v.ch = 128;
  v.chMult = {1, 2, 4, 4};
  v.numResBlocks = 2;
  return v;
}

Result<VaeConfig> inferVaeConfig(const WeightMap& w, const std::string& p, const std::string& src) {
  auto need = [&](const std::string& k) -> const at::Tensor* {
    auto it = w.find(p + k);
    return it == w.end() ? nullptr : &it->second;
  };
  auto missing = [&](const std::string& k) {
    return makeError(ErrorKind::Model, src + ": missing tensor '" + p + k + "' (not a Stable Diffusion VAE?)");
  };
  VaeConfig c;
  const at::Tensor* convIn = need("encoder.conv_in.weight");
  if (!convIn) return missing("encoder.conv_in.weight");
  c.ch = int(convIn->size(0));
  c.inChannels = int(convIn->size(1));
  c.chMult.clear();
  for (int i = 0; need("encoder.down." + std::to_string(i) + ".block.0.conv2.weight"); ++i) {
    const int out = int(need("encoder.down." + std::to_string(i) + ".block.0.conv2.weight")->size(0));
    if (out % c.ch != 0)
      return makeError(ErrorKind::Model, src + ": VAE level " + std::to_string(i) + " has " + std::to_string(out) +
                                             " channels, not a multiple of " + std::to_string(c.ch));
    c.chMult.push_back(out / c.ch);
    if (need("encoder.down." + std::to_string(i) + ".attn.0.q.weight"))
      return makeError(ErrorKind::Model, src + ": VAE with attention inside its levels is not supported (level " +
                                             std::to_string(i) + ")");
  }
  if (c.chMult.empty()) return missing("encoder.down.0.block.0.conv2.weight");
  c.numResBlocks = 0;
  while (need("encoder.down.0.block." + std::to_string(c.numResBlocks) + ".conv1.weight")) ++c.numResBlocks;
  const at::Tensor* decIn = need("decoder.conv_in.weight");
  if (!decIn) return missing("decoder.conv_in.weight");
  c.zChannels = int(decIn->size(1));
  const at::Tensor* pq = need("post_quant_conv.weight");
  if (!pq) return missing("post_quant_conv.weight");
  c.embedDim = int(pq->size(1));
  const at::Tensor* convOut = need("decoder.conv_out.weight");
  if (!convOut) return missing("decoder.conv_out.weight");
  c.outChannels = int(convOut->size(0));
  return c;
}

}  // namespace ns::sd
