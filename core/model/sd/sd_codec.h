#pragma once
// SdCodec: an SdVae behind the Codec interface: encode = posterior mean × scale factor (0.18215
// for SD 1.x/2.x), decode = VAE decoder(latents / scale) clamped to [-1,1]. Clips [B,C,F,h,w] are
// coded frame by frame.

#include <memory>

#include "core/model/codec.h"
#include "core/model/sd/sd_vae.h"

namespace ns::sd {

class SdCodec final : public Codec {
 public:
  SdCodec(std::shared_ptr<SdVae> vae, double scale);
  std::string name() const override { return "sd-vae"; }
  int latentChannels() const override;
  int downscale() const override;
  at::Tensor encode(const at::Tensor& images) override;
  at::Tensor decode(const at::Tensor& latents) override;
  // Per-step previews: SD's latent->RGB linear factors (the same for the SD 1.x and 2.x VAE),
  // upsampled to pixel size. No network call.
  at::Tensor previewDecode(const at::Tensor& latents) override;
  double scale() const { return m_scale; }
  SdVae& vae() { return *m_vae; }

 private:
  std::shared_ptr<SdVae> m_vae;
  double m_scale;
};

}  // namespace ns::sd
