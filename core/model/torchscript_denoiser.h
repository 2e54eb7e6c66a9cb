#pragma once
// TorchscriptDenoiser: a model pack's denoiser.pt behind the Denoiser interface. The module's
// forward(x, t, context) takes x_t [B,C,H,W] (or [B,C,F,H,W] for video packs) float, t [B] int64,
// context [B,L,D] float (text embeddings; a [B,1,1] zero tensor for unconditional packs) and
// returns the prediction (info().prediction) with x_t's shape. Inputs are moved to the pack's
// device; the result comes back on x_t's device and dtype. Same thread contract as Denoiser.

#include <memory>
#include <string>

#include "core/model/denoiser.h"
#include "core/model/torchscript_module.h"

namespace ns {

class TorchscriptDenoiser final : public Denoiser {
 public:
  TorchscriptDenoiser(std::shared_ptr<TorchscriptModule> module, DenoiserInfo info, std::string device);
  const DenoiserInfo& info() const override { return m_info; }
  at::Tensor predict(const at::Tensor& x_t, const at::Tensor& t, const Conditioning& cond) override;

 private:
  std::shared_ptr<TorchscriptModule> m_module;
  DenoiserInfo m_info;
  std::string m_device;
};

}  // namespace ns
