#pragma once
// One entry point for "a picture or a clip the user dropped": images give one frame.

#include <ATen/core/Tensor.h>

#include <string>

#include "core/util/result.h"

namespace ns::media {

struct MediaFrames {
  at::Tensor frames;  // [F,3,H,W] in [-1,1]
  double fps = 0.0;   // 0 for still images
  bool isVideo = false;
};

Result<MediaFrames> loadMedia(const std::string& path, int maxFrames = 2000);

}  // namespace ns::media
