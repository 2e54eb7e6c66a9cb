#pragma once
// BuiltinDenoiser: the Denoiser of the built-in model, wrapping a BuiltinUNet (torch::nn).
// Image x_t [B,C,H,W] or video x_t [B,C,F,H,W] (frames are folded into the batch; t and tokens
// repeat per frame). Conditioning context: token ids [B,L] int64 (VocabularyConditioner), or
// batch 1 broadcast to B. Runs in eval mode under c10::InferenceMode on the bundle's device and
// returns the prediction on x_t's device and dtype.
// Thread: one thread at a time (the model thread); the guard is created inside predict().

#include <memory>
#include <string>

#include "core/model/denoiser.h"

namespace ns {
namespace nn {
class BuiltinUNetImpl;
}

class BuiltinDenoiser final : public Denoiser {
 public:
  // Takes shared ownership of `net` (already on `device` with its weights); sets it to eval mode.
  BuiltinDenoiser(std::shared_ptr<nn::BuiltinUNetImpl> net, DenoiserInfo info, std::string device);
  ~BuiltinDenoiser() override;
  const DenoiserInfo& info() const override { return m_info; }
  // Throws c10::Error with a readable message for malformed inputs (jobs turn it into a Result).
  at::Tensor predict(const at::Tensor& x_t, const at::Tensor& t, const Conditioning& cond) override;
  const std::shared_ptr<nn::BuiltinUNetImpl>& net() const { return m_net; }

 private:
  std::shared_ptr<nn::BuiltinUNetImpl> m_net;
  DenoiserInfo m_info;
  std::string m_device;
};

}  // namespace ns
