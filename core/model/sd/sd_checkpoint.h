#pragma once
// SdCheckpoint: what a Stable Diffusion file or folder holds, read and sorted by part before any
// network is built: the UNet and VAE weights in the original LDM names, the text tower in Hugging
// Face CLIP names, the family and what the file says about prediction, schedule and tokenizer.
// Reading a .safetensors file maps it (no copy); a .ckpt/.pt goes through the restricted pickle
// reader (core/model/checkpoint), which never runs code from the file.
//
// Families NoiseStudio cannot run yet (SDXL, SD3, Flux, inpainting UNets) are refused by name here,
// from the tensor names alone, before anything big is allocated.

#include <cstdint>
#include <map>
#include <string>

#include "core/model/denoiser.h"
#include "core/model/schedule_config.h"
#include "core/model/sd/clip_text_config.h"
#include "core/model/sd/sd_family.h"
#include "core/model/sd/unet_config.h"
#include "core/model/sd/weight_map.h"
#include "core/util/result.h"

namespace ns::sd {

inline const std::string kUnetPrefix = "model.diffusion_model.";
inline const std::string kVaePrefix = "first_stage_model.";

struct SdCheckpoint {
  std::string source;                 // the path the user gave
  std::string layout;                 // "safetensors", "ckpt" or "diffusers"
  SdFamily family = SdFamily::Invalid;
  WeightMap weights;                  // kUnetPrefix* and kVaePrefix* tensors, as stored
  WeightMap text;                     // "text_model.*" (HF CLIPTextModel names), as stored
  ClipTextConfig::Activation textActivation = ClipTextConfig::Activation::Invalid;
  int textSkipLastLayers = 0;         // SD 2.x single files: 1 (penultimate layer)
  int64_t textHeads = 0;              // from a diffusers text_encoder/config.json; 0: width / 64
  HeadSplit unetHeads;                // from the family, or the diffusers config
  PredictionType prediction = PredictionType::Invalid;  // Invalid: the file does not say
  ScheduleConfig schedule;            // SD's training schedule unless the folder says otherwise
  double latentScale = 0.18215;
  std::string vocabJson, mergesTxt;   // the checkpoint's own tokenizer files, if it has them
  bool padWithZero = false;           // SD 2.x / OpenCLIP pads prompts with id 0, SD 1.x with <|endoftext|>
  std::map<std::string, int64_t> storageDtypes;  // e.g. {"F16": 1131} (tensor counts)
  uint64_t fileBytes = 0;
};

// The family from tensor names only; refuses SDXL, SD3, Flux, inpainting/depth UNets and files
// that are not SD at all, naming what was found.
Result<SdFamily> detectSdFamily(const WeightMap& w, const std::string& source);

// A single-file checkpoint: .safetensors (mapped) or .ckpt/.pt (restricted pickle reader).
Result<SdCheckpoint> readSdSingleFile(const std::string& path);

// A diffusers folder (model_index.json, unet/, vae/, text_encoder/, tokenizer/, scheduler/), names
// mapped to the single-file layout (core/model/sd/diffusers_folder.h).
Result<SdCheckpoint> readSdDiffusersFolder(const std::string& dir);

// Sorts a full single-file state dict into an SdCheckpoint (also used for .ckpt contents).
Result<SdCheckpoint> sortSingleFileWeights(WeightMap all, const std::map<std::string, std::string>& metadata,
                                           const std::string& source, const std::string& layout);

// "F16", "BF16", "F32", ... for a tensor's dtype (safetensors' names).
std::string storageDtypeName(const at::Tensor& t);

}  // namespace ns::sd
