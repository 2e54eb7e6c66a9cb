#include "core/model/model_pack_config.h"

#include <climits>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/model/json_fields.h"
#include "core/model/schedule_fields.h"

namespace ns {

namespace {

using nlohmann::json;

// Field access with errors naming the file and the dotted field path.
using PackFields = JsonFields;

#define NS_PACK_TRY(var, expr)          \
  auto var##_r = (expr);                \
  if (!var##_r) return var##_r.error(); \
  auto var = std::move(var##_r.value())

}  // namespace

Result<ModelPackConfig> parseModelPackConfig(const json& root, const std::string& file) {
  if (!root.is_object()) return makeError(ErrorKind::Model, file + ": top level must be a JSON object");
  PackFields f(root, file);
  ModelPackConfig c;
  NS_PACK_TRY(format, f.str("format"));
  if (format != "noisestudio-pack") return f.error("format", "is '" + format + "', expected 'noisestudio-pack'");
  NS_PACK_TRY(version, f.integer("format_version"));
  if (version != 1)
    return f.error("format_version", "is " + std::to_string(version) + "; this NoiseStudio reads version 1");
  c.formatVersion = version;
  NS_PACK_TRY(name, f.str("name"));
  if (name.empty()) return f.error("name", "must not be empty");
  c.name = name;
  NS_PACK_TRY(licence, f.str("licence"));
  c.licence = licence;
  NS_PACK_TRY(prediction, f.str("prediction"));
  c.prediction = predictionTypeFromString(prediction);
  if (c.prediction == PredictionType::Invalid)
    return f.error("prediction", "has unknown prediction type '" + prediction +
                                     "' (expected epsilon, v_prediction or sample)");
  NS_PACK_TRY(schedule, parseScheduleFields(f));
  c.schedule = schedule;

  NS_PACK_TRY(channels, f.integer("latent.channels"));
  if (channels < 1 || channels > 64) return f.error("latent.channels", "must be between 1 and 64");
  c.latentChannels = channels;
  NS_PACK_TRY(downscale, f.integer("latent.downscale"));
  if (downscale < 1 || downscale > 64) return f.error("latent.downscale", "must be between 1 and 64");
  c.latentDownscale = downscale;
  NS_PACK_TRY(scale, f.num("latent.scale"));
  if (!(scale > 0) || !std::isfinite(scale)) return f.error("latent.scale", "must be a positive number");
  c.latentScale = scale;
  NS_PACK_TRY(multiple, f.optInteger("size_multiple", 8));
  if (multiple < 1 || multiple > 256) return f.error("size_multiple", "must be between 1 and 256");
  c.sizeMultiple = multiple;
  NS_PACK_TRY(resolution, f.integer("resolution"));
  if (resolution <= 0 || resolution % (downscale * multiple) != 0)
    return f.error("resolution", "(" + std::to_string(resolution) + ") must be a positive multiple of " +
                                     "latent.downscale x size_multiple (" + std::to_string(downscale * multiple) + ")");
  c.resolution = resolution;
  NS_PACK_TRY(kind, f.optStr("image_or_video", "image"));
  if (kind != "image" && kind != "video") return f.error("image_or_video", "is '" + kind + "', expected image or video");
  c.isVideo = kind == "video";
  NS_PACK_TRY(context, f.optInteger("context_length", 77));
  if (context < 2 || context > 4096) return f.error("context_length", "must be between 2 and 4096");
  c.contextLength = context;
  NS_PACK_TRY(pad, f.optStr("tokenizer_pad", ""));
  c.padToken = pad;
  NS_PACK_TRY(drySize, f.optInteger("dry_run.size", 0));
  if (drySize < 0 || drySize % multiple != 0)
    return f.error("dry_run.size", "must be a positive multiple of size_multiple (" + std::to_string(multiple) + ")");
  c.dryRunSize = drySize;
  NS_PACK_TRY(dryFrames, f.optInteger("dry_run.frames", 2));
  if (dryFrames < 1 || dryFrames > 256) return f.error("dry_run.frames", "must be between 1 and 256");
  c.dryRunFrames = dryFrames;

  if (const json* files = f.find("files"); files && !files->is_object())
    return f.error("files", "must be a JSON object of file names");
  NS_PACK_TRY(denoiser, f.optStr("files.denoiser", "denoiser.pt"));
  c.denoiserFile = denoiser;
  NS_PACK_TRY(enc, f.optStr("files.vae_encoder", ""));
  NS_PACK_TRY(dec, f.optStr("files.vae_decoder", ""));
  if (enc.empty() != dec.empty())
    return f.error(enc.empty() ? "files.vae_encoder" : "files.vae_decoder",
                   "is missing: a VAE needs both vae_encoder and vae_decoder");
  c.vaeEncoderFile = enc;
  c.vaeDecoderFile = dec;
  if (enc.empty() && (channels != 3 || downscale != 1))
    return f.error("latent", "describes a latent space (channels " + std::to_string(channels) + ", downscale " +
                                 std::to_string(downscale) + ") but files.vae_encoder/vae_decoder are missing");
  NS_PACK_TRY(text, f.optStr("text", "clip"));
  if (text != "clip" && text != "none") return f.error("text", "is '" + text + "', expected clip or none");
  c.hasText = text == "clip";
  NS_PACK_TRY(te, f.optStr("files.text_encoder", ""));
  NS_PACK_TRY(vocab, f.optStr("files.tokenizer_vocab", "vocab.json"));
  NS_PACK_TRY(merges, f.optStr("files.tokenizer_merges", "merges.txt"));
  if (c.hasText) {
    if (te.empty())
      return f.error("files.text_encoder", "is missing (set \"text\": \"none\" for an unconditional pack)");
    c.textEncoderFile = te;
    c.vocabFile = vocab;
    c.mergesFile = merges;
  }
  return c;
}

}  // namespace ns
