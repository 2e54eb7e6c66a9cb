#pragma once
// SdDenoiser: an SdUnet behind the Denoiser interface. Image model: x_t [B,4,h,w]; a clip
// [B,4,F,h,w] is denoised frame by frame (each frame with its row's t and prompt), as the built-in
// image model does; motion modules (video UNets) are a separate Denoiser.
// Conditioning: text embeddings [B,77,D] float (SdTextConditioner's output).

#include <memory>

#include "core/model/denoiser.h"
#include "core/model/sd/sd_unet.h"

namespace ns::sd {

class SdDenoiser final : public Denoiser {
 public:
  SdDenoiser(std::shared_ptr<SdUnet> unet, DenoiserInfo info);
  const DenoiserInfo& info() const override { return m_info; }
  at::Tensor predict(const at::Tensor& x_t, const at::Tensor& t, const Conditioning& cond) override;
  SdUnet& unet() { return *m_unet; }

 private:
  std::shared_ptr<SdUnet> m_unet;
  DenoiserInfo m_info;
};

}  // namespace ns::sd
