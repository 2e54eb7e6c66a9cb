#include "core/model/builtin_video_model.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/model/builtin_denoiser.h"
#include "core/model/builtin_model.h"
#include "core/model/builtin_motion_sites.h"
#include "core/model/builtin_video_denoiser.h"
#include "core/model/nn/builtin_nets.h"
#include "core/model/safetensors.h"
#include "core/model/sd/motion_module.h"

namespace ns {

namespace fs = std::filesystem;

namespace {

Result<ModelBundle> load(const std::string& dir, const std::string& motionFile, const std::string& device) {
  std::error_code ec;
  if (!fs::is_regular_file(motionFile, ec))
    return makeError(ErrorKind::Io, motionFile + ": motion-module file not found");
  auto bundle = loadBuiltinModel(dir, device);
  if (!bundle) return bundle.error();
  auto image = std::dynamic_pointer_cast<BuiltinDenoiser>(bundle->denoiser);
  if (!image) return makeError(ErrorKind::Internal, dir + ": the built-in model has no built-in UNet");
  auto file = readSafetensors(motionFile);
  if (!file) return file.error();
  sd::WeightMap canonical;
  auto config = parseBuiltinMotionFile(file->metadata, file->tensors, image->net()->config(), motionFile, &canonical);
  if (!config) return config.error();
  auto motion = sd::MotionModules::create(*config, canonical, motionFile);
  if (!motion) return motion.error();
  (*motion)->to(bundle->device, at::kFloat);

  DenoiserInfo info = image->info();
  info.id = kBuiltinVideoModelId;
  bundle->denoiser = std::make_shared<BuiltinVideoDenoiser>(image->net(), *motion, info, bundle->device);
  spdlog::info("Loaded built-in video model '{}' ({} motion modules, {:.2f} M parameters, {} frames per window) "
               "from {} + {}",
               info.id, config->modules.size(), double((*motion)->parameterCount()) / 1e6, config->maxFrames, dir,
               motionFile);
  return bundle;
}

}  // namespace

Result<ModelBundle> loadBuiltinVideoModel(const std::string& dir, const std::string& motionFile,
                                          const std::string& device) {
  try {
    return load(dir, motionFile, device);
  } catch (const c10::Error& e) {
    return makeError(ErrorKind::Model, motionFile + ": loading the motion modules failed: " + e.what_without_backtrace());
  } catch (const std::exception& e) {
    return makeError(ErrorKind::Model, motionFile + ": loading the motion modules failed: " + e.what());
  }
}

std::string builtinMotionFileOf(const std::string& dir) {
  std::ifstream in(fs::path(dir) / "model.json");
  if (!in) return "";
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("video") || !j["video"].is_object()) return "";
  const auto& v = j["video"];
  if (!v.contains("motion_file") || !v["motion_file"].is_string()) return "";
  const std::string name = v["motion_file"].get<std::string>();
  // A plain file name inside the folder only: model.json must not point elsewhere.
  if (name.empty() || name.find('/') != std::string::npos || name.find('\\') != std::string::npos || name == "..")
    return "";
  std::error_code ec;
  const fs::path p = fs::path(dir) / name;
  return fs::is_regular_file(p, ec) ? p.string() : "";
}

}  // namespace ns
