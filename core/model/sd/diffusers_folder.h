#pragma once
// readDiffusersFolder: a diffusers Stable Diffusion 1.x/2.x folder (model_index.json, unet/, vae/,
// text_encoder/, tokenizer/, scheduler/) turned into the single-file layout the SD modules load:
// UNet tensors renamed to "model.diffusion_model.<LDM name>", VAE tensors to
// "first_stage_model.<LDM name>" (the mid-block attention's Linear weights reshaped to the 1x1
// convs LDM stores, as views), text-encoder tensors kept in Hugging Face names ("text_model.*").
// Tensors keep their stored dtype (F32/F16/BF16). Every tensor of the folder must map: a name
// outside the layout's table is an error naming the tensor and its file. Shapes are checked later,
// by the modules that load the map.
// Weight files per part: see diffusers_weights.h (safetensors, fp16 variant, sharded, then .bin
// pickles through the restricted torch.save reader).
// Thread: any; reentrant (no shared state). Cost: safetensors part files are memory-mapped
// (mapSafetensors, in readDiffusersWeights), .bin files likewise by their reader: nothing is copied
// until the networks take their fp32 weights.

#include <nlohmann/json.hpp>
#include <string>

#include "core/model/sd/diffusers_configs.h"
#include "core/model/sd/weight_map.h"
#include "core/util/result.h"

namespace ns::sd {

struct DiffusersReadOptions {
  bool readUnet = true;         // false: weights holds no model.diffusion_model.* tensors
  bool readVae = true;          // false: no first_stage_model.* tensors
  bool readTextEncoder = true;  // false: textEncoder stays empty
  bool preferFp16 = false;      // pick *.fp16.safetensors when both variants are present
};

struct DiffusersFolder {
  std::string dir;
  WeightMap weights;      // "model.diffusion_model.*" and "first_stage_model.*" (LDM names)
  WeightMap textEncoder;  // "text_model.*" (Hugging Face CLIPTextModel names, as stored)
  DiffusersConfigs configs;  // parsed configs, layouts, head split, pad token; configs.probe: family,
                             // prediction, schedule (probe.totalWeightBytes: the files read)
  std::string vocabPath;     // tokenizer/vocab.json
  std::string mergesPath;    // tokenizer/merges.txt
  std::string unetFile, vaeFile, textEncoderFile;  // the weight files read, relative to dir ("" if not read)
};

Result<DiffusersFolder> readDiffusersFolder(const std::string& dir, const DiffusersReadOptions& options = {});

// Reads the config files of `dir` (required ones must exist) into texts for parseDiffusersConfigs.
Result<DiffusersConfigTexts> readDiffusersConfigTexts(const std::string& dir);

// Prefixes of the single-file layout.
inline constexpr const char* kLdmUnetPrefix = "model.diffusion_model.";
inline constexpr const char* kLdmVaePrefix = "first_stage_model.";

}  // namespace ns::sd
