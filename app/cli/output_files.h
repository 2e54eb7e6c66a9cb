#pragma once
// Writing frames where the user asked: .png/.jpg (one image, or name_0000.png… for several
// frames), .mp4/.avi/.mkv (a clip at fps).

#include <ATen/core/Tensor.h>

#include <string>

#include "core/util/result.h"

namespace ns::cli {

// frames [F,3,H,W] in [-1,1]. Returns the list of written paths (one line each) for the report.
Result<std::string> writeFrames(const std::string& path, const at::Tensor& frames, double fps);

}  // namespace ns::cli
