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

at::Tensor SdCodec::previewDecode(const at::Tensor& latents) {
  c10::InferenceMode guard;
  // Least-squares fit of RGB in [-1,1] from the 4 scaled latent channels of the SD VAE, as widely
  // used for SD 1.x/2.x previews (ComfyUI's SD15 latent_rgb_factors).
  static const float kFactors[4][3] = {
      {0.3512f, 0.2297f, 0.3227f}, {0.3250f, 0.4974f, 0.2350f}, {-0.2829f, 0.1762f, 0.2721f}, {-0.2120f, -0.2616f, -0.7177f}};
  if (latentChannels() != 4) return decode(latents);
  const at::Tensor f = at::from_blob(const_cast<float*>(&kFactors[0][0]), {4, 3}).clone().to(latents.device());
  const int d = downscale();
  return perFrame(latents, [&](const at::Tensor& z) {
    at::Tensor rgb = at::einsum("bchw,ck->bkhw", {z.to(at::kFloat), f});
    return at::upsample_bilinear2d(rgb, {z.size(2) * d, z.size(3) * d}, false).clamp(-1.0, 1.0);
  });
}

}  // namespace ns::sd
