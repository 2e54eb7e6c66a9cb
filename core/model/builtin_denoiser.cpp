#include "core/model/builtin_denoiser.h"

#include <c10/core/InferenceMode.h>

#include "core/model/nn/builtin_nets.h"

namespace ns {

BuiltinDenoiser::BuiltinDenoiser(std::shared_ptr<nn::BuiltinUNetImpl> net, DenoiserInfo info, std::string device)
    : m_net(std::move(net)), m_info(std::move(info)), m_device(std::move(device)) {
  TORCH_CHECK(m_net, "BuiltinDenoiser: no network");
  m_net->eval();
}

BuiltinDenoiser::~BuiltinDenoiser() = default;

at::Tensor BuiltinDenoiser::predict(const at::Tensor& x_t, const at::Tensor& t, const Conditioning& cond) {
  c10::InferenceMode guard;
  TORCH_CHECK(x_t.dim() == 4 || x_t.dim() == 5, "BuiltinDenoiser: x_t must be [B,C,H,W] or [B,C,F,H,W], got ",
              x_t.sizes());
  TORCH_CHECK(x_t.size(1) == m_info.channels, "BuiltinDenoiser: x_t has ", x_t.size(1), " channels, the model takes ",
              m_info.channels);
  const int64_t b = x_t.size(0);
  TORCH_CHECK(cond.context.defined(), "BuiltinDenoiser: conditioning is empty (use TextConditioner::encode)");
  TORCH_CHECK(cond.context.dim() == 2 && !cond.context.is_floating_point(),
              "BuiltinDenoiser: conditioning must be token ids [B,L] (int64), got ", cond.context.sizes(), " ",
              cond.context.scalar_type());
  TORCH_CHECK(cond.batch() == b || cond.batch() == 1, "BuiltinDenoiser: conditioning batch ", cond.batch(),
              " does not match x_t batch ", b);
  const at::Device device(m_device);
  at::Tensor tokens = cond.context.to(device, at::kLong);
  if (tokens.size(0) != b) tokens = tokens.expand({b, tokens.size(1)});
  at::Tensor steps = t.to(device, at::kLong).reshape({-1});
  if (steps.numel() == 1 && b > 1) steps = steps.expand({b});
  TORCH_CHECK(steps.size(0) == b, "BuiltinDenoiser: t has ", steps.size(0), " entries for batch ", b);

  at::Tensor x = x_t.to(device, at::kFloat);
  if (x_t.dim() == 4) return m_net->forward(x, steps, tokens).to(x_t.device(), x_t.scalar_type());
  // Video: [B,C,F,H,W] -> [B·F,C,H,W]; each frame is denoised as an image with its row's t and prompt.
  const int64_t c = x.size(1), f = x.size(2), h = x.size(3), w = x.size(4);
  at::Tensor frames = x.permute({0, 2, 1, 3, 4}).reshape({b * f, c, h, w});
  at::Tensor out = m_net->forward(frames, steps.repeat_interleave(f), tokens.repeat_interleave(f, 0));
  out = out.reshape({b, f, c, h, w}).permute({0, 2, 1, 3, 4}).contiguous();
  return out.to(x_t.device(), x_t.scalar_type());
}

}  // namespace ns
