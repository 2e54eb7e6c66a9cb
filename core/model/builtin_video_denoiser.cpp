#include "core/model/builtin_video_denoiser.h"

#include <c10/core/InferenceMode.h>

#include "core/model/nn/builtin_nets.h"
#include "core/model/sd/motion_module.h"

namespace ns {

at::Tensor forwardBuiltinVideo(nn::BuiltinUNetImpl& unet, const sd::MotionModules& motion, const at::Tensor& x,
                               const at::Tensor& t, const at::Tensor& tokens) {
  TORCH_CHECK(x.dim() == 5, "built-in video UNet: x must be [B,C,F,h,w], got ", x.sizes());
  const int64_t b = x.size(0), c = x.size(1), f = x.size(2), h = x.size(3), w = x.size(4);
  TORCH_CHECK(f >= 1 && f <= motion.config().maxFrames, "built-in video UNet: ", f,
              " frames in one window, but the motion module's position table covers ", motion.config().maxFrames);
  TORCH_CHECK(t.dim() == 1 && t.size(0) == b, "built-in video UNet: t must be [B] with B = ", b, ", got ", t.sizes());
  TORCH_CHECK(tokens.dim() == 2 && tokens.size(0) == b, "built-in video UNet: tokens must be [B,L] with B = ", b,
              ", got ", tokens.sizes());
  // (b f) frame-major, as AnimateDiff's "b c f h w -> (b f) c h w" and MotionModules::apply expect.
  const at::Tensor frames = x.permute({0, 2, 1, 3, 4}).reshape({b * f, c, h, w});
  const nn::BuiltinUNetImpl::SiteHook temporal = [&motion, f](const sd::UnetSite& site, const torch::Tensor& hidden) {
    return motion.apply(site, hidden, f);
  };
  const at::Tensor out = unet.forward(frames, t.repeat_interleave(f), tokens.repeat_interleave(f, 0), temporal);
  return out.reshape({b, f, out.size(1), h, w}).permute({0, 2, 1, 3, 4}).contiguous();
}

BuiltinVideoDenoiser::BuiltinVideoDenoiser(std::shared_ptr<nn::BuiltinUNetImpl> net,
                                           std::shared_ptr<sd::MotionModules> motion, DenoiserInfo info,
                                           std::string device)
    : m_net(std::move(net)), m_motion(std::move(motion)), m_info(std::move(info)), m_device(std::move(device)) {
  TORCH_CHECK(m_net && m_motion, "BuiltinVideoDenoiser: no UNet or no motion modules");
  m_net->eval();
  m_info.isVideo = true;
}

BuiltinVideoDenoiser::~BuiltinVideoDenoiser() = default;

int64_t BuiltinVideoDenoiser::maxFrames() const { return m_motion->config().maxFrames; }

at::Tensor BuiltinVideoDenoiser::predict(const at::Tensor& x_t, const at::Tensor& t, const Conditioning& cond) {
  TORCH_CHECK(x_t.dim() == 4 || x_t.dim() == 5, "BuiltinVideoDenoiser: x_t must be [B,C,F,h,w] or [B,C,h,w], got ",
              x_t.sizes());
  if (x_t.dim() == 4) return predict(x_t.unsqueeze(2), t, cond).squeeze(2);
  return predictWindow(x_t, t, cond, 0, x_t.size(2));
}

at::Tensor BuiltinVideoDenoiser::predictWindow(const at::Tensor& x_t, const at::Tensor& t, const Conditioning& cond,
                                               int64_t start, int64_t length) {
  c10::InferenceMode guard;
  TORCH_CHECK(x_t.dim() == 5, "BuiltinVideoDenoiser: x_t must be [B,C,F,h,w], got ", x_t.sizes());
  TORCH_CHECK(x_t.size(1) == m_info.channels, "BuiltinVideoDenoiser: x_t has ", x_t.size(1),
              " channels, the model takes ", m_info.channels);
  TORCH_CHECK(start >= 0 && length >= 1 && start + length <= x_t.size(2), "BuiltinVideoDenoiser: window [", start,
              ", ", start + length, ") is outside the clip's ", x_t.size(2), " frames");
  TORCH_CHECK(length <= maxFrames(), "BuiltinVideoDenoiser: a window of ", length,
              " frames is longer than the motion module's ", maxFrames(),
              " (denoise longer clips in context windows)");
  TORCH_CHECK(cond.context.defined() && cond.context.dim() == 2 && !cond.context.is_floating_point(),
              "BuiltinVideoDenoiser: conditioning must be token ids [B,L] (int64)");
  const int64_t b = x_t.size(0);
  TORCH_CHECK(cond.batch() == b || cond.batch() == 1, "BuiltinVideoDenoiser: conditioning batch ", cond.batch(),
              " does not match x_t batch ", b);
  const at::Device device(m_device);
  at::Tensor tokens = cond.context.to(device, at::kLong);
  if (tokens.size(0) != b) tokens = tokens.expand({b, tokens.size(1)});
  at::Tensor steps = t.to(device, at::kLong).reshape({-1});
  if (steps.numel() == 1 && b > 1) steps = steps.expand({b});
  TORCH_CHECK(steps.size(0) == b, "BuiltinVideoDenoiser: t has ", steps.size(0), " entries for batch ", b);
  const at::Tensor x = x_t.narrow(2, start, length).to(device, at::kFloat);
  return forwardBuiltinVideo(*m_net, *m_motion, x, steps, tokens).to(x_t.device(), x_t.scalar_type());
}

}  // namespace ns
