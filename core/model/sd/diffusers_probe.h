#pragma once
// DiffusersProbe: what a diffusers Stable Diffusion folder is, read from its JSON configs alone
// (no weights): for the model dock's listing and for refusing an unsupported family (SDXL, SD3,
// Flux ...) before anything big is allocated.

#include <cstdint>
#include <string>

#include "core/model/denoiser.h"
#include "core/model/schedule_config.h"
#include "core/model/sd/sd_family.h"
#include "core/util/result.h"

namespace ns::sd {

struct DiffusersProbe {
  SdFamily family = SdFamily::Invalid;
  PredictionType prediction = PredictionType::Epsilon;  // scheduler_config.json prediction_type
  ScheduleConfig schedule;                                // the training schedule from scheduler_config.json
  std::string pipelineClass;   // model_index.json _class_name, e.g. "StableDiffusionPipeline"
  std::string schedulerClass;  // scheduler_config.json _class_name, e.g. "PNDMScheduler"
  int sampleSize = 64;         // unet sample_size: native latent size (64 -> 512 px for SD 1.x)
  int crossAttentionDim = 768;
  double vaeScale = 0.18215;   // vae scaling_factor: latents are multiplied by it after encoding
  int64_t totalWeightBytes = 0;  // sum of the weight files' sizes (probeDiffusersFolder only)
};

// Reads dir/model_index.json and the part configs (unet, vae, text_encoder, scheduler) and sizes
// the weight files it would read (the same choice readDiffusersFolder makes with default options).
// Errors name the folder and the file; an unsupported family is refused by name.
Result<DiffusersProbe> probeDiffusersFolder(const std::string& dir);

}  // namespace ns::sd
