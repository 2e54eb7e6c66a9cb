#pragma once
// Codec: pixels <-> the space the denoiser works in (a VAE for latent models, IdentityCodec for
// pixel models). Images are [B,3,H,W] float in [-1,1]. Same threading contract as Denoiser.

#include <ATen/core/Tensor.h>

#include <string>

namespace ns {

class Codec {
 public:
  virtual ~Codec() = default;
  virtual std::string name() const = 0;
  virtual int latentChannels() const = 0;
  virtual int downscale() const = 0;  // pixel size / latent size (1 for identity, 4 for the built-in AE)
  // [B,3,H,W] in [-1,1] -> [B,C,H/d,W/d], already multiplied by the latent scale (unit-ish std).
  virtual at::Tensor encode(const at::Tensor& images) = 0;
  // Inverse of encode; output clamped to [-1,1].
  virtual at::Tensor decode(const at::Tensor& latents) = 0;
  // A cheap picture of latents for per-step previews (same shape as decode's output); the exact
  // decode unless a codec knows better: an SD VAE decode at 512² takes seconds on a CPU, its
  // linear latent->RGB projection microseconds.
  virtual at::Tensor previewDecode(const at::Tensor& latents) { return decode(latents); }
};

// Pixel-space models: encode/decode are the identity (decode clamps to [-1,1]).
class IdentityCodec final : public Codec {
 public:
  std::string name() const override { return "identity"; }
  int latentChannels() const override { return 3; }
  int downscale() const override { return 1; }
  at::Tensor encode(const at::Tensor& images) override;
  at::Tensor decode(const at::Tensor& latents) override;
};

}  // namespace ns
