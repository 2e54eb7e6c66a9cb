#pragma once
// VideoDenoiser: a Denoiser whose x_t is a clip [B,C,F,h,w] and whose frames see each other through
// motion modules (AnimateDiff-style temporal transformers, core/model/sd/motion_module.h). Both
// video models implement it — SdVideoDenoiser (SD 1.5 + an AnimateDiff file) and
// BuiltinVideoDenoiser (the built-in shapes UNet + its trained motion modules) — so that context
// windows and FreeNoise's window fusion (core/model/sd/windowed_video_denoiser.h) work on either.
// Thread: one thread at a time (the model thread), like every Denoiser.

#include <cstdint>

#include "core/model/denoiser.h"

namespace ns {
namespace sd {
class MotionModules;
}

class VideoDenoiser : public Denoiser {
 public:
  // Frames [start, start+length) of x_t [B,C,F,h,w] denoised as a clip of their own (frame
  // positions restart at 0, as FreeNoise's windows do) -> [B,C,length,h,w]. cond.batch() is B or 1;
  // t holds B values or one. Refuses length > maxFrames().
  virtual at::Tensor predictWindow(const at::Tensor& x_t, const at::Tensor& t, const Conditioning& cond,
                                   int64_t start, int64_t length) = 0;
  // The longest clip one call takes (the motion modules' position table).
  virtual int64_t maxFrames() const = 0;
  // The temporal layers (window fusion sets their attention hook for the length of a call).
  virtual sd::MotionModules& motion() = 0;
};

}  // namespace ns
