#pragma once
// WindowedVideoDenoiser: a video Denoiser for clips longer than the motion module's window
// (issue 16 item 3). It wraps a VideoDenoiser (SdVideoDenoiser or BuiltinVideoDenoiser) and denoises the clip in context windows
// (core/model/context_windows.h) in one of two ways:
//  - Fusion::Average (plain sliding windows, the baseline): each window is denoised as a clip of
//    its own and every frame's prediction is the mean over the windows that hold it;
//  - Fusion::FreeNoise (Qiu et al. 2023): at every temporal attention of every motion module,
//    attention runs inside each window (positions 0..L-1) and the windows' attention outputs for
//    a frame are fused, weighted by 1/(|i - centre| + 1) (windowFusionWeights), before the
//    residual add; everything else in the UNet works on single frames.
//    Done exactly, by running all windows as one batch (B·W clips of L frames) with a
//    MotionModules attention hook that replaces each window's attention output by the fused one:
//    all copies of a frame then enter every later layer with the same values, which is FreeNoise's
//    computation. Cost: the spatial layers run on W·L frames instead of F (overlap redundancy),
//    and memory holds all W windows at once.
// A clip that fits in one window (F <= length) is exactly (bitwise) the wrapped model's predict.
// The attention hook of the wrapped model's motion modules is owned by this class during
// predict() and left empty afterwards.
// Thread: one thread at a time (the model thread), like every Denoiser.

#include <memory>

#include "core/model/context_windows.h"
#include "core/model/denoiser.h"
#include "core/model/video_denoiser.h"

namespace ns::sd {


class WindowedVideoDenoiser final : public Denoiser {
 public:
  using Fusion = WindowFusion;  // Fusion::Average, Fusion::FreeNoise (context_windows.h)
  // Refuses (c10::Error) a window longer than the motion module's position table, naming both.
  WindowedVideoDenoiser(std::shared_ptr<VideoDenoiser> video, ContextWindowOptions options, Fusion fusion);
  const DenoiserInfo& info() const override;
  // x_t [B,C,F,h,w] with any F (a 4-D x_t is a one-frame clip) -> the same shape.
  at::Tensor predict(const at::Tensor& x_t, const at::Tensor& t, const Conditioning& cond) override;
  const ContextWindowOptions& options() const { return m_options; }
  Fusion fusion() const { return m_fusion; }

 private:
  at::Tensor predictAveraged(const at::Tensor& x_t, const at::Tensor& t, const Conditioning& cond,
                             const std::vector<std::vector<int64_t>>& windows);
  at::Tensor predictFreeNoise(const at::Tensor& x_t, const at::Tensor& t, const Conditioning& cond,
                              const std::vector<std::vector<int64_t>>& windows);
  std::shared_ptr<VideoDenoiser> m_video;
  ContextWindowOptions m_options;
  Fusion m_fusion;
};

}  // namespace ns::sd
