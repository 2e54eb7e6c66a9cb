// TinyAutoencoder: the built-in model's codec network (see builtin_nets.h).
#include <cmath>

#include "core/model/nn/builtin_nets.h"

namespace ns::nn {

TinyAutoencoderImpl::TinyAutoencoderImpl(const AutoencoderConfig& c) : m_config(c) {
  const std::string err = c.validate();
  TORCH_CHECK(err.empty(), "TinyAutoencoder config: ", err);
  const int downs = int(std::lround(std::log2(double(c.downscale))));
  // Channels double per halving, capped at 4× base (the 64² level is the expensive one).
  for (int i = 0; i <= downs; ++i) m_channels.push_back(c.baseChannels * std::min(1 << i, 4));
  const int top = m_channels.back();
  auto conv3 = [](int in, int out) { return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1)); };

  m_encIn = register_module("enc_in", conv3(3, m_channels[0]));
  int ch = m_channels[0];
  for (int i = 0; i <= downs; ++i) {
    m_encRes.push_back(register_module("enc_res" + std::to_string(i), ResBlock(ch, m_channels[i], 0, c.groups)));
    ch = m_channels[i];
    if (i < downs) m_down.push_back(register_module("enc_down" + std::to_string(i), Downsample(ch, ch)));
  }
  m_encMid = register_module("enc_mid", ResBlock(top, top, 0, c.groups));
  m_encNorm = register_module("enc_norm", torch::nn::GroupNorm(c.groups, top));
  m_encOut = register_module("enc_out", conv3(top, c.latentChannels));

  m_decIn = register_module("dec_in", conv3(c.latentChannels, top));
  m_decMid = register_module("dec_mid", ResBlock(top, top, 0, c.groups));
  ch = top;
  for (int i = downs; i >= 0; --i) {
    m_decRes.push_back(register_module("dec_res" + std::to_string(i), ResBlock(ch, m_channels[i], 0, c.groups)));
    ch = m_channels[i];
    // Upsampling also narrows to the next level's width so the full-resolution convs stay cheap.
    if (i > 0) {
      m_up.push_back(register_module("dec_up" + std::to_string(i), Upsample(ch, m_channels[i - 1])));
      ch = m_channels[i - 1];
    }
  }
  m_decNorm = register_module("dec_norm", torch::nn::GroupNorm(c.groups, ch));
  m_decOut = register_module("dec_out", conv3(ch, 3));
}

torch::Tensor TinyAutoencoderImpl::encode(torch::Tensor images) {
  TORCH_CHECK(images.dim() == 4 && images.size(1) == 3, "TinyAutoencoder: images must be [B,3,H,W], got ",
              images.sizes());
  const int d = m_config.downscale;
  TORCH_CHECK(images.size(2) % d == 0 && images.size(3) % d == 0, "TinyAutoencoder: H and W must be multiples of ",
              d, ", got ", images.sizes());
  auto h = m_encIn(images);
  for (size_t i = 0; i < m_encRes.size(); ++i) {
    h = m_encRes[i](h);
    if (i < m_down.size()) h = m_down[i](h);
  }
  h = m_encMid(h);
  return m_encOut(torch::silu(m_encNorm(h)));
}

torch::Tensor TinyAutoencoderImpl::decode(torch::Tensor latents) {
  TORCH_CHECK(latents.dim() == 4 && latents.size(1) == m_config.latentChannels, "TinyAutoencoder: latents must be [B,",
              m_config.latentChannels, ",h,w], got ", latents.sizes());
  auto h = m_decMid(m_decIn(latents));
  for (size_t i = 0; i < m_decRes.size(); ++i) {
    h = m_decRes[i](h);
    if (i < m_up.size()) h = m_up[i](h);
  }
  return m_decOut(torch::silu(m_decNorm(h)));
}

}  // namespace ns::nn
