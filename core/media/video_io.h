#pragma once
// Video files <-> tensors through OpenCV's FFmpeg backend. Frames are [F,3,H,W] float in [-1,1] RGB.
// Inputs are validated before decoding everything (frame count and size limits can be raised).

#include <ATen/core/Tensor.h>

#include <string>

#include "core/jobs/job_context.h"
#include "core/media/media_limits.h"
#include "core/media/video_codec.h"
#include "core/util/result.h"

namespace ns::media {

struct VideoClip {
  at::Tensor frames;  // [F,3,H,W] in [-1,1]
  double fps = 0.0;
};

bool isVideoPath(const std::string& path);  // by extension: media_kind.h's videoExtensions()
Result<VideoClip> readVideo(const std::string& path, const VideoLimits& limits = {});
// Writes .mp4, .avi or .mkv with `codec`. Atomic: temp file then rename, so `path` is either
// absent/old or the whole new clip. With `ctx`, cancel is checked between frames (progress stage
// "export"); a cancelled or failed write removes its temp file and leaves `path` as it was.
Result<void> writeVideo(const std::string& path, const at::Tensor& frames, double fps, const JobContext* ctx = nullptr,
                        VideoCodec codec = VideoCodec::Default);
// Writes frames as <dir>/<stem>_0000.png ...; creates dir. Returns the number written.
Result<int> writeImageSequence(const std::string& dir, const std::string& stem, const at::Tensor& frames);

}  // namespace ns::media
