#pragma once
// BuiltinVideoDenoiser: the built-in shapes UNet with motion modules — the built-in video model
// (issue 16 item 2; info().isVideo). x_t [B,C,F,h,w]: the UNet's spatial layers see the F frames
// folded into the batch (each frame with its clip's t and prompt; GroupNorm per frame), the motion
// modules (core/model/sd/motion_module.h, the same AnimateDiff architecture as the SD video model)
// attend across the F frames at every position, at the sites of builtin_motion_sites.h.
// A 4-D x_t [B,C,h,w] is a one-frame clip. Conditioning: token ids [B,L] int64 (or one row).
// Long clips: see VideoDenoiser (predictWindow) and WindowedVideoDenoiser.
// Thread: one thread at a time (the model thread).

#include <memory>
#include <string>

#include "core/model/video_denoiser.h"

namespace ns {
namespace nn {
class BuiltinUNetImpl;
}

class BuiltinVideoDenoiser final : public VideoDenoiser {
 public:
  // `net` and `motion` already on `device` with their weights.
  BuiltinVideoDenoiser(std::shared_ptr<nn::BuiltinUNetImpl> net, std::shared_ptr<sd::MotionModules> motion,
                       DenoiserInfo info, std::string device);
  ~BuiltinVideoDenoiser() override;
  const DenoiserInfo& info() const override { return m_info; }
  // Whole clip in one window; refuses F > maxFrames() (naming both numbers).
  at::Tensor predict(const at::Tensor& x_t, const at::Tensor& t, const Conditioning& cond) override;
  at::Tensor predictWindow(const at::Tensor& x_t, const at::Tensor& t, const Conditioning& cond, int64_t start,
                           int64_t length) override;
  int64_t maxFrames() const override;
  sd::MotionModules& motion() override { return *m_motion; }
  const std::shared_ptr<nn::BuiltinUNetImpl>& net() const { return m_net; }

 private:
  std::shared_ptr<nn::BuiltinUNetImpl> m_net;
  std::shared_ptr<sd::MotionModules> m_motion;
  DenoiserInfo m_info;
  std::string m_device;
};

// The clip computation for callers holding the parts (the trainer, with autograd on; tests):
// x [B,C,F,h,w] float, t [B] int64, tokens [B,L] int64, all on the networks' device ->
// [B,C,F,h,w]. No inference guard here: the caller decides.
at::Tensor forwardBuiltinVideo(nn::BuiltinUNetImpl& unet, const sd::MotionModules& motion, const at::Tensor& x,
                               const at::Tensor& t, const at::Tensor& tokens);

}  // namespace ns
