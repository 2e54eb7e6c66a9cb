#pragma once
// InvertedNoise: what inversion produces and edits consume; saved as a .nsnoise file
// (safetensors + metadata) beside the project. Immutable once made (shared between jobs).

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/model/schedule_config.h"
#include "core/util/result.h"

namespace ns {

class ModelBundle;

struct InvertedNoise {
  static constexpr int kFormatVersion = 1;
  std::string method;                // "edit-friendly" or "ddim"
  std::string modelId;               // DenoiserInfo::id of the model that made it
  ScheduleConfig schedule;           // that model's schedule
  int steps = 0;
  double cfgSource = 0.0;
  double eta = 1.0;
  std::string prompt;                // source prompt
  std::string sourceHash;            // FNV-1a 64 of the fitted source pixels (8-bit), hex
  std::vector<int64_t> timesteps;    // descending
  at::Tensor x0;                     // encoded source latents [F,C,h,w]
  at::Tensor xT;                     // [F,C,h,w]
  at::Tensor zs;                     // edit-friendly: [T,F,C,h,w]; undefined for ddim
  at::Tensor xts;                    // edit-friendly: [T+1,F,C,h,w] (x_0..x_T); undefined for ddim
  int frames() const { return xT.defined() ? int(xT.size(0)) : 0; }
};

// .nsnoise I/O. load() refuses files made for another model id, latent size or schedule than
// `expectModelId` / `expectShape` / `expectSchedule` (when given) with a message saying which.
Result<void> saveNoiseFile(const std::string& path, const InvertedNoise& noise);
Result<InvertedNoise> loadNoiseFile(const std::string& path);
Result<void> checkNoiseMatchesModel(const std::string& path, const InvertedNoise& noise, const std::string& modelId,
                                    const ScheduleConfig& schedule, int latentChannels, int latentSize);

}  // namespace ns
