#include "core/model/sd/sd_checkpoint.h"

#include <ATen/ATen.h>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "core/model/checkpoint/torch_checkpoint.h"
#include "core/model/safetensors.h"
#include "core/model/sd/diffusers_folder.h"
#include "core/model/sd/open_clip_names.h"

namespace ns::sd {

namespace {

bool startsWith(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

bool anyKeyStartsWith(const WeightMap& w, const std::string& prefix) {
  auto it = w.lower_bound(prefix);
  return it != w.end() && startsWith(it->first, prefix);
}

Error refuse(const std::string& src, const std::string& what) {
  return makeError(ErrorKind::Model, src + ": " + what);
}

std::string lowerExtension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (auto& c : ext) c = char(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

}  // namespace

std::string storageDtypeName(const at::Tensor& t) {
  switch (t.scalar_type()) {
    case at::kHalf: return "F16";
    case at::kBFloat16: return "BF16";
    case at::kFloat: return "F32";
    case at::kDouble: return "F64";
    case at::kLong: return "I64";
    case at::kInt: return "I32";
    default: return std::string(c10::toString(t.scalar_type()));
  }
}

Result<SdFamily> detectSdFamily(const WeightMap& w, const std::string& src) {
  // The keys diffusers' single-file loader checks, and the other families' telltale prefixes.
  if (anyKeyStartsWith(w, "conditioner.embedders."))
    return refuse(src, "this is an SDXL checkpoint (conditioner.embedders.*); SDXL is not supported yet — "
                       "NoiseStudio runs Stable Diffusion 1.x and 2.x");
  if (anyKeyStartsWith(w, "model.diffusion_model.joint_blocks.") || anyKeyStartsWith(w, "joint_blocks."))
    return refuse(src, "this is a Stable Diffusion 3 checkpoint (joint_blocks.*); SD3 is not supported yet");
  if (anyKeyStartsWith(w, "double_blocks.") || anyKeyStartsWith(w, "model.diffusion_model.double_blocks."))
    return refuse(src, "this is a Flux checkpoint (double_blocks.*); Flux is not supported yet");
  const std::string convIn = kUnetPrefix + "input_blocks.0.0.weight";
  auto ci = w.find(convIn);
  if (ci == w.end()) {
    if (anyKeyStartsWith(w, "down_blocks.") || anyKeyStartsWith(w, "motion_modules."))
      return refuse(src, "holds diffusers-named UNet or motion-module tensors, not a full Stable Diffusion checkpoint "
                         "(load a diffusers model as its folder)");
    return refuse(src, "not a Stable Diffusion checkpoint: tensor '" + convIn + "' is missing");
  }
  if (ci->second.dim() == 4 && ci->second.size(1) != 4)
    return refuse(src, "the UNet takes " + std::to_string(ci->second.size(1)) +
                           " input channels (an inpainting or depth model); only text-to-image UNets (4) are supported yet");
  if (anyKeyStartsWith(w, "cond_stage_model.transformer.")) return SdFamily::Sd1;
  if (anyKeyStartsWith(w, "cond_stage_model.model.")) return SdFamily::Sd2;
  // No text tower in the file: decide by the cross-attention width.
  for (const auto& [k, t] : w) {
    if (startsWith(k, kUnetPrefix) && k.find("attn2.to_k.weight") != std::string::npos) {
      if (t.size(1) == 768) return SdFamily::Sd1;
      if (t.size(1) == 1024) return SdFamily::Sd2;
      return refuse(src, "cross-attention width " + std::to_string(t.size(1)) + " is neither SD 1.x (768) nor SD 2.x (1024)");
    }
  }
  return refuse(src, "the UNet has no cross-attention layers; not a text-to-image Stable Diffusion model");
}

Result<SdCheckpoint> sortSingleFileWeights(WeightMap all, const std::map<std::string, std::string>& metadata,
                                           const std::string& src, const std::string& layout) {
  auto family = detectSdFamily(all, src);
  if (!family.ok()) return family.error();
  SdCheckpoint c;
  c.source = src;
  c.layout = layout;
  c.family = *family;
  WeightMap openClip;
  const std::string sd1Text = "cond_stage_model.transformer.", sd2Text = "cond_stage_model.model.";
  for (auto& [k, t] : all) {
    if (t.is_floating_point()) c.storageDtypes[storageDtypeName(t)]++;
    if (startsWith(k, kUnetPrefix) || startsWith(k, kVaePrefix)) {
      c.weights.emplace(k, std::move(t));
    } else if (startsWith(k, sd1Text)) {
      std::string rest = k.substr(sd1Text.size());
      // Files from transformers < 4.x name the tower without "text_model.".
      if (!startsWith(rest, "text_model.")) rest = "text_model." + rest;
      c.text.emplace(rest, std::move(t));
    } else if (startsWith(k, sd2Text)) {
      openClip.emplace(k.substr(sd2Text.size()), std::move(t));
    }
    // Everything else (model_ema.*, alphas_cumprod and the other schedule buffers, optimizer
    // state, lora leftovers) is not needed to run the model.
  }
  if (!openClip.empty()) {
    auto hf = openClipToHf(openClip, src);
    if (!hf.ok()) return hf.error();
    c.text = std::move(*hf);
  }
  if (c.family == SdFamily::Sd1) {
    c.textActivation = ClipTextConfig::Activation::QuickGelu;
    c.textSkipLastLayers = 0;
    c.unetHeads.heads = 8;
    c.prediction = PredictionType::Epsilon;
  } else {
    c.textActivation = ClipTextConfig::Activation::Gelu;
    c.textSkipLastLayers = 1;  // FrozenOpenCLIPEmbedder(layer="penultimate")
    c.padWithZero = true;      // open_clip.tokenize
    c.unetHeads.headDim = 64;
    // 512-base (ε) and 768-v (v) share one layout: only metadata or a test forward tells them apart.
  }
  for (const char* key : {"modelspec.prediction_type", "prediction_type"}) {
    auto it = metadata.find(key);
    if (it == metadata.end()) continue;
    if (it->second == "v" || it->second == "v_prediction") c.prediction = PredictionType::VPrediction;
    else if (it->second == "epsilon" || it->second == "eps") c.prediction = PredictionType::Epsilon;
  }
  return c;
}

Result<SdCheckpoint> readSdSingleFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return makeError(ErrorKind::BadInput, path + ": file not found");
  const uint64_t bytes = std::filesystem::file_size(path, ec);
  const std::string ext = lowerExtension(path);
  Result<SdCheckpoint> out = makeError(ErrorKind::Internal, "unset");
  if (ext == ".safetensors") {
    auto file = mapSafetensors(path);
    if (!file.ok()) return file.error();
    out = sortSingleFileWeights(std::move(file->tensors), file->metadata, path, "safetensors");
  } else if (ext == ".ckpt" || ext == ".pt" || ext == ".pth") {
    auto w = readTorchCheckpoint(path);  // restricted unpickler: nothing in the file runs
    if (!w.ok()) return w.error();
    out = sortSingleFileWeights(std::move(*w), {}, path, "ckpt");
  } else {
    return makeError(ErrorKind::BadInput, path + ": not a checkpoint file (expected .safetensors, .ckpt or .pt)");
  }
  if (out.ok()) out->fileBytes = bytes;
  return out;
}

Result<SdCheckpoint> readSdDiffusersFolder(const std::string& dir) {
  auto f = readDiffusersFolder(dir);
  if (!f.ok()) return f.error();
  const DiffusersConfigs& cfg = f->configs;
  SdCheckpoint c;
  c.source = dir;
  c.layout = "diffusers";
  c.family = cfg.probe.family;
  c.weights = std::move(f->weights);
  c.text = std::move(f->textEncoder);
  for (const WeightMap* w : {&c.weights, &c.text})
    for (const auto& [k, t] : *w)
      if (t.is_floating_point()) c.storageDtypes[storageDtypeName(t)]++;
  // A diffusers text_encoder says its activation; its SD 2.x tower already stops at the
  // penultimate layer (23 blocks), so nothing is skipped.
  const std::string act = cfg.textEncoder.is_object() ? cfg.textEncoder.value("hidden_act", std::string()) : "";
  c.textActivation = activationFromName(act);
  if (c.textActivation == ClipTextConfig::Activation::Invalid)
    c.textActivation = c.family == SdFamily::Sd2 ? ClipTextConfig::Activation::Gelu : ClipTextConfig::Activation::QuickGelu;
  c.textSkipLastLayers = 0;
  if (cfg.textEncoder.is_object()) {
    const auto it = cfg.textEncoder.find("num_attention_heads");
    if (it != cfg.textEncoder.end() && it->is_number_integer() && it->get<int64_t>() > 0 && it->get<int64_t>() <= 1024)
      c.textHeads = it->get<int64_t>();
  }
  c.unetHeads = cfg.heads;
  c.prediction = cfg.probe.prediction;
  c.schedule = cfg.probe.schedule;
  c.latentScale = cfg.probe.vaeScale;
  c.vocabJson = f->vocabPath;
  c.mergesTxt = f->mergesPath;
  c.padWithZero = cfg.padToken == "!";
  std::error_code ec;
  for (const std::string& rel : {f->unetFile, f->vaeFile, f->textEncoderFile})
    if (!rel.empty()) c.fileBytes += std::filesystem::file_size(std::filesystem::path(dir) / rel, ec);
  return c;
}

}  // namespace ns::sd
