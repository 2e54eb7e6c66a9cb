#include "core/model/torchscript_codec.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

namespace ns {

TorchscriptCodec::TorchscriptCodec(std::shared_ptr<TorchscriptModule> encoder,
                                   std::shared_ptr<TorchscriptModule> decoder, int latentChannels, int downscale,
                                   double scale, std::string device)
    : m_encoder(std::move(encoder)),
      m_decoder(std::move(decoder)),
      m_channels(latentChannels),
      m_downscale(downscale),
      m_scale(scale),
      m_device(std::move(device)) {
  TORCH_CHECK(m_encoder && m_decoder, "TorchscriptCodec: encoder and decoder are both required");
}

at::Tensor TorchscriptCodec::encode(const at::Tensor& images) {
  c10::InferenceMode guard;
  TORCH_CHECK(images.dim() == 4 && images.size(1) == 3, m_encoder->file(), ": images must be [B,3,H,W], got ",
              images.sizes());
  at::Tensor z = m_encoder->forward({images.to(at::Device(m_device), at::kFloat)});
  TORCH_CHECK(z.dim() == 4 && z.size(1) == m_channels, m_encoder->file(), ": returned ", z.sizes(), ", expected [B,",
              m_channels, ",H/", m_downscale, ",W/", m_downscale, "]");
  return (z * m_scale).to(images.device(), images.scalar_type());
}

at::Tensor TorchscriptCodec::decode(const at::Tensor& latents) {
  c10::InferenceMode guard;
  TORCH_CHECK(latents.dim() == 4 && latents.size(1) == m_channels, m_decoder->file(), ": latents must be [B,",
              m_channels, ",h,w], got ", latents.sizes());
  at::Tensor x = m_decoder->forward({(latents.to(at::Device(m_device), at::kFloat) / m_scale)});
  TORCH_CHECK(x.dim() == 4 && x.size(1) == 3, m_decoder->file(), ": returned ", x.sizes(), ", expected [B,3,H,W]");
  return x.clamp(-1.0, 1.0).to(latents.device(), latents.scalar_type());
}

}  // namespace ns
