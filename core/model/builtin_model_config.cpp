#include "core/model/builtin_model_config.h"

#include <climits>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/model/json_fields.h"
#include "core/model/schedule_fields.h"

#include "core/model/vocabulary.h"

namespace ns {

using nlohmann::json;

namespace {

// Reads model.json fields with errors that say which file and field is wrong.
using Fields = JsonFields;

#define NS_TRY_ASSIGN(var, expr)              \
  auto var##_r = (expr);                      \
  if (!var##_r) return var##_r.error();       \
  auto var = std::move(var##_r.value())

// Wraps a JSON-to-config conversion so type errors name the field.
template <class Config>
Result<Config> parseConfig(const Fields& f, const std::string& path) {
  NS_TRY_ASSIGN(obj, f.object(path));
  try {
    Config c = Config::fromJson(*obj);
    const std::string err = c.validate();
    if (!err.empty()) return f.error(path, "is invalid: " + err);
    return c;
  } catch (const json::exception& e) {
    return f.error(path, std::string("has a field of the wrong type (") + e.what() + ")");
  }
}

}  // namespace

Result<BuiltinModelConfig> parseBuiltinModelConfig(const json& root, const std::string& file) {
  if (!root.is_object()) return makeError(ErrorKind::Model, file + ": top level must be a JSON object");
  Fields f(root, file);
  BuiltinModelConfig c;

  NS_TRY_ASSIGN(format, f.str("format"));
  if (format != "noisestudio-model") return f.error("format", "is '" + format + "', expected 'noisestudio-model'");
  NS_TRY_ASSIGN(version, f.integer("format_version"));
  if (version != 1)
    return f.error("format_version", "is " + std::to_string(version) + "; this NoiseStudio reads version 1");
  NS_TRY_ASSIGN(id, f.str("id"));
  c.id = id;
  NS_TRY_ASSIGN(predictionName, f.str("prediction"));
  c.prediction = predictionTypeFromString(predictionName);
  if (c.prediction == PredictionType::Invalid)
    return f.error("prediction", "has unknown prediction type '" + predictionName +
                                     "' (expected epsilon, v_prediction or sample)");
  NS_TRY_ASSIGN(schedule, parseScheduleFields(f));
  c.schedule = schedule;
  NS_TRY_ASSIGN(resolution, f.integer("resolution"));
  NS_TRY_ASSIGN(latentChannels, f.integer("latent.channels"));
  NS_TRY_ASSIGN(latentDownscale, f.integer("latent.downscale"));
  NS_TRY_ASSIGN(latentScale, f.num("latent.scale"));
  if (!(latentScale > 0) || !std::isfinite(latentScale)) return f.error("latent.scale", "must be a positive number");
  NS_TRY_ASSIGN(unetCfg, parseConfig<nn::UNetConfig>(f, "architecture.unet"));
  NS_TRY_ASSIGN(aeCfg, parseConfig<nn::AutoencoderConfig>(f, "architecture.autoencoder"));
  if (unetCfg.inChannels != latentChannels || aeCfg.latentChannels != latentChannels)
    return f.error("latent.channels", "(" + std::to_string(latentChannels) +
                                          ") disagrees with architecture.unet.in_channels / autoencoder.latent_channels");
  if (aeCfg.downscale != latentDownscale)
    return f.error("latent.downscale", "disagrees with architecture.autoencoder.downscale");
  if (resolution <= 0 || latentDownscale <= 0 || resolution % latentDownscale != 0)
    return f.error("resolution", "must be a positive multiple of latent.downscale");
  c.resolution = resolution;
  c.latentChannels = latentChannels;
  c.latentDownscale = latentDownscale;
  c.latentScale = latentScale;

  // Token ids mean words: the list the model was trained with must be the one this build tokenizes with.
  const json* vocab = f.find("vocabulary");
  if (!vocab || !vocab->is_array()) return f.error("vocabulary", "is missing or not an array of words");
  const auto& words = Vocabulary::words();
  if (vocab->size() != words.size())
    return f.error("vocabulary", "has " + std::to_string(vocab->size()) + " words, this build's vocabulary has " +
                                     std::to_string(words.size()) + " (model trained for another version?)");
  for (size_t i = 0; i < words.size(); ++i) {
    if (!(*vocab)[i].is_string() || (*vocab)[i].get<std::string>() != words[i])
      return f.error("vocabulary", "differs from this build's vocabulary at index " + std::to_string(i) +
                                       " (expected '" + words[i] + "')");
  }
  if (unetCfg.vocabSize != int(words.size()))
    return f.error("architecture.unet.vocab_size", "does not match the vocabulary size");
  c.unet = unetCfg;
  c.autoencoder = aeCfg;

  if (const json* files = f.find("files"); files && files->is_object()) {
    if (files->contains("weights")) {
      NS_TRY_ASSIGN(w, f.str("files.weights"));
      c.weightsFile = w;
    }
    if (files->contains("verifier")) {
      NS_TRY_ASSIGN(v, f.str("files.verifier"));
      c.verifierFile = v;
    }
  }
  return c;
}

Result<nn::ClassifierConfig> parseBuiltinClassifierConfig(const json& root, const std::string& file) {
  Fields f(root, file);
  NS_TRY_ASSIGN(clsCfg, parseConfig<nn::ClassifierConfig>(f, "architecture.classifier"));
  if (clsCfg.numColours != int(Vocabulary::colours().size()) || clsCfg.numShapes != int(Vocabulary::shapes().size()) ||
      clsCfg.numBackgrounds != int(Vocabulary::backgrounds().size()))
    return f.error("architecture.classifier", "class counts do not match the vocabulary's colours/shapes/backgrounds");
  return clsCfg;
}

}  // namespace ns
