#include "core/model/clip_frames_denoiser.h"

#include <ATen/ATen.h>

#include "core/model/video_denoiser.h"
#include "core/model/sd/windowed_video_denoiser.h"

namespace ns {

namespace {

// Clip k's rows of a per-row tensor [k·F, ...] must all equal its first row; returns the first
// rows [k, ...]. One row is broadcast to every clip. `what` names the input in errors.
at::Tensor rowPerClip(const at::Tensor& rows, int64_t clips, int64_t frames, const char* what) {
  const int64_t n = rows.size(0);
  auto shape = rows.sizes().vec();
  if (n == 1) {
    shape[0] = clips;
    return rows.expand(shape).contiguous();
  }
  TORCH_CHECK(n == clips * frames, "ClipFramesDenoiser: ", what, " has ", n, " rows for ", clips, " clip(s) of ",
              frames, " frames (expected 1 or ", clips * frames, ")");
  shape[0] = frames;
  shape.insert(shape.begin(), clips);
  const at::Tensor grouped = rows.reshape(shape);  // [k, F, ...]
  const at::Tensor first = grouped.select(1, 0);  // [k, ...]
  // Exact comparison: a video model denoises a clip with one value; a clip whose frames differ
  // (a per-frame prompt, a per-frame timestep) has no joint meaning and is refused, not averaged.
  const at::Tensor same = grouped.eq(first.unsqueeze(1)).reshape({clips, -1}).all(1);
  for (int64_t k = 0; k < clips; ++k)
    TORCH_CHECK(same[k].item<bool>(), "ClipFramesDenoiser: the frames of clip ", k, " have different ", what,
                " values; a video model denoises a clip with one ", what, " for all its ", frames, " frames");
  return first.contiguous();
}

}  // namespace

ClipFramesDenoiser::ClipFramesDenoiser(std::shared_ptr<Denoiser> video, int64_t frames)
    : m_video(std::move(video)), m_frames(frames) {
  TORCH_CHECK(m_video, "ClipFramesDenoiser: no video model");
  TORCH_CHECK(m_video->info().isVideo, "ClipFramesDenoiser: '", m_video->info().id, "' is not a video model");
  TORCH_CHECK(frames >= 1, "ClipFramesDenoiser: a clip needs at least one frame, got ", frames);
  m_info = m_video->info();
  m_info.isVideo = false;
}

at::Tensor ClipFramesDenoiser::predict(const at::Tensor& x_t, const at::Tensor& t, const Conditioning& cond) {
  TORCH_CHECK(x_t.dim() == 4, "ClipFramesDenoiser: x_t must be frames [k·F,C,h,w], got ", x_t.sizes());
  const int64_t rows = x_t.size(0), F = m_frames;
  TORCH_CHECK(rows % F == 0, "ClipFramesDenoiser: x_t has ", rows, " rows, not a whole number of clips of ", F,
              " frames");
  const int64_t k = rows / F, C = x_t.size(1), h = x_t.size(2), w = x_t.size(3);
  const at::Tensor steps = rowPerClip(t.reshape({-1}), k, F, "timestep");
  Conditioning clipCond;
  if (cond.context.defined()) clipCond.context = rowPerClip(cond.context, k, F, "conditioning");
  // [k·F,C,h,w] -> [k,C,F,h,w], contiguous as a caller holding the 5-D clip would pass it.
  const at::Tensor clips = x_t.reshape({k, F, C, h, w}).transpose(1, 2).contiguous();
  const at::Tensor out = m_video->predict(clips, steps, clipCond);
  TORCH_CHECK(out.sizes() == clips.sizes(), "ClipFramesDenoiser: '", m_info.id, "' returned ", out.sizes(),
              " for the clip ", clips.sizes());
  return out.transpose(1, 2).reshape({rows, C, h, w}).contiguous();
}

namespace {

bool windowed(const Denoiser& model, int64_t frames, const ContextWindowOptions& windows) {
  return dynamic_cast<const VideoDenoiser*>(&model) != nullptr && frames > windows.length;
}

}  // namespace

std::shared_ptr<Denoiser> framesDenoiserFor(std::shared_ptr<Denoiser> model, int64_t frames,
                                            const ContextWindowOptions& windows, WindowFusion fusion) {
  TORCH_CHECK(model, "framesDenoiserFor: no model");
  if (!model->info().isVideo) return model;
  std::shared_ptr<Denoiser> clip = model;
  if (windowed(*model, frames, windows))
    clip = std::make_shared<sd::WindowedVideoDenoiser>(std::dynamic_pointer_cast<VideoDenoiser>(model), windows,
                                                       fusion);
  return std::make_shared<ClipFramesDenoiser>(std::move(clip), frames);
}

int64_t framesPerModelCall(const Denoiser& model, int64_t frames, const ContextWindowOptions& windows,
                           WindowFusion fusion) {
  if (!model.info().isVideo) return 1;
  if (!windowed(model, frames, windows)) return frames;
  if (fusion == WindowFusion::Average) return windows.length;
  return int64_t(contextWindows(frames, windows).size()) * windows.length;
}

}  // namespace ns
