#pragma once
// SdVideoDenoiser: an SD UNet with AnimateDiff motion modules behind the Denoiser interface — a
// video model (info().isVideo). x_t [B,C,F,h,w]: the spatial layers see the F frames folded into
// the batch (each frame with its clip's t and prompt, per-frame GroupNorm as AnimateDiff v2/v3's
// InflatedGroupNorm), the motion modules attend across the F frames at every position.
// A 4-D x_t [B,C,h,w] is a one-frame clip.
//
// Long clips: one call denoises at most config().maxFrames frames (the position table's length).
// predictWindow() denoises frames [start, start+length) of a longer clip as a clip of its own
// (positions restart at 0, as FreeNoise's windows do); context windows and their fusion build on it
// and on MotionModules::setAttentionHook.

#include <memory>

#include "core/model/video_denoiser.h"
#include "core/model/sd/motion_module.h"
#include "core/model/sd/sd_unet.h"

namespace ns::sd {

class SdVideoDenoiser final : public VideoDenoiser {
 public:
  SdVideoDenoiser(std::shared_ptr<SdUnet> unet, std::shared_ptr<MotionModules> motion, DenoiserInfo info);
  const DenoiserInfo& info() const override { return m_info; }
  // Whole clip in one window; refuses F > maxFrames (naming both numbers).
  at::Tensor predict(const at::Tensor& x_t, const at::Tensor& t, const Conditioning& cond) override;
  // Frames [start, start+length) of x_t [B,C,F,h,w] -> [B,C,length,h,w].
  at::Tensor predictWindow(const at::Tensor& x_t, const at::Tensor& t, const Conditioning& cond, int64_t start,
                           int64_t length) override;
  int64_t maxFrames() const override;
  SdUnet& unet() { return *m_unet; }
  MotionModules& motion() override { return *m_motion; }

 private:
  std::shared_ptr<SdUnet> m_unet;
  std::shared_ptr<MotionModules> m_motion;
  DenoiserInfo m_info;
};

// The clip computation itself, for callers holding the parts (model run, tests):
// x [B,C,F,h,w], t [B] (or one value), context [B,L,D] (or one row) -> [B,C,F,h,w].
at::Tensor forwardVideo(SdUnet& unet, const MotionModules& motion, const at::Tensor& x, const at::Tensor& t,
                        const at::Tensor& context);

}  // namespace ns::sd
