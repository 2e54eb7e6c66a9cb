#include "core/model/model_pack.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/model/clip_tokenizer.h"
#include "core/model/model_pack_config.h"
#include "core/model/torchscript_codec.h"
#include "core/model/torchscript_denoiser.h"
#include "core/model/torchscript_module.h"
#include "core/model/torchscript_text_conditioner.h"
#include "core/util/torch_runtime.h"

namespace ns {

namespace fs = std::filesystem;

namespace {

// "text": "none": prompts cannot steer the model, so every word is reported as ignored. The
// context handed to the denoiser is a [1,1,1] zero tensor.
class IgnoredTextConditioner final : public TextConditioner {
 public:
  Result<EncodedPrompt> encode(const std::string& prompt) override {
    EncodedPrompt out;
    out.cond.context = at::zeros({1, 1, 1});
    std::istringstream words(prompt);
    for (std::string w; words >> w;) out.unknownWords.push_back(w);
    return out;
  }
};

Result<nlohmann::json> readJson(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return makeError(ErrorKind::Io, file.string() + ": not found or unreadable (is this a model pack folder?)");
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return makeError(ErrorKind::Model, file.string() + ": not valid JSON");
  if (!j.is_object()) return makeError(ErrorKind::Model, file.string() + ": top level must be a JSON object");
  return j;
}

std::string shapeOf(const at::Tensor& t) { return c10::str(t.sizes()); }

Error dryRunError(const std::string& file, const std::string& field, const std::string& what) {
  return makeError(ErrorKind::Model, file + " (model.json field '" + field + "'): dry run failed: " + what);
}

// Runs each module once on a tiny input and checks the shapes the rest of NoiseStudio relies on.
Result<void> dryRun(const ModelPackConfig& c, ModelBundle& b, const TorchscriptModule& denoiserModule,
                    const TorchscriptModule* encoder, const TorchscriptModule* decoder,
                    const TorchscriptModule* textEncoder) {
  c10::InferenceMode guard;
  const int64_t m = c.dryRunSize > 0 ? c.dryRunSize : c.sizeMultiple, px = m * c.latentDownscale;
  Conditioning cond;
  try {
    auto enc = b.text->encode("");
    if (!enc.ok()) return enc.error();
    cond = enc->cond;
  } catch (const c10::Error& e) {
    return dryRunError(textEncoder ? textEncoder->file() : "text", "files.text_encoder", e.what_without_backtrace());
  }
  if (textEncoder && (cond.context.dim() != 3 || cond.context.size(0) != 1 || cond.context.size(1) != c.contextLength))
    return dryRunError(textEncoder->file(), "files.text_encoder",
                       "ids [1," + std::to_string(c.contextLength) + "] gave " + shapeOf(cond.context) +
                           ", expected [1," + std::to_string(c.contextLength) + ",D]");
  if (encoder) {
    try {
      at::Tensor img = at::zeros({1, 3, px, px});
      at::Tensor z = b.codec->encode(img);
      if (z.sizes() != at::IntArrayRef({1, c.latentChannels, m, m}))
        return dryRunError(encoder->file(), "files.vae_encoder",
                           "images " + shapeOf(img) + " gave " + shapeOf(z) + ", expected [1, " +
                               std::to_string(c.latentChannels) + ", " + std::to_string(m) + ", " + std::to_string(m) +
                               "] (latent.channels, resolution / latent.downscale)");
      at::Tensor back = b.codec->decode(z);
      if (back.sizes() != img.sizes())
        return dryRunError(decoder->file(), "files.vae_decoder",
                           "latents " + shapeOf(z) + " gave " + shapeOf(back) + ", expected " + shapeOf(img));
    } catch (const c10::Error& e) {
      return dryRunError(encoder->file() + " / " + decoder->file(), "files.vae_encoder",
                         e.what_without_backtrace());
    }
  }
  at::Tensor x = c.isVideo ? at::zeros({1, c.latentChannels, c.dryRunFrames, m, m}) : at::zeros({1, c.latentChannels, m, m});
  at::Tensor t = at::full({1}, c.schedule.trainSteps / 2, at::kLong);
  try {
    // Call the module directly so a wrong shape is reported as such (predict() would throw).
    at::Tensor out = const_cast<TorchscriptModule&>(denoiserModule)
                         .forward({x.to(at::Device(b.device)), t.to(at::Device(b.device)),
                                   cond.context.to(at::Device(b.device), at::kFloat)});
    if (out.sizes() != x.sizes())
      return dryRunError(denoiserModule.file(), "files.denoiser",
                         "forward(x " + shapeOf(x) + ", t, context " + shapeOf(cond.context) + ") returned " +
                             shapeOf(out) + "; the prediction must have the input's shape");
    if (!out.is_floating_point())
      return dryRunError(denoiserModule.file(), "files.denoiser", "forward() returned a non-float tensor");
  } catch (const c10::Error& e) {
    std::string why = e.what_without_backtrace();
    if (why.size() > 600) why = why.substr(0, 600) + "...";
    return dryRunError(denoiserModule.file(), "files.denoiser",
                       "forward(x " + shapeOf(x) + ", t [1] int64, context " + shapeOf(cond.context) + ") threw: " + why);
  }
  return {};
}

Result<ModelBundle> load(const fs::path& dir, const std::string& requestedDevice) {
  const fs::path jsonPath = dir / "model.json";
  auto root = readJson(jsonPath);
  if (!root.ok()) return root.error();
  auto parsed = parseModelPackConfig(*root, jsonPath.string());
  if (!parsed.ok()) return parsed.error();
  const ModelPackConfig& c = *parsed;

  if (requestedDevice != "cpu" && requestedDevice != "cuda")
    return makeError(ErrorKind::BadInput, "unknown device '" + requestedDevice + "' (cpu or cuda)");
  const std::string device = resolveDevice(requestedDevice);
  auto path = [&dir](const std::string& name) { return (dir / name).string(); };

  auto denoiserModule = TorchscriptModule::load(path(c.denoiserFile), "files.denoiser", device);
  if (!denoiserModule.ok()) return denoiserModule.error();

  DenoiserInfo info;
  info.id = c.name;
  info.channels = c.latentChannels;
  info.sampleSize = c.resolution / c.latentDownscale;
  info.sizeMultiple = c.sizeMultiple;
  info.isVideo = c.isVideo;
  info.prediction = c.prediction;
  info.schedule = c.schedule;

  ModelBundle bundle;
  bundle.device = device;
  bundle.sourcePath = dir.string();
  bundle.denoiser = std::make_shared<TorchscriptDenoiser>(*denoiserModule, info, device);

  std::shared_ptr<TorchscriptModule> encoder, decoder, textEncoder;
  if (!c.vaeEncoderFile.empty()) {
    auto e = TorchscriptModule::load(path(c.vaeEncoderFile), "files.vae_encoder", device);
    if (!e.ok()) return e.error();
    auto d = TorchscriptModule::load(path(c.vaeDecoderFile), "files.vae_decoder", device);
    if (!d.ok()) return d.error();
    encoder = *e;
    decoder = *d;
    bundle.codec = std::make_shared<TorchscriptCodec>(encoder, decoder, c.latentChannels, c.latentDownscale,
                                                      c.latentScale, device);
  } else {
    bundle.codec = std::make_shared<IdentityCodec>();
  }

  if (c.hasText) {
    auto te = TorchscriptModule::load(path(c.textEncoderFile), "files.text_encoder", device);
    if (!te.ok()) return te.error();
    textEncoder = *te;
    auto tok = ClipTokenizer::fromFiles(path(c.vocabFile), path(c.mergesFile));
    if (!tok.ok()) return tok.error();
    int64_t padId = -1;
    if (!c.padToken.empty()) {
      padId = tok->idOf(c.padToken);
      if (padId < 0)
        return makeError(ErrorKind::Model, (dir / "model.json").string() + ": field 'tokenizer_pad' names token '" +
                                               c.padToken + "', which " + c.vocabFile + " does not contain");
    }
    bundle.text = std::make_shared<TorchscriptTextConditioner>(textEncoder, std::move(tok.value()), c.contextLength,
                                                               device, padId);
  } else {
    bundle.text = std::make_shared<IgnoredTextConditioner>();
  }

  if (auto r = dryRun(c, bundle, **denoiserModule, encoder.get(), decoder.get(), textEncoder.get()); !r.ok())
    return r.error();
  spdlog::info("Loaded model pack '{}' ({}, {}, {} px, {}) from {} on {}", c.name, toString(c.prediction),
               c.isVideo ? "video" : "image", c.resolution, encoder ? "latent" : "pixel", dir.string(), device);
  return bundle;
}

}  // namespace

Result<ModelBundle> loadModelPack(const std::string& dir, const std::string& device) {
  if (dir.empty()) return makeError(ErrorKind::BadInput, "no model pack folder was given");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return makeError(ErrorKind::Io, dir + ": model pack folder not found");
  try {
    return load(fs::path(dir), device);
  } catch (const c10::Error& e) {
    return makeError(ErrorKind::Model, dir + ": loading the model pack failed: " + e.what_without_backtrace());
  } catch (const std::exception& e) {
    return makeError(ErrorKind::Model, dir + ": loading the model pack failed: " + e.what());
  }
}

Result<std::string> modelFolderFormat(const std::string& dir) {
  auto j = readJson(fs::path(dir) / "model.json");
  if (!j.ok()) return j.error();
  auto it = j->find("format");
  if (it == j->end() || !it->is_string())
    return makeError(ErrorKind::Model, (fs::path(dir) / "model.json").string() + ": field 'format' is missing");
  return it->get<std::string>();
}

}  // namespace ns
