#pragma once
// Test helper: writes a tiny randomly initialised built-in model folder (model.json,
// weights.safetensors, verifier.safetensors) in exactly the layout noisestudio-train exports,
// with the same writer (moduleState + writeSafetensors, float16), so the loader is tested
// without trained weights. Include after <torch/torch.h> has been made safe (see the tests).

#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "core/model/module_weights.h"
#include "core/model/nn/builtin_nets.h"
#include "core/model/safetensors.h"
#include "core/model/vocabulary.h"

namespace nstest {

struct TinyModelConfigs {
  ns::nn::UNetConfig unet;
  ns::nn::AutoencoderConfig autoencoder;
  ns::nn::ClassifierConfig classifier;
};

inline TinyModelConfigs tinyModelConfigs() {
  TinyModelConfigs c;
  c.unet.baseChannels = 16;
  c.unet.mults = {1, 2, 2};
  c.unet.resBlocks = 1;
  c.unet.attnLevels = {1};
  c.unet.tokenDim = 32;
  c.unet.heads = 2;
  c.unet.vocabSize = int(ns::Vocabulary::words().size());
  c.unet.maxTokens = ns::Vocabulary::kMaxTokens;
  c.autoencoder.baseChannels = 16;
  c.classifier.baseChannels = 8;
  c.classifier.featureDim = 16;
  c.classifier.numColours = int(ns::Vocabulary::colours().size());
  c.classifier.numShapes = int(ns::Vocabulary::shapes().size());
  c.classifier.numBackgrounds = int(ns::Vocabulary::backgrounds().size());
  return c;
}

inline nlohmann::json tinyModelJson(const TinyModelConfigs& c, double latentScale) {
  return {
      {"format", "noisestudio-model"},
      {"format_version", 1},
      {"id", "builtin-shapes-v1"},
      {"name", "NoiseStudio shapes (built-in) - tiny random test model"},
      {"licence", "same as NoiseStudio; trained only on generated scenes"},
      {"prediction", "epsilon"},
      {"resolution", 64},
      {"image_or_video", "image"},
      {"schedule",
       {{"beta_schedule", "scaled_linear"}, {"beta_start", 0.00085}, {"beta_end", 0.012}, {"train_steps", 1000},
        {"timestep_spacing", "leading"}, {"steps_offset", 1}, {"set_alpha_to_one", false},
        {"zero_terminal_snr", false}}},
      {"latent", {{"channels", 4}, {"downscale", 4}, {"scale", latentScale}}},
      {"architecture",
       {{"unet", c.unet.toJson()}, {"autoencoder", c.autoencoder.toJson()}, {"classifier", c.classifier.toJson()}}},
      {"vocabulary", ns::Vocabulary::words()},
      {"files", {{"weights", "weights.safetensors"}, {"verifier", "verifier.safetensors"}}},
      {"training", {{"command", "tests/core/model/tiny_model_folder.h"}, {"seed", 0}}},
  };
}

inline void writeJson(const std::string& path, const nlohmann::json& j) { std::ofstream(path) << j.dump(2); }

// Writes the folder `dir` (created if needed) from `seed`; returns the model.json it wrote.
inline nlohmann::json writeTinyModelFolder(const std::string& dir, uint64_t seed, double latentScale = 1.5) {
  std::filesystem::create_directories(dir);
  const TinyModelConfigs c = tinyModelConfigs();
  torch::manual_seed(seed);
  ns::nn::BuiltinUNet unet(c.unet);
  ns::nn::TinyAutoencoder ae(c.autoencoder);
  ns::nn::ShapesClassifier cls(c.classifier);
  {
    // The UNet's output conv starts at zero; random weights make predictions depend on inputs.
    torch::NoGradGuard g;
    auto p = unet->named_parameters();
    p["conv_out.weight"].normal_(0.0, 0.05);
    p["conv_out.bias"].normal_(0.0, 0.05);
  }
  auto weights = ns::moduleState(*unet, "unet.", at::kHalf);
  auto aeState = ns::moduleState(*ae, "autoencoder.", at::kHalf);
  weights.insert(aeState.begin(), aeState.end());
  const auto meta = std::map<std::string, std::string>{{"id", "builtin-shapes-v1"}};
  if (!ns::writeSafetensors(dir + "/weights.safetensors", weights, meta).ok()) return {};
  if (!ns::writeSafetensors(dir + "/verifier.safetensors", ns::moduleState(*cls, "classifier.", at::kHalf), meta).ok())
    return {};
  nlohmann::json j = tinyModelJson(c, latentScale);
  writeJson(dir + "/model.json", j);
  return j;
}

}  // namespace nstest
