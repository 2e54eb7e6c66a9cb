#pragma once
// ClipFramesDenoiser: a video Denoiser (x_t [B,C,F,h,w]) presented as an image Denoiser over
// frame batches, so that every sampler and inversion — which all hold a clip as frames
// [F,C,h,w] and guidance batches as [uncond rows; cond rows] — denoises a clip JOINTLY (the
// motion modules attend across its frames) instead of as F one-frame clips (issue 16 item 4).
//
//   x [k·F,C,h,w] -> [k,C,F,h,w] -> video->predict -> [k,C,F,h,w] -> [k·F,C,h,w]
//
// Rows k·F .. k·F+F-1 are clip k (a CFG batch [x; x] of one clip is two clips: uncond, cond).
// A video model denoises a clip at one timestep with one prompt, so t and the conditioning must be
// equal across each clip's rows; a clip that mixes them is refused (c10::Error naming the clip),
// never averaged. t and cond may also have one row (broadcast).
// The result is bit for bit the video model's on the same 5-D clip (tst_clip_frames_denoiser).
// Thread: one thread at a time, like every Denoiser.

#include <cstdint>
#include <memory>

#include "core/model/context_windows.h"
#include "core/model/denoiser.h"

namespace ns {

class ClipFramesDenoiser final : public Denoiser {
 public:
  // `video` must be a video model (info().isVideo); frames >= 1. Refuses otherwise (c10::Error).
  ClipFramesDenoiser(std::shared_ptr<Denoiser> video, int64_t frames);
  // The video model's info with isVideo = false: callers see frames as a batch of images.
  const DenoiserInfo& info() const override { return m_info; }
  at::Tensor predict(const at::Tensor& x_t, const at::Tensor& t, const Conditioning& cond) override;
  int64_t frames() const { return m_frames; }
  const std::shared_ptr<Denoiser>& video() const { return m_video; }

 private:
  std::shared_ptr<Denoiser> m_video;
  int64_t m_frames;
  DenoiserInfo m_info;
};

// The denoiser a verb runs on a clip of `frames` frames held as [F,C,h,w]:
//  - an image model: `model` itself (frames are independent images);
//  - a video model: a ClipFramesDenoiser over it; when the model is an SD video UNet
//    (sd::SdVideoDenoiser) and the clip is longer than `windows.length`, the clip goes through
//    context windows (sd::WindowedVideoDenoiser with `fusion`) first. A clip that fits in one
//    window is the plain model call. Other video models (TorchScript packs) take the clip whole.
// Refuses (c10::Error) a window longer than the motion module's position table or bad window settings.
std::shared_ptr<Denoiser> framesDenoiserFor(std::shared_ptr<Denoiser> model, int64_t frames,
                                            const ContextWindowOptions& windows = {},
                                            WindowFusion fusion = WindowFusion::FreeNoise);

// Frames one model call holds for the memory budget (core/engine/memory_budget.h): 1 for an image
// model (verbs call it per frame or per batch row), F for a video model taking the clip whole,
// and for context windows the frames of the windows held at once (FreeNoise: all windows, W·L;
// averaging: one window, L).
int64_t framesPerModelCall(const Denoiser& model, int64_t frames, const ContextWindowOptions& windows = {},
                           WindowFusion fusion = WindowFusion::FreeNoise);

}  // namespace ns
