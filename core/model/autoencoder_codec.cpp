#include "core/model/autoencoder_codec.h"

#include <c10/core/InferenceMode.h>

#include "core/model/nn/builtin_nets.h"

namespace ns {

AutoencoderCodec::AutoencoderCodec(std::shared_ptr<nn::TinyAutoencoderImpl> net, double latentScale,
                                   std::string device)
    : m_net(std::move(net)), m_scale(latentScale), m_device(std::move(device)) {
  TORCH_CHECK(m_net, "AutoencoderCodec: no network");
  TORCH_CHECK(m_scale > 0, "AutoencoderCodec: latent scale must be > 0, got ", m_scale);
  m_net->eval();
}

AutoencoderCodec::~AutoencoderCodec() = default;

int AutoencoderCodec::latentChannels() const { return m_net->config().latentChannels; }
int AutoencoderCodec::downscale() const { return m_net->config().downscale; }

at::Tensor AutoencoderCodec::encode(const at::Tensor& images) {
  c10::InferenceMode guard;
  at::Tensor z = m_net->encode(images.to(at::Device(m_device), at::kFloat)) * m_scale;
  return z.to(images.device());
}

at::Tensor AutoencoderCodec::decode(const at::Tensor& latents) {
  c10::InferenceMode guard;
  at::Tensor img = m_net->decode(latents.to(at::Device(m_device), at::kFloat) / m_scale).clamp(-1.0, 1.0);
  return img.to(latents.device());
}

}  // namespace ns
