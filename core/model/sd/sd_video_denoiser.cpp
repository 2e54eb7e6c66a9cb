#include "core/model/sd/sd_video_denoiser.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

namespace ns::sd {

at::Tensor forwardVideo(SdUnet& unet, const MotionModules& motion, const at::Tensor& x, const at::Tensor& t,
                        const at::Tensor& context) {
  c10::InferenceMode guard;
  TORCH_CHECK(x.dim() == 5, "video UNet: x must be [B,C,F,h,w], got ", x.sizes());
  const int64_t b = x.size(0), c = x.size(1), f = x.size(2), h = x.size(3), w = x.size(4);
  TORCH_CHECK(f >= 1 && f <= motion.config().maxFrames, "video UNet: ", f,
              " frames in one window, but the motion module's position table covers ", motion.config().maxFrames);
  at::Tensor steps = t.to(at::kLong).reshape({-1});
  if (steps.numel() == 1 && b > 1) steps = steps.expand({b});
  TORCH_CHECK(steps.size(0) == b, "video UNet: t has ", steps.size(0), " entries for batch ", b);
  at::Tensor ctx = context;
  if (ctx.dim() == 3 && ctx.size(0) == 1 && b > 1) ctx = ctx.expand({b, ctx.size(1), ctx.size(2)});
  TORCH_CHECK(ctx.dim() == 3 && ctx.size(0) == b, "video UNet: context must be [B,L,D] with B = ", b, ", got ",
              ctx.sizes());
  // (b f) frame-major order, as AnimateDiff's rearrange "b c f h w -> (b f) c h w".
  at::Tensor frames = x.permute({0, 2, 1, 3, 4}).reshape({b * f, c, h, w});
  SdUnet::SiteHook temporal = [&motion, f](const UnetSite& site, const at::Tensor& hidden) {
    return motion.apply(site, hidden, f);
  };
  at::Tensor out = unet.forward(frames, steps.repeat_interleave(f), ctx.repeat_interleave(f, 0), temporal);
  return out.reshape({b, f, out.size(1), h, w}).permute({0, 2, 1, 3, 4}).contiguous();
}

SdVideoDenoiser::SdVideoDenoiser(std::shared_ptr<SdUnet> unet, std::shared_ptr<MotionModules> motion, DenoiserInfo info)
    : m_unet(std::move(unet)), m_motion(std::move(motion)), m_info(std::move(info)) {
  TORCH_CHECK(m_unet && m_motion, "SdVideoDenoiser: no UNet or no motion modules");
  m_info.isVideo = true;
}

int64_t SdVideoDenoiser::maxFrames() const { return m_motion->config().maxFrames; }

at::Tensor SdVideoDenoiser::predict(const at::Tensor& x_t, const at::Tensor& t, const Conditioning& cond) {
  TORCH_CHECK(x_t.dim() == 4 || x_t.dim() == 5, "SdVideoDenoiser: x_t must be [B,C,F,h,w] or [B,C,h,w], got ",
              x_t.sizes());
  if (x_t.dim() == 4) return predict(x_t.unsqueeze(2), t, cond).squeeze(2);
  return predictWindow(x_t, t, cond, 0, x_t.size(2));
}

at::Tensor SdVideoDenoiser::predictWindow(const at::Tensor& x_t, const at::Tensor& t, const Conditioning& cond,
                                          int64_t start, int64_t length) {
  TORCH_CHECK(x_t.dim() == 5, "SdVideoDenoiser: x_t must be [B,C,F,h,w], got ", x_t.sizes());
  TORCH_CHECK(start >= 0 && length >= 1 && start + length <= x_t.size(2), "SdVideoDenoiser: window [", start, ", ",
              start + length, ") is outside the clip's ", x_t.size(2), " frames");
  TORCH_CHECK(length <= maxFrames(), "SdVideoDenoiser: a window of ", length,
              " frames is longer than the motion module's ", maxFrames(),
              " (denoise longer clips in context windows)");
  TORCH_CHECK(cond.context.defined() && cond.context.dim() == 3 && cond.context.is_floating_point(),
              "SdVideoDenoiser: conditioning must be text embeddings [B,L,D] (float)");
  const int64_t b = x_t.size(0);
  TORCH_CHECK(cond.batch() == b || cond.batch() == 1, "SdVideoDenoiser: conditioning batch ", cond.batch(),
              " does not match x_t batch ", b);
  return forwardVideo(*m_unet, *m_motion, x_t.narrow(2, start, length), t, cond.context);
}

}  // namespace ns::sd
