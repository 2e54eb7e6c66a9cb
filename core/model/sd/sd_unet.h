#pragma once
// SdUnet: the latent-diffusion UNet of Stable Diffusion 1.x/2.x (CompVis/Stability "openaimodel"
// UNetModel) in LibTorch C++: ResBlocks with GroupNorm and a timestep embedding, SpatialTransformers
// with self- and cross-attention and a GEGLU feed-forward (conv or linear proj_in/proj_out),
// Downsample/Upsample. Parameter names are the original LDM names, so a single-file checkpoint
// loads by name; the configuration comes from the weights (UnetConfig).
//
// Differences from the reference, on purpose: attention is chunked (sd_attention.h) to bound memory,
// and an Upsample resizes to the size of the skip it is concatenated with (as diffusers does), so
// latents need not be multiples of 2^(levels-1): any multiple of 8 px works.
// Thread: one thread at a time (the model thread); forward runs under InferenceMode.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/model/sd/unet_config.h"
#include "core/model/sd/unet_site.h"
#include "core/model/sd/weight_map.h"
#include "core/util/result.h"

namespace ns::sd {

class SdUnet {
 public:
  // Builds the network for `config` and copies the weights "prefix<name>" from `w` (converting to
  // fp32 once). Fails, naming `source` and the tensor, when a tensor is missing or misshaped.
  static Result<std::shared_ptr<SdUnet>> create(const UnetConfig& config, const WeightMap& w,
                                                const std::string& prefix, const std::string& source);
  // A network with PyTorch's default random initialisation (seeded): full-size memory and speed
  // checks, and random-weight files of the real layout, without real weights.
  static std::shared_ptr<SdUnet> createRandom(const UnetConfig& config, uint64_t seed);
  ~SdUnet();

  // x [B,C,h,w] float, t [B] int64 (or one value), context [B,L,D] float -> [B,outC,h,w].
  at::Tensor forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor& context);
  // The same with a layer inserted at every UnetSite (AnimateDiff's motion modules, frames folded
  // into the batch): atSite(site, h) gets the hidden state [B,C,h',w'] there and returns what the
  // network continues with. Called for every site in order, down, mid, up.
  using SiteHook = std::function<at::Tensor(const UnetSite& site, const at::Tensor& h)>;
  at::Tensor forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor& context, const SiteHook& atSite);
  const UnetConfig& config() const;
  int64_t parameterCount() const;
  // The weights as "prefix<LDM name>" -> fp32 CPU tensor (what a single file stores).
  WeightMap state(const std::string& prefix) const;
  // Moves the weights (e.g. "cuda", and kHalf there); inputs are moved to match in forward.
  void to(const std::string& device, at::ScalarType dtype);

 private:
  struct Impl;
  explicit SdUnet(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m;
};

}  // namespace ns::sd
