#include "core/model/sd/sd_denoiser.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

namespace ns::sd {

SdDenoiser::SdDenoiser(std::shared_ptr<SdUnet> unet, DenoiserInfo info)
    : m_unet(std::move(unet)), m_info(std::move(info)) {
  TORCH_CHECK(m_unet, "SdDenoiser: no UNet");
}

at::Tensor SdDenoiser::predict(const at::Tensor& x_t, const at::Tensor& t, const Conditioning& cond) {
  c10::InferenceMode guard;
  TORCH_CHECK(x_t.dim() == 4 || x_t.dim() == 5, "SdDenoiser: x_t must be [B,C,h,w] or [B,C,F,h,w], got ", x_t.sizes());
  TORCH_CHECK(cond.context.defined() && cond.context.dim() == 3 && cond.context.is_floating_point(),
              "SdDenoiser: conditioning must be text embeddings [B,L,D] (float)");
  const int64_t b = x_t.size(0);
  TORCH_CHECK(cond.batch() == b || cond.batch() == 1, "SdDenoiser: conditioning batch ", cond.batch(),
              " does not match x_t batch ", b);
  at::Tensor steps = t.to(at::kLong).reshape({-1});
  if (steps.numel() == 1 && b > 1) steps = steps.expand({b});
  at::Tensor ctx = cond.context;
  if (ctx.size(0) != b) ctx = ctx.expand({b, ctx.size(1), ctx.size(2)});
  if (x_t.dim() == 4) return m_unet->forward(x_t, steps, ctx);
  const int64_t c = x_t.size(1), f = x_t.size(2), h = x_t.size(3), w = x_t.size(4);
  at::Tensor frames = x_t.permute({0, 2, 1, 3, 4}).reshape({b * f, c, h, w});
  at::Tensor out = m_unet->forward(frames, steps.repeat_interleave(f), ctx.repeat_interleave(f, 0));
  return out.reshape({b, f, c, h, w}).permute({0, 2, 1, 3, 4}).contiguous();
}

}  // namespace ns::sd
