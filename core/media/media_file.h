#pragma once
// The one door for "a picture or a clip the user named" (a drop on the window, a CLI input, a
// project's background or cut-out source): media_kind.h's extension list says which it is, and
// one set of size limits (MediaLimits) guards every decode. Images give one frame. Errors name
// the file and say what is wrong with it.

#include <ATen/core/Tensor.h>

#include <string>

#include "core/media/media_limits.h"
#include "core/util/result.h"

namespace ns::media {

struct MediaFrames {
  at::Tensor frames;  // [F,3,H,W] in [-1,1]
  double fps = 0.0;   // 0 for still images
  bool isVideo = false;
};

Result<MediaFrames> loadMedia(const std::string& path, const MediaLimits& limits = defaultMediaLimits());
// The default limits with the clip's frame count set by the user (the CLI's --max-frames).
Result<MediaFrames> loadMedia(const std::string& path, int maxFrames);

}  // namespace ns::media
