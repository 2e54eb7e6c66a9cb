#include "core/model/sd/sd_codec.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <functional>

namespace ns::sd {

namespace {
// Applies an image-level function to [B,C,H,W] or, frame by frame, to [B,C,F,H,W].
at::Tensor perFrame(const at::Tensor& x, const std::function<at::Tensor(const at::Tensor&)>& f) {
  if (x.dim() == 4) return f(x);
  TORCH_CHECK(x.dim() == 5, "SdCodec: expected [B,C,H,W] or [B,C,F,H,W], got ", x.sizes());
  const int64_t b = x.size(0), fr = x.size(2);
  at::Tensor flat = x.permute({0, 2, 1, 3, 4}).reshape({b * fr, x.size(1), x.size(3), x.size(4)});
  at::Tensor y = f(flat);
  return y.reshape({b, fr, y.size(1), y.size(2), y.size(3)}).permute({0, 2, 1, 3, 4}).contiguous();
}
}  // namespace

SdCodec::SdCodec(std::shared_ptr<SdVae> vae, double scale) : m_vae(std::move(vae)), m_scale(scale) {
  TORCH_CHECK(m_vae, "SdCodec: no VAE");
  TORCH_CHECK(m_scale > 0, "SdCodec: latent scale must be > 0, got ", m_scale);
}

int SdCodec::latentChannels() const { return m_vae->config().embedDim; }
int SdCodec::downscale() const { return m_vae->config().downscale(); }

at::Tensor SdCodec::encode(const at::Tensor& images) {
  c10::InferenceMode guard;
  return perFrame(images, [&](const at::Tensor& x) { return m_vae->encodeMean(x.to(at::kFloat)) * m_scale; });
}

at::Tensor SdCodec::decode(const at::Tensor& latents) {
  c10::InferenceMode guard;
  return perFrame(latents,
                  [&](const at::Tensor& z) { return m_vae->decode(z.to(at::kFloat) / m_scale).clamp(-1.0, 1.0); });
}

}  // namespace ns::sd
