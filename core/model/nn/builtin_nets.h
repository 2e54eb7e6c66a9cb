#pragma once
// The built-in model's networks (torch::nn, defined in C++; weights in safetensors).
// Heavy header (torch/torch.h): include it only from .cpp files that run or train the modules
// and from app/train. Everything else uses the Denoiser/Codec/Verifier interfaces.
// Parameter and buffer names are the safetensors keys (after the "unet."/"autoencoder."/
// "classifier." prefix): renaming a member breaks shipped weights.
// Threads: a module instance is used by one thread at a time.

#include <torch/torch.h>

#include <functional>

#include "core/model/nn/blocks.h"
#include "core/model/nn/net_configs.h"
#include "core/model/sd/unet_site.h"

namespace ns::nn {

// Conditional UNet (ε-prediction): residual blocks with GroupNorm, sinusoidal time embedding ->
// MLP, token embeddings (+ learned positions, one self-attention layer) -> cross-attention at
// config().attnLevels and in the middle, mean-pooled text added to the time embedding.
class BuiltinUNetImpl : public torch::nn::Module {
 public:
  // Called with the hidden state at every motion-module site (core/model/sd/unet_site.h names, as
  // for SD: after each ResBlock(+attention) of a level on the way down; after the middle attention;
  // after each ResBlock(+attention) of up block i = levels-1-level, before its Upsample) and
  // returns what the network continues with. How a video model inserts its temporal layers.
  using SiteHook = std::function<torch::Tensor(const ns::sd::UnetSite& site, const torch::Tensor& h)>;
  explicit BuiltinUNetImpl(const UNetConfig& c);  // throws c10::Error if c.validate() fails
  // x [B,C,H,W] (H, W multiples of 2^(levels-1)); t [B] int64 (or one value for all rows);
  // tokens [B,L] int64, L <= maxTokens, 0 = padding (an all-0 row is the unconditional prompt).
  // Without a hook this is the image model (the same operations, bit for bit).
  torch::Tensor forward(torch::Tensor x, torch::Tensor t, torch::Tensor tokens, const SiteHook& atSite = {});
  const UNetConfig& config() const { return m_config; }

 private:
  torch::Tensor encodeText(const torch::Tensor& tokens, torch::Tensor* pooled);
  UNetConfig m_config;
  torch::nn::Embedding m_tokenEmb{nullptr};
  torch::Tensor m_tokenPos;
  TokenBlock m_textBlock{nullptr};
  torch::nn::Linear m_pooled{nullptr}, m_time1{nullptr}, m_time2{nullptr};
  torch::nn::Conv2d m_convIn{nullptr}, m_convOut{nullptr};
  torch::nn::GroupNorm m_normOut{nullptr};
  std::vector<ResBlock> m_encRes, m_decRes;
  std::vector<SpatialTransformer> m_encAttn, m_decAttn;  // nullptr entries where a level has none
  std::vector<Downsample> m_down;
  std::vector<Upsample> m_up;
  ResBlock m_midRes1{nullptr}, m_midRes2{nullptr};
  SpatialTransformer m_midAttn{nullptr};
};
TORCH_MODULE(BuiltinUNet);  // the Denoiser wrapper is ns::BuiltinDenoiser

// Tiny convolutional autoencoder (residual blocks, GroupNorm, SiLU): images [B,3,H,W] in [-1,1]
// <-> latents [B,latentChannels,H/d,W/d]. Latents are UNSCALED here (the codec applies latentScale).
class TinyAutoencoderImpl : public torch::nn::Module {
 public:
  explicit TinyAutoencoderImpl(const AutoencoderConfig& c);
  torch::Tensor encode(torch::Tensor images);
  torch::Tensor decode(torch::Tensor latents);  // not clamped
  torch::Tensor forward(torch::Tensor images) { return decode(encode(images)); }
  const AutoencoderConfig& config() const { return m_config; }

 private:
  AutoencoderConfig m_config;
  std::vector<int> m_channels;  // per resolution level
  torch::nn::Conv2d m_encIn{nullptr}, m_encOut{nullptr}, m_decIn{nullptr}, m_decOut{nullptr};
  torch::nn::GroupNorm m_encNorm{nullptr}, m_decNorm{nullptr};
  std::vector<ResBlock> m_encRes, m_decRes;
  std::vector<Downsample> m_down;
  std::vector<Upsample> m_up;
  ResBlock m_encMid{nullptr}, m_decMid{nullptr};
};
TORCH_MODULE(TinyAutoencoder);

struct ClassifierOutput {
  torch::Tensor colourLogits, shapeLogits, backgroundLogits;
  torch::Tensor features;  // [B,featureDim], for Fréchet distances
};

// Small CNN on 64×64 images (other sizes are resized to 64 bilinearly): colour + shape of the
// (main) object and the background.
class ShapesClassifierImpl : public torch::nn::Module {
 public:
  explicit ShapesClassifierImpl(const ClassifierConfig& c);
  ClassifierOutput forward(torch::Tensor images);  // images [B,3,H,W] in [-1,1]
  const ClassifierConfig& config() const { return m_config; }

 private:
  ClassifierConfig m_config;
  torch::nn::Sequential m_trunk{nullptr};
  torch::nn::Linear m_feature{nullptr}, m_colour{nullptr}, m_shape{nullptr}, m_background{nullptr};
};
TORCH_MODULE(ShapesClassifier);

}  // namespace ns::nn
