#pragma once
// A picture file as plain floats, for callers that must not touch tensors (the window's UI thread
// reading a dropped photo). The same decode as image_io.h's readImage: the same header probe,
// limits and OpenCV decoder, so the picture shown is the one a cut-out of it cuts.

#include <string>

#include "core/media/image_header.h"
#include "core/util/frame_buffer.h"
#include "core/util/result.h"

namespace ns::media {

// One Image frame, RGB in [0,1] (8-bit value / 255). Errors name the file (not found, empty,
// truncated, corrupt, over `limits`).
Result<FrameBuffer> readImageFrames(const std::string& path, const ImageLimits& limits = defaultImageLimits());

}  // namespace ns::media
