#include "core/model/nn/net_configs.h"

#include <climits>
#include <cstdint>

namespace ns::nn {

namespace {

// Whether `v` is a whole number that fits an int. Anything else must not reach get<int>():
// converting 1e20 to int is undefined behaviour and 2^40 silently wraps (found by
// tests/fuzz/fuzz_model_json.cpp).
bool isInt(const nlohmann::json& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>() <= uint64_t(INT_MAX);
  if (v.is_number_integer()) return v.get<int64_t>() >= INT_MIN && v.get<int64_t>() <= INT_MAX;
  return false;
}

// j.value(key, fallback) for an int field. Absent: fallback; not a number (or j not an object):
// j.value's type_error. A number that is not a whole number in int range keeps the fallback and
// is recorded in `bad` (the first one), which validate() reports.
int intField(const nlohmann::json& j, const char* key, int fallback, std::string& bad) {
  if (!j.is_object()) return j.value(key, fallback);
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return j.value(key, fallback);
  if (isInt(*it)) return it->get<int>();
  if (bad.empty()) bad = std::string(key) + " must be a whole number in int range, got " + it->dump();
  return fallback;
}

// The same for a list of ints ("mults", "attn_levels").
std::vector<int> intListField(const nlohmann::json& j, const char* key, const std::vector<int>& fallback,
                              std::string& bad) {
  if (!j.is_object()) return j.value(key, fallback);
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return j.value(key, fallback);
  std::vector<int> out;
  for (const auto& v : *it) {
    if (!v.is_number()) return j.value(key, fallback);  // throws the usual type_error
    if (!isInt(v)) {
      if (bad.empty()) bad = std::string(key) + " must hold whole numbers in int range, got " + v.dump();
      return fallback;
    }
    out.push_back(v.get<int>());
  }
  return out;
}

// a * b is a multiple of m, in 64 bits: config values are ints, their product may not be.
bool productMultipleOf(int a, int b, int m) { return (int64_t(a) * int64_t(b)) % m == 0; }

}  // namespace

nlohmann::json UNetConfig::toJson() const {
  return {{"in_channels", inChannels}, {"base_channels", baseChannels}, {"mults", mults},
          {"res_blocks", resBlocks},   {"attn_levels", attnLevels},     {"vocab_size", vocabSize},
          {"token_dim", tokenDim},     {"max_tokens", maxTokens},       {"heads", heads},
          {"groups", groups}};
}

UNetConfig UNetConfig::fromJson(const nlohmann::json& j) {
  UNetConfig c;
  c.inChannels = intField(j, "in_channels", c.inChannels, c.parseError);
  c.baseChannels = intField(j, "base_channels", c.baseChannels, c.parseError);
  c.mults = intListField(j, "mults", c.mults, c.parseError);
  c.resBlocks = intField(j, "res_blocks", c.resBlocks, c.parseError);
  c.attnLevels = intListField(j, "attn_levels", c.attnLevels, c.parseError);
  c.vocabSize = intField(j, "vocab_size", c.vocabSize, c.parseError);
  c.tokenDim = intField(j, "token_dim", c.tokenDim, c.parseError);
  c.maxTokens = intField(j, "max_tokens", c.maxTokens, c.parseError);
  c.heads = intField(j, "heads", c.heads, c.parseError);
  c.groups = intField(j, "groups", c.groups, c.parseError);
  return c;
}

std::string UNetConfig::validate() const {
  if (!parseError.empty()) return parseError;
  if (inChannels <= 0) return "in_channels must be > 0";
  if (baseChannels <= 0 || groups <= 0) return "base_channels and groups must be > 0";
  if (mults.empty()) return "mults must not be empty";
  // Each level halves the latent; the size multiple is 2^(levels-1) (an int shift).
  if (mults.size() > 8) return "mults has " + std::to_string(mults.size()) + " levels; at most 8";
  for (int m : mults)
    if (m <= 0 || !productMultipleOf(baseChannels, m, groups)) return "every base_channels*mult must be a multiple of groups";
  if (baseChannels % groups != 0) return "base_channels must be a multiple of groups";
  if (resBlocks <= 0) return "res_blocks must be > 0";
  for (int l : attnLevels)
    if (l < 0 || l >= int(mults.size())) return "attn_levels holds level " + std::to_string(l) + " out of range";
  if (vocabSize <= 0) return "vocab_size must be > 0";
  if (tokenDim <= 0 || maxTokens <= 0) return "token_dim and max_tokens must be > 0";
  if (heads <= 0 || tokenDim % heads != 0) return "token_dim must be a multiple of heads";
  for (int m : mults)
    if (!productMultipleOf(baseChannels, m, heads)) return "every base_channels*mult must be a multiple of heads";
  return "";
}

nlohmann::json AutoencoderConfig::toJson() const {
  return {{"latent_channels", latentChannels}, {"base_channels", baseChannels}, {"downscale", downscale},
          {"groups", groups}};
}

AutoencoderConfig AutoencoderConfig::fromJson(const nlohmann::json& j) {
  AutoencoderConfig c;
  c.latentChannels = intField(j, "latent_channels", c.latentChannels, c.parseError);
  c.baseChannels = intField(j, "base_channels", c.baseChannels, c.parseError);
  c.downscale = intField(j, "downscale", c.downscale, c.parseError);
  c.groups = intField(j, "groups", c.groups, c.parseError);
  return c;
}

std::string AutoencoderConfig::validate() const {
  if (!parseError.empty()) return parseError;
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
  c.baseChannels = intField(j, "base_channels", c.baseChannels, c.parseError);
  c.featureDim = intField(j, "feature_dim", c.featureDim, c.parseError);
  c.numColours = intField(j, "num_colours", c.numColours, c.parseError);
  c.numShapes = intField(j, "num_shapes", c.numShapes, c.parseError);
  c.numBackgrounds = intField(j, "num_backgrounds", c.numBackgrounds, c.parseError);
  c.groups = intField(j, "groups", c.groups, c.parseError);
  return c;
}

std::string ClassifierConfig::validate() const {
  if (!parseError.empty()) return parseError;
  if (baseChannels <= 0 || groups <= 0 || baseChannels % groups != 0)
    return "base_channels must be a positive multiple of groups";
  if (featureDim <= 0) return "feature_dim must be > 0";
  if (numColours <= 0 || numShapes <= 0 || numBackgrounds <= 0)
    return "num_colours, num_shapes and num_backgrounds must be > 0";
  return "";
}

}  // namespace ns::nn
