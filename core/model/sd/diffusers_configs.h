#pragma once
// parseDiffusersConfigs: the JSON files of a diffusers Stable Diffusion 1.x/2.x folder, from their
// text, into what the loader needs: the family, prediction type and schedule (DiffusersProbe), the
// UNet/VAE name-table layouts, the attention head split and the tokenizer's pad token. Pure (no
// file access), so it is fuzzed from bytes (tests/fuzz/fuzz_diffusers_config.cpp); the folder
// reader and the probe read the files and call it.
//
// Refused by name, before any weight is touched: SDXL (model_index.json names text_encoder_2 /
// tokenizer_2, or the UNet has an addition_embed_type), SD3/Flux-style pipelines (a "transformer"
// instead of a "unet"), UNet/VAE/text-encoder classes other than Stable Diffusion 1.x/2.x's,
// explicit trained_betas, and a context size that is neither SD 1.x's 768 nor SD 2.x's 1024
// (unless the text encoder says which CLIP it is: quick_gelu is SD 1.x's, gelu SD 2.x's — small
// test models have small contexts).

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/model/sd/diffusers_probe.h"
#include "core/model/sd/diffusers_unet_names.h"
#include "core/model/sd/diffusers_vae_names.h"
#include "core/model/sd/unet_config.h"
#include "core/util/result.h"

namespace ns::sd {

// The texts of a folder's configs; `dir` only names the folder in messages. Optional files are
// nullopt when absent.
struct DiffusersConfigTexts {
  std::string dir;
  std::string modelIndex;         // model_index.json
  std::string unet;               // unet/config.json
  std::string vae;                // vae/config.json
  std::string textEncoder;        // text_encoder/config.json
  std::string scheduler;          // scheduler/scheduler_config.json
  std::optional<std::string> tokenizerConfig;   // tokenizer/tokenizer_config.json
  std::optional<std::string> specialTokensMap;  // tokenizer/special_tokens_map.json
};

struct DiffusersConfigs {
  nlohmann::json modelIndex, unet, vae, textEncoder, scheduler;
  DiffusersProbe probe;  // totalWeightBytes stays 0 here
  DiffusersUnetLayout unetLayout;
  DiffusersVaeLayout vaeLayout;
  HeadSplit heads;              // from attention_head_dim / num_attention_heads
  std::string padToken;         // the tokenizer's pad token ("<|endoftext|>" for SD 1.x, "!" for SD 2.x)
  std::string padTokenSource;   // the file that named it, or "family default"
};

Result<DiffusersConfigs> parseDiffusersConfigs(const DiffusersConfigTexts& texts);

// Relative paths of the config files, as named in messages.
inline constexpr const char* kModelIndexFile = "model_index.json";
inline constexpr const char* kUnetConfigFile = "unet/config.json";
inline constexpr const char* kVaeConfigFile = "vae/config.json";
inline constexpr const char* kTextEncoderConfigFile = "text_encoder/config.json";
inline constexpr const char* kSchedulerConfigFile = "scheduler/scheduler_config.json";
inline constexpr const char* kTokenizerConfigFile = "tokenizer/tokenizer_config.json";
inline constexpr const char* kSpecialTokensFile = "tokenizer/special_tokens_map.json";

}  // namespace ns::sd
