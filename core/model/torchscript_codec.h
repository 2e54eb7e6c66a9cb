#pragma once
// TorchscriptCodec: a model pack's VAE (vae_encoder.pt, vae_decoder.pt) behind the Codec
// interface. The encoder maps images [B,3,H,W] in [-1,1] to unscaled latents [B,C,H/d,W/d]; the
// decoder inverts it. This class applies model.json latent.scale (encode multiplies, decode
// divides) and clamps decoded images to [-1,1]. Same thread contract as Codec.

#include <memory>
#include <string>

#include "core/model/codec.h"
#include "core/model/torchscript_module.h"

namespace ns {

class TorchscriptCodec final : public Codec {
 public:
  TorchscriptCodec(std::shared_ptr<TorchscriptModule> encoder, std::shared_ptr<TorchscriptModule> decoder,
                   int latentChannels, int downscale, double scale, std::string device);
  std::string name() const override { return "torchscript-vae"; }
  int latentChannels() const override { return m_channels; }
  int downscale() const override { return m_downscale; }
  at::Tensor encode(const at::Tensor& images) override;
  at::Tensor decode(const at::Tensor& latents) override;

 private:
  std::shared_ptr<TorchscriptModule> m_encoder;
  std::shared_ptr<TorchscriptModule> m_decoder;
  int m_channels;
  int m_downscale;
  double m_scale;
  std::string m_device;
};

}  // namespace ns
