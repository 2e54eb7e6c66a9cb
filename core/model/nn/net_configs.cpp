#include "core/model/nn/net_configs.h"

namespace ns::nn {

nlohmann::json UNetConfig::toJson() const {
  return {{"in_channels", inChannels}, {"base_channels", baseChannels}, {"mults", mults},
          {"res_blocks", resBlocks},   {"attn_levels", attnLevels},     {"vocab_size", vocabSize},
          {"token_dim", tokenDim},     {"max_tokens", maxTokens},       {"heads", heads},
          {"groups", groups}};
}

UNetConfig UNetConfig::fromJson(const nlohmann::json& j) {
  UNetConfig c;
  c.inChannels = j.value("in_channels", c.inChannels);
  c.baseChannels = j.value("base_channels", c.baseChannels);
  c.mults = j.value("mults", c.mults);
  c.resBlocks = j.value("res_blocks", c.resBlocks);
  c.attnLevels = j.value("attn_levels", c.attnLevels);
  c.vocabSize = j.value("vocab_size", c.vocabSize);
  c.tokenDim = j.value("token_dim", c.tokenDim);
  c.maxTokens = j.value("max_tokens", c.maxTokens);
  c.heads = j.value("heads", c.heads);
  c.groups = j.value("groups", c.groups);
  return c;
}

std::string UNetConfig::validate() const {
  if (inChannels <= 0) return "in_channels must be > 0";
  if (baseChannels <= 0 || groups <= 0) return "base_channels and groups must be > 0";
  if (mults.empty()) return "mults must not be empty";
  for (int m : mults)
    if (m <= 0 || (baseChannels * m) % groups != 0) return "every base_channels*mult must be a multiple of groups";
  if (baseChannels % groups != 0) return "base_channels must be a multiple of groups";
  if (resBlocks <= 0) return "res_blocks must be > 0";
  for (int l : attnLevels)
    if (l < 0 || l >= int(mults.size())) return "attn_levels holds level " + std::to_string(l) + " out of range";
  if (vocabSize <= 0) return "vocab_size must be > 0";
  if (tokenDim <= 0 || maxTokens <= 0) return "token_dim and max_tokens must be > 0";
  if (heads <= 0 || tokenDim % heads != 0) return "token_dim must be a multiple of heads";
  for (int m : mults)
    if ((baseChannels * m) % heads != 0) return "every base_channels*mult must be a multiple of heads";
  return "";
}

nlohmann::json AutoencoderConfig::toJson() const {
  return {{"latent_channels", latentChannels}, {"base_channels", baseChannels}, {"downscale", downscale},
          {"groups", groups}};
}

AutoencoderConfig AutoencoderConfig::fromJson(const nlohmann::json& j) {
  AutoencoderConfig c;
  c.latentChannels = j.value("latent_channels", c.latentChannels);
  c.baseChannels = j.value("base_channels", c.baseChannels);
  c.downscale = j.value("downscale", c.downscale);
  c.groups = j.value("groups", c.groups);
  return c;
}

std::string AutoencoderConfig::validate() const {
  if (latentChannels <= 0) return "latent_channels must be > 0";
  if (baseChannels <= 0 || groups <= 0 || baseChannels % groups != 0)
    return "base_channels must be a positive multiple of groups";
  if (downscale != 1 && downscale != 2 && downscale != 4 && downscale != 8) return "downscale must be 1, 2, 4 or 8";
  return "";
}

nlohmann::json ClassifierConfig::toJson() const {
  return {{"base_channels", baseChannels}, {"feature_dim", featureDim},
          {"num_colours", numColours},     {"num_shapes", numShapes},
          {"num_backgrounds", numBackgrounds}, {"groups", groups}};
}

ClassifierConfig ClassifierConfig::fromJson(const nlohmann::json& j) {
  ClassifierConfig c;
  c.baseChannels = j.value("base_channels", c.baseChannels);
  c.featureDim = j.value("feature_dim", c.featureDim);
  c.numColours = j.value("num_colours", c.numColours);
  c.numShapes = j.value("num_shapes", c.numShapes);
  c.numBackgrounds = j.value("num_backgrounds", c.numBackgrounds);
  c.groups = j.value("groups", c.groups);
  return c;
}

std::string ClassifierConfig::validate() const {
  if (baseChannels <= 0 || groups <= 0 || baseChannels % groups != 0)
    return "base_channels must be a positive multiple of groups";
  if (featureDim <= 0) return "feature_dim must be > 0";
  if (numColours <= 0 || numShapes <= 0 || numBackgrounds <= 0)
    return "num_colours, num_shapes and num_backgrounds must be > 0";
  return "";
}

}  // namespace ns::nn
