#pragma once
// The built-in model's model.json ("format": "noisestudio-model"), parsed and checked without
// loading any weights. loadBuiltinModel() uses it; it is separate (and free of LibTorch) so the
// parser can be fuzzed on its own (tests/fuzz/fuzz_builtin_model_json.cpp).
// Pure functions; thread-safe.

#include <nlohmann/json_fwd.hpp>

#include <string>

#include "core/model/denoiser.h"
#include "core/model/nn/net_configs.h"
#include "core/model/schedule_config.h"
#include "core/util/result.h"

namespace ns {

struct BuiltinModelConfig {
  std::string id;
  PredictionType prediction = PredictionType::Invalid;
  ScheduleConfig schedule;
  int resolution = 0;
  int latentChannels = 0;
  int latentDownscale = 1;
  double latentScale = 1.0;
  nn::UNetConfig unet;
  nn::AutoencoderConfig autoencoder;
  std::string weightsFile = "weights.safetensors";    // "files.weights", relative to the folder
  std::string verifierFile = "verifier.safetensors";  // "files.verifier"
};

// Every field is checked (types, ranges, agreement between latent.* and architecture.*, the
// vocabulary against this build's). Errors name `file` and the field (ErrorKind::Model).
Result<BuiltinModelConfig> parseBuiltinModelConfig(const nlohmann::json& root, const std::string& file);
// "architecture.classifier", checked against the vocabulary's class counts. Only read when the
// folder has a verifier file, so it is a separate call.
Result<nn::ClassifierConfig> parseBuiltinClassifierConfig(const nlohmann::json& root, const std::string& file);

}  // namespace ns
