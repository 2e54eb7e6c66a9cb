#pragma once
// SdVae: Stable Diffusion's AutoencoderKL (LDM "first_stage_model") in LibTorch C++: encoder and
// decoder of GroupNorm ResnetBlocks, a single-head attention block in the middle, quant_conv /
// post_quant_conv. Parameter names are the original LDM names (without the prefix). The raw calls
// work on UNSCALED latents; SdCodec (sd_codec.h) applies the latent scale factor.
// Thread: one thread at a time; calls run under InferenceMode.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>

#include "core/model/sd/vae_config.h"
#include "core/model/sd/weight_map.h"
#include "core/util/result.h"

namespace ns::sd {

class SdVae {
 public:
  // VAE attention weights stored as Linear [C,C] (converted files) are accepted as 1x1 convs.
  static Result<std::shared_ptr<SdVae>> create(const VaeConfig& config, const WeightMap& w, const std::string& prefix,
                                               const std::string& source);
  // A network with PyTorch's default random initialisation (seeded): full-size memory and speed
  // checks, and random-weight files of the real layout, without real weights.
  static std::shared_ptr<SdVae> createRandom(const VaeConfig& config, uint64_t seed);
  ~SdVae();

  // images [B,3,H,W] in [-1,1] -> posterior mean [B,embedDim,H/d,W/d] (unscaled).
  at::Tensor encodeMean(const at::Tensor& images);
  // unscaled latents [B,embedDim,h,w] -> decoder output [B,3,h·d,w·d], not clamped.
  at::Tensor decode(const at::Tensor& latents);
  const VaeConfig& config() const;
  int64_t parameterCount() const;
  // The weights as "prefix<LDM name>" -> fp32 CPU tensor (what a single file stores).
  WeightMap state(const std::string& prefix) const;
  void to(const std::string& device, at::ScalarType dtype);

 private:
  struct Impl;
  explicit SdVae(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m;
};

}  // namespace ns::sd
