#include "app/train/export.h"

#include <fcntl.h>
#include <unistd.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "app/train/autoencoder_stage.h"
#include "app/train/checkpoint.h"
#include "app/train/classifier_stage.h"
#include "app/train/unet_stage.h"
#include "core/model/builtin_model.h"
#include "core/model/module_weights.h"
#include "core/model/nn/builtin_nets.h"
#include "core/model/safetensors.h"
#include "core/model/vocabulary.h"

namespace ns::train {

Result<void> writeTextAtomic(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) return makeError(ErrorKind::Io, "cannot create " + tmp);
    f << text;
    f.flush();
    if (!f) return makeError(ErrorKind::Io, "cannot write " + tmp);
  }
  if (const int fd = ::open(tmp.c_str(), O_RDONLY); fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return makeError(ErrorKind::Io, "cannot rename " + tmp + " to " + path + ": " + ec.message());
  return {};
}

namespace {

nlohmann::json stageRecord(const nlohmann::json& meta) {
  nlohmann::json r;
  for (const char* key : {"step", "target_steps", "batch", "lr", "dataset", "held_out", "wall_time_s", "final_loss",
                          "latent_scale", "recon_mse", "probe_loss_start", "probe_loss_end", "probe_loss_end_ema",
                          "resumed_from_step", "parameters", "ema_decay", "caption_dropout", "accuracy"}) {
    if (meta.contains(key)) r[key] = meta[key];
  }
  return r;
}

}  // namespace

