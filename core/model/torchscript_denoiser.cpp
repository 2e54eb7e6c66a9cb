#include "core/model/torchscript_denoiser.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

namespace ns {

TorchscriptDenoiser::TorchscriptDenoiser(std::shared_ptr<TorchscriptModule> module, DenoiserInfo info,
                                         std::string device)
    : m_module(std::move(module)), m_info(std::move(info)), m_device(std::move(device)) {
  TORCH_CHECK(m_module, "TorchscriptDenoiser: no module");
}

at::Tensor TorchscriptDenoiser::predict(const at::Tensor& x_t, const at::Tensor& t, const Conditioning& cond) {
  c10::InferenceMode guard;
  const int64_t wantDim = m_info.isVideo ? 5 : 4;
  TORCH_CHECK(x_t.dim() == wantDim, m_module->file(), ": x_t must be ", m_info.isVideo ? "[B,C,F,H,W]" : "[B,C,H,W]",
              " for this pack, got ", x_t.sizes());
  TORCH_CHECK(x_t.size(1) == m_info.channels, m_module->file(), ": x_t has ", x_t.size(1),
              " channels, the pack takes ", m_info.channels);
  TORCH_CHECK(cond.context.defined() && cond.context.is_floating_point(), m_module->file(),
              ": conditioning must be float embeddings [B,L,D] from the pack's text encoder");
  const int64_t b = x_t.size(0);
  TORCH_CHECK(cond.batch() == b || cond.batch() == 1, m_module->file(), ": conditioning batch ", cond.batch(),
              " does not match x_t batch ", b);
  const at::Device device(m_device);
  at::Tensor context = cond.context.to(device, at::kFloat);
  // Traced UNets need every batch dimension spelled out, so broadcast explicitly.
  if (context.size(0) != b) context = context.expand({b, context.size(1), context.size(2)}).contiguous();
  at::Tensor steps = t.to(device, at::kLong).reshape({-1});
  if (steps.numel() == 1 && b > 1) steps = steps.expand({b}).contiguous();
  TORCH_CHECK(steps.size(0) == b, m_module->file(), ": t has ", steps.size(0), " entries for batch ", b);
  at::Tensor out = m_module->forward({x_t.to(device, at::kFloat), steps, context});
  TORCH_CHECK(out.sizes() == x_t.sizes(), m_module->file(), ": forward() returned shape ", out.sizes(),
              " for input ", x_t.sizes());
  return out.to(x_t.device(), x_t.scalar_type());
}

}  // namespace ns
