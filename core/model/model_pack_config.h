#pragma once
// ModelPackConfig: the parsed, validated model.json of a model pack (format "noisestudio-pack").
// docs/model-packs.md is the field reference. Parsing checks types and ranges only; files are
// checked by loadModelPack. Plain value type, no threading concerns.

#include <nlohmann/json_fwd.hpp>

#include <string>

#include "core/model/denoiser.h"
#include "core/model/schedule_config.h"
#include "core/util/result.h"

namespace ns {

struct ModelPackConfig {
  std::string name;                 // "name": also the model id stored in projects
  std::string licence;              // "licence"
  int formatVersion = 1;            // "format_version"
  PredictionType prediction = PredictionType::Invalid;
  ScheduleConfig schedule;
  int resolution = 0;               // native pixel size
  int latentChannels = 3;           // "latent.channels"
  int latentDownscale = 1;          // "latent.downscale"
  double latentScale = 1.0;         // "latent.scale"
  int sizeMultiple = 8;             // "size_multiple": x_t sizes (latent pixels) must be multiples of it
  bool isVideo = false;             // "image_or_video" == "video"
  bool hasText = true;              // false when "text" == "none"
  int contextLength = 77;           // "context_length"
  std::string padToken;             // "tokenizer_pad": padding token ("" = <|endoftext|>; SD 2.x: "!")
  int dryRunSize = 0;               // "dry_run.size": latent size of the load-time check (0 = size_multiple)
  int dryRunFrames = 2;             // "dry_run.frames": frames of the load-time check (video packs)
  // "files": names relative to the pack folder; "" = absent.
  std::string denoiserFile = "denoiser.pt";
  std::string vaeEncoderFile, vaeDecoderFile, textEncoderFile, vocabFile, mergesFile;
};

// `file` is the model.json path used in error messages ("<file>: field 'x' ...").
Result<ModelPackConfig> parseModelPackConfig(const nlohmann::json& root, const std::string& file);

}  // namespace ns