Result<ExportSummary> exportModel(const TrainOptions& o, double totalWallTimeS) {
  namespace fs = std::filesystem;
  const std::string aePath = o.workDir + "/" + kAutoencoderCheckpoint;
  const std::string unetPath = o.workDir + "/" + kUnetCheckpoint;
  const std::string clsPath = o.workDir + "/" + kClassifierCheckpoint;
  if (!fileExists(aePath) || !fileExists(unetPath))
    return makeError(ErrorKind::BadInput, "nothing to export yet: " + (fileExists(aePath) ? unetPath : aePath) +
                                              " does not exist (the autoencoder and UNet stages must run first)");
  torch::NoGradGuard noGrad;
  ExportSummary summary;
  std::error_code ec;
  fs::create_directories(o.outDir, ec);
  if (ec) return makeError(ErrorKind::Io, "cannot create output folder " + o.outDir + ": " + ec.message());

  // Autoencoder + UNet (EMA) -> weights.safetensors, on the CPU in float16.
  auto unetMetaR = readCheckpointMeta(unetPath);
  if (!unetMetaR) return unetMetaR.error();
  const nlohmann::json unetMeta = *unetMetaR;
  auto aeMetaR = readCheckpointMeta(aePath);
  if (!aeMetaR) return aeMetaR.error();
  const nlohmann::json aeMeta = *aeMetaR;
  if (!aeMeta.contains("latent_scale"))
    return makeError(ErrorKind::BadInput, aePath + " is unfinished (no latent_scale): run --stage autoencoder --resume");
  if (unetMeta.value("latent_scale", 0.0) != aeMeta["latent_scale"].get<double>() ||
      unetMeta.value("autoencoder_config", nlohmann::json()) != aeMeta["config"])
    return makeError(ErrorKind::BadInput, unetPath + " was trained on the latents of another autoencoder than " +
                                              aePath + ": retrain the UNet (--stage unet without --resume)");

  const ns::nn::UNetConfig unetConfig = ns::nn::UNetConfig::fromJson(unetMeta["config"]);
  const ns::nn::AutoencoderConfig aeConfig = ns::nn::AutoencoderConfig::fromJson(aeMeta["config"]);
  ns::nn::BuiltinUNet ema(unetConfig);
  ns::nn::TinyAutoencoder ae(aeConfig);
  if (auto r = loadCheckpoint(unetPath, {{"ema", ema.ptr().get()}}, nullptr, "cpu"); !r) return r.error();
  if (auto r = loadCheckpoint(aePath, {{"autoencoder", ae.ptr().get()}}, nullptr, "cpu"); !r) return r.error();
  std::map<std::string, at::Tensor> weights = moduleState(*ema, "unet.", at::kHalf);
  for (auto& [k, v] : moduleState(*ae, "autoencoder.", at::kHalf)) weights[k] = v;
  const std::map<std::string, std::string> stMeta{{"model_id", kBuiltinModelId}, {"format", "pt"}};
  const std::string weightsPath = o.outDir + "/weights.safetensors";
  if (auto r = writeSafetensors(weightsPath, weights, stMeta); !r) return r.error();
  summary.wroteWeights = true;

  nlohmann::json clsMeta;
  nlohmann::json clsConfigJson;
  if (fileExists(clsPath)) {
    auto clsMetaR = readCheckpointMeta(clsPath);
    if (!clsMetaR) return clsMetaR.error();
    clsMeta = *clsMetaR;
    const ns::nn::ClassifierConfig clsConfig = ns::nn::ClassifierConfig::fromJson(clsMeta["config"]);
    clsConfigJson = clsMeta["config"];
    ns::nn::ShapesClassifier cls(clsConfig);
    if (auto r = loadCheckpoint(clsPath, {{"classifier", cls.ptr().get()}}, nullptr, "cpu"); !r) return r.error();
    if (auto r = writeSafetensors(o.outDir + "/verifier.safetensors", moduleState(*cls, "classifier.", at::kHalf),
                                  stMeta);
        !r)
      return r.error();
    summary.wroteVerifier = true;
  } else {
    // A verifier left from another run would not match these weights' record.
    fs::remove(o.outDir + "/verifier.safetensors", ec);
  }

  nlohmann::json j;
  j["format"] = "noisestudio-model";
  j["format_version"] = 1;
  j["id"] = kBuiltinModelId;
  j["name"] = "NoiseStudio shapes (built-in)";
  j["licence"] = "same as NoiseStudio; trained only on generated scenes";
  j["prediction"] = "epsilon";
  j["resolution"] = 64;
  j["image_or_video"] = "image";
  j["schedule"] = {{"beta_schedule", "scaled_linear"}, {"beta_start", kBetaStart},       {"beta_end", kBetaEnd},
                   {"train_steps", kTrainSteps},       {"timestep_spacing", "leading"}, {"steps_offset", 1},
                   {"set_alpha_to_one", false},        {"zero_terminal_snr", false}};
  j["latent"] = {{"channels", aeConfig.latentChannels},
                 {"downscale", aeConfig.downscale},
                 {"scale", aeMeta["latent_scale"].get<double>()}};
  j["architecture"] = {{"unet", unetMeta["config"]}, {"autoencoder", aeMeta["config"]}};
  if (summary.wroteVerifier) j["architecture"]["classifier"] = clsConfigJson;
  j["vocabulary"] = Vocabulary::words();
  j["files"] = {{"weights", "weights.safetensors"}};
  if (summary.wroteVerifier) j["files"]["verifier"] = "verifier.safetensors";

  nlohmann::json training;
  training["command"] = o.commandLine;
  training["seed"] = o.seed;
  training["steps"] = {{"autoencoder", aeMeta.value("step", 0)}, {"unet", unetMeta.value("step", 0)}};
  training["wall_time_s"] = {{"autoencoder", aeMeta.value("wall_time_s", 0.0)},
                             {"unet", unetMeta.value("wall_time_s", 0.0)},
                             {"this_run_total", totalWallTimeS}};
  training["final_loss"] = {{"autoencoder", aeMeta.value("final_loss", 0.0)}, {"unet", unetMeta.value("final_loss", 0.0)}};
  training["stages"] = {{"autoencoder", stageRecord(aeMeta)}, {"unet", stageRecord(unetMeta)}};
  if (summary.wroteVerifier) {
    training["steps"]["classifier"] = clsMeta.value("step", 0);
    training["wall_time_s"]["classifier"] = clsMeta.value("wall_time_s", 0.0);
    training["final_loss"]["classifier"] = clsMeta.value("final_loss", 0.0);
    training["stages"]["classifier"] = stageRecord(clsMeta);
  }
  training["dataset"] = unetMeta.value("dataset", 0);
  training["held_out"] = "core/model/held_out.h triples";  // never in the autoencoder/UNet scenes
  training["device"] = o.device;
  training["torch"] = TORCH_VERSION;
  j["training"] = training;
  if (summary.wroteVerifier && clsMeta.contains("accuracy"))
    j["verifier_accuracy"] = {{"colour", clsMeta["accuracy"]["colour"]}, {"shape", clsMeta["accuracy"]["shape"]}};

  summary.modelJsonPath = o.outDir + "/model.json";
  if (auto r = writeTextAtomic(summary.modelJsonPath, j.dump(2) + "\n"); !r) return r.error();
  spdlog::info("exported {} (weights{}) to {}", kBuiltinModelId, summary.wroteVerifier ? " + verifier" : "", o.outDir);
  return summary;
}

}  // namespace ns::train
