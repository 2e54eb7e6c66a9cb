#include "core/model/builtin_model.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/model/autoencoder_codec.h"
#include "core/model/builtin_denoiser.h"
#include "core/model/builtin_model_config.h"
#include "core/model/module_weights.h"
#include "core/model/nn/builtin_nets.h"
#include "core/model/safetensors.h"
#include "core/model/shapes_verifier.h"
#include "core/model/vocabulary.h"
#include "core/model/vocabulary_conditioner.h"
#include "core/util/torch_runtime.h"

namespace ns {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

bool hasModelJson(const fs::path& dir) {
  std::error_code ec;
  return !dir.empty() && fs::is_regular_file(dir / "model.json", ec);
}

// The checkout this file was compiled from: __FILE__ is <src>/core/model/builtin_model.cpp.
fs::path compiledSourceDir() {
  fs::path p(__FILE__);
  if (!p.is_absolute()) return {};
  return p.parent_path().parent_path().parent_path();
}

#define NS_TRY_ASSIGN(var, expr)              \
  auto var##_r = (expr);                      \
  if (!var##_r) return var##_r.error();       \
  auto var = std::move(var##_r.value())

Result<json> readJson(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return makeError(ErrorKind::Io, file.string() + ": not found or unreadable (is this a model folder?)");
  json j = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return makeError(ErrorKind::Model, file.string() + ": not valid JSON");
  if (!j.is_object()) return makeError(ErrorKind::Model, file.string() + ": top level must be a JSON object");
  return j;
}

Result<ModelBundle> load(const fs::path& dir, const std::string& requestedDevice) {
  const fs::path jsonPath = dir / "model.json";
  const std::string jsonFile = jsonPath.string();
  NS_TRY_ASSIGN(root, readJson(jsonPath));
  NS_TRY_ASSIGN(cfg, parseBuiltinModelConfig(root, jsonFile));
  const nn::UNetConfig& unetCfg = cfg.unet;
  const nn::AutoencoderConfig& aeCfg = cfg.autoencoder;

  if (requestedDevice != "cpu" && requestedDevice != "cuda")
    return makeError(ErrorKind::BadInput, "unknown device '" + requestedDevice + "' (cpu or cuda)");
  const std::string device = resolveDevice(requestedDevice);
  const std::string weightsFile = (dir / cfg.weightsFile).string();
  NS_TRY_ASSIGN(weights, readSafetensors(weightsFile));
  auto unet = std::make_shared<nn::BuiltinUNetImpl>(unetCfg);
  auto ae = std::make_shared<nn::TinyAutoencoderImpl>(aeCfg);
  if (auto r = loadModuleState(*unet, weights.tensors, "unet.", weightsFile); !r) return r.error();
  if (auto r = loadModuleState(*ae, weights.tensors, "autoencoder.", weightsFile); !r) return r.error();
  unet->to(at::Device(device));
  ae->to(at::Device(device));

  DenoiserInfo info;
  info.id = cfg.id;
  info.channels = cfg.latentChannels;
  info.sampleSize = cfg.resolution / cfg.latentDownscale;
  info.sizeMultiple = 1 << (unetCfg.mults.size() - 1);
  info.isVideo = false;
  info.prediction = cfg.prediction;
  info.schedule = cfg.schedule;

  ModelBundle bundle;
  bundle.denoiser = std::make_shared<BuiltinDenoiser>(unet, info, device);
  bundle.codec = std::make_shared<AutoencoderCodec>(ae, cfg.latentScale, device);
  bundle.text = std::make_shared<VocabularyConditioner>();
  bundle.sourcePath = dir.string();
  bundle.device = device;

  const fs::path verifierPath = dir / cfg.verifierFile;
  std::error_code ec;
  if (fs::is_regular_file(verifierPath, ec)) {
    NS_TRY_ASSIGN(clsCfg, parseBuiltinClassifierConfig(root, jsonFile));
    NS_TRY_ASSIGN(vw, readSafetensors(verifierPath.string()));
    auto cls = std::make_shared<nn::ShapesClassifierImpl>(clsCfg);
    if (auto r = loadModuleState(*cls, vw.tensors, "classifier.", verifierPath.string()); !r) return r.error();
    cls->to(at::Device(device));
    bundle.verifier = std::make_shared<ShapesVerifier>(cls, device);
  } else {
    spdlog::info("{}: no {}; the model loads without its verifier", dir.string(), cfg.verifierFile);
  }
  spdlog::info("Loaded built-in model '{}' from {} on {}", cfg.id, dir.string(), device);
  return bundle;
}

}  // namespace

std::string findBuiltinModelDir() {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("NS_BUILTIN_MODEL_DIR"); env && *env) candidates.emplace_back(env);
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) candidates.push_back(exe.parent_path() / ".." / "share" / "noisestudio" / "models" / "builtin");
  if (const char* src = std::getenv("NS_SOURCE_DIR"); src && *src)
    candidates.push_back(fs::path(src) / "resources" / "models" / "builtin");
  if (fs::path src = compiledSourceDir(); !src.empty()) candidates.push_back(src / "resources" / "models" / "builtin");
  for (const auto& c : candidates) {
    if (hasModelJson(c)) return fs::weakly_canonical(c, ec).string();
  }
  return "";
}

Result<ModelBundle> loadBuiltinModel(const std::string& dir, const std::string& device) {
  if (dir.empty()) return makeError(ErrorKind::Model, "no built-in model folder was given (none found?)");
  try {
    return load(fs::path(dir), device);
  } catch (const c10::Error& e) {
    return makeError(ErrorKind::Model, dir + ": loading the model failed: " + e.what_without_backtrace());
  } catch (const std::exception& e) {
    return makeError(ErrorKind::Model, dir + ": loading the model failed: " + e.what());
  }
}

}  // namespace ns
