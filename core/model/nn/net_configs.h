#pragma once
// Configurations of the built-in networks (light header: no torch). They are stored in model.json
// under "architecture" and rebuild exactly the modules that wrote the weights.
// builtin_nets.h includes this; code that only reads/writes configs includes this header alone.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace ns::nn {

// Conditional UNet on latents. Defaults: ~5.4 M parameters, ~0.55 GFLOP per 16×16×4 latent
// (a 64×64 image); base 48 rather than 64 so that a CFG step (batch 2) stays under 40 ms on
// 2 CPU cores (bench/bench_core_unet.cpp). Every field is stored in model.json, so weights
// trained with other values still load.
struct UNetConfig {
  int inChannels = 4;
  int baseChannels = 48;
  std::vector<int> mults{1, 2, 2};   // channel multiplier per level: 16² -> 8² -> 4²
  int resBlocks = 2;                 // residual blocks per level (decoder has resBlocks + 1)
  std::vector<int> attnLevels{1, 2}; // levels with self-attention + cross-attention to the tokens
  int vocabSize = 0;                 // Vocabulary::words().size(); must be > 0
  int tokenDim = 128;
  int maxTokens = 16;
  int heads = 4;
  int groups = 8;                    // GroupNorm groups (divides every channel count)
  nlohmann::json toJson() const;
  // Missing fields keep their defaults; wrong types throw nlohmann::json::exception.
  static UNetConfig fromJson(const nlohmann::json& j);
  // "" if usable, else what is wrong (e.g. "vocabSize must be > 0").
  std::string validate() const;
  std::string parseError;  // set by fromJson for a number that is no int (1e20, 2.5); validate() reports it
};

struct AutoencoderConfig {
  int latentChannels = 4;
  int baseChannels = 32;
  int downscale = 4;  // power of two: 1, 2, 4, 8
  int groups = 8;
  nlohmann::json toJson() const;
  static AutoencoderConfig fromJson(const nlohmann::json& j);
  std::string validate() const;
  std::string parseError;  // set by fromJson for a number that is no int (1e20, 2.5); validate() reports it
};

struct ClassifierConfig {
  int baseChannels = 32;
  int featureDim = 128;
  int numColours = 0, numShapes = 0, numBackgrounds = 0;  // Vocabulary list sizes; must be > 0
  int groups = 8;
  nlohmann::json toJson() const;
  static ClassifierConfig fromJson(const nlohmann::json& j);
  std::string validate() const;
  std::string parseError;  // set by fromJson for a number that is no int (1e20, 2.5); validate() reports it
};

}  // namespace ns::nn
