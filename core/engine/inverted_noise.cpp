#include "core/engine/inverted_noise.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "core/model/safetensors.h"

namespace ns {

namespace {
using nlohmann::json;

json scheduleToJson(const ScheduleConfig& s) {
  return json{{"beta_schedule", toString(s.beta)},   {"beta_start", s.betaStart},
              {"beta_end", s.betaEnd},               {"train_steps", s.trainSteps},
              {"zero_terminal_snr", s.zeroTerminalSnr}, {"set_alpha_to_one", s.setAlphaToOne},
              {"steps_offset", s.stepsOffset},       {"timestep_spacing", toString(s.spacing)}};
}

bool sameSchedule(const ScheduleConfig& a, const ScheduleConfig& b) {
  return a.beta == b.beta && a.betaStart == b.betaStart && a.betaEnd == b.betaEnd && a.trainSteps == b.trainSteps &&
         a.zeroTerminalSnr == b.zeroTerminalSnr && a.setAlphaToOne == b.setAlphaToOne &&
         a.stepsOffset == b.stepsOffset && a.spacing == b.spacing;
}
}  // namespace

Result<void> saveNoiseFile(const std::string& path, const InvertedNoise& n) {
  if (!n.xT.defined()) return makeError(ErrorKind::Internal, path + ": no noise to save");
  std::map<std::string, at::Tensor> t{{"x_T", n.xT.to(at::kCPU).contiguous()}, {"x_0", n.x0.to(at::kCPU).contiguous()}};
  if (n.zs.defined()) t["zs"] = n.zs.to(at::kCPU).contiguous();
  if (n.xts.defined()) t["xts"] = n.xts.to(at::kCPU).contiguous();
  const json meta{{"format", "noisestudio-noise"},
                  {"format_version", InvertedNoise::kFormatVersion},
                  {"method", n.method},
                  {"model_id", n.modelId},
                  {"schedule", scheduleToJson(n.schedule)},
                  {"steps", n.steps},
                  {"cfg_source", n.cfgSource},
                  {"eta", n.eta},
                  {"prompt", n.prompt},
                  {"source_hash", n.sourceHash},
                  {"timesteps", n.timesteps}};
  return writeSafetensors(path, t, {{"noisestudio", meta.dump()}});
}

Result<InvertedNoise> loadNoiseFile(const std::string& path) {
  auto file = readSafetensors(path);
  if (!file.ok()) return file.error();
  auto it = file->metadata.find("noisestudio");
  if (it == file->metadata.end())
    return makeError(ErrorKind::BadInput, path + ": not a NoiseStudio noise file (no 'noisestudio' metadata)");
  json m;
  try {
    m = json::parse(it->second);
  } catch (const std::exception& e) {
    return makeError(ErrorKind::BadInput, path + ": metadata is not valid JSON (" + e.what() + ")");
  }
  InvertedNoise n;
  try {
    if (m.at("format").get<std::string>() != "noisestudio-noise")
      return makeError(ErrorKind::BadInput, path + ": field 'format' is not 'noisestudio-noise'");
    const int version = m.at("format_version").get<int>();
    if (version > InvertedNoise::kFormatVersion)
      return makeError(ErrorKind::BadInput, path + ": format_version " + std::to_string(version) +
                                                " is newer than this NoiseStudio understands (" +
                                                std::to_string(InvertedNoise::kFormatVersion) + ")");
    n.method = m.at("method").get<std::string>();
    n.modelId = m.at("model_id").get<std::string>();
    const json& s = m.at("schedule");
    n.schedule.beta = betaScheduleFromString(s.at("beta_schedule").get<std::string>());
    n.schedule.betaStart = s.at("beta_start").get<double>();
    n.schedule.betaEnd = s.at("beta_end").get<double>();
    n.schedule.trainSteps = s.at("train_steps").get<int>();
    n.schedule.zeroTerminalSnr = s.at("zero_terminal_snr").get<bool>();
    n.schedule.setAlphaToOne = s.at("set_alpha_to_one").get<bool>();
    n.schedule.stepsOffset = s.at("steps_offset").get<int>();
    n.schedule.spacing = timestepSpacingFromString(s.at("timestep_spacing").get<std::string>());
    n.steps = m.at("steps").get<int>();
    n.cfgSource = m.at("cfg_source").get<double>();
    n.eta = m.at("eta").get<double>();
    n.prompt = m.at("prompt").get<std::string>();
    n.sourceHash = m.at("source_hash").get<std::string>();
    n.timesteps = m.at("timesteps").get<std::vector<int64_t>>();
  } catch (const json::exception& e) {
    return makeError(ErrorKind::BadInput, path + ": metadata field missing or of the wrong type (" + e.what() + ")");
  }
  if (n.method != "edit-friendly" && n.method != "ddim")
    return makeError(ErrorKind::BadInput, path + ": field 'method' must be 'edit-friendly' or 'ddim', got '" + n.method + "'");
  auto get = [&](const char* key) -> at::Tensor {
    auto f = file->tensors.find(key);
    return f == file->tensors.end() ? at::Tensor() : f->second.to(at::kFloat);
  };
  n.xT = get("x_T");
  n.x0 = get("x_0");
  n.zs = get("zs");
  n.xts = get("xts");
  if (!n.xT.defined() || !n.x0.defined()) return makeError(ErrorKind::BadInput, path + ": tensor 'x_T' or 'x_0' is missing");
  if (n.xT.dim() != 4 || !n.xT.sizes().equals(n.x0.sizes()))
    return makeError(ErrorKind::BadInput, path + ": tensors 'x_T' and 'x_0' must both be [frames, channels, h, w]");
  if (int(n.timesteps.size()) != n.steps)
    return makeError(ErrorKind::BadInput, path + ": 'timesteps' has " + std::to_string(n.timesteps.size()) +
                                              " entries but 'steps' is " + std::to_string(n.steps));
  if (n.method == "edit-friendly") {
    if (!n.zs.defined() || !n.xts.defined())
      return makeError(ErrorKind::BadInput, path + ": an edit-friendly noise file needs tensors 'zs' and 'xts'");
    if (n.zs.dim() != 5 || n.zs.size(0) != n.steps || !n.zs.sizes().slice(1).equals(n.xT.sizes()))
      return makeError(ErrorKind::BadInput, path + ": tensor 'zs' must be [steps, frames, channels, h, w]");
    if (n.xts.dim() != 5 || n.xts.size(0) != n.steps + 1 || !n.xts.sizes().slice(1).equals(n.xT.sizes()))
      return makeError(ErrorKind::BadInput, path + ": tensor 'xts' must be [steps+1, frames, channels, h, w]");
  }
  return n;
}

Result<void> checkNoiseMatchesModel(const std::string& path, const InvertedNoise& n, const std::string& modelId,
                                    const ScheduleConfig& schedule, int latentChannels, int latentSize) {
  if (n.modelId != modelId)
    return makeError(ErrorKind::BadInput, path + ": made for model '" + n.modelId + "', but the loaded model is '" +
                                              modelId + "'");
  if (!sameSchedule(n.schedule, schedule))
    return makeError(ErrorKind::BadInput, path + ": made with a different noise schedule (" + toString(n.schedule.beta) +
                                              ", " + std::to_string(n.schedule.trainSteps) + " steps) than the model's (" +
                                              toString(schedule.beta) + ", " + std::to_string(schedule.trainSteps) + ")");
  if (n.xT.size(1) != latentChannels || n.xT.size(2) != latentSize || n.xT.size(3) != latentSize)
    return makeError(ErrorKind::BadInput, path + ": noise size " + std::to_string(n.xT.size(1)) + "x" +
                                              std::to_string(n.xT.size(2)) + "x" + std::to_string(n.xT.size(3)) +
                                              " does not match the model's latent size " + std::to_string(latentChannels) +
                                              "x" + std::to_string(latentSize) + "x" + std::to_string(latentSize));
  return {};
}

}  // namespace ns
