#pragma once
// AutoencoderCodec: the built-in model's Codec, wrapping a TinyAutoencoder (torch::nn).
// encode: images [B,3,H,W] in [-1,1] -> latents × latentScale (unit-ish std);
// decode: latents / latentScale -> images clamped to [-1,1]. Both run in eval mode under
// c10::InferenceMode on the bundle's device; results come back on the input's device.
// Thread: one thread at a time (the model thread).

#include <memory>
#include <string>

#include "core/model/codec.h"

namespace ns {
namespace nn {
class TinyAutoencoderImpl;
}

class AutoencoderCodec final : public Codec {
 public:
  AutoencoderCodec(std::shared_ptr<nn::TinyAutoencoderImpl> net, double latentScale, std::string device);
  ~AutoencoderCodec() override;
  std::string name() const override { return "builtin-autoencoder"; }
  int latentChannels() const override;
  int downscale() const override;
  at::Tensor encode(const at::Tensor& images) override;
  at::Tensor decode(const at::Tensor& latents) override;
  double latentScale() const { return m_scale; }

 private:
  std::shared_ptr<nn::TinyAutoencoderImpl> m_net;
  double m_scale;
  std::string m_device;
};

}  // namespace ns
