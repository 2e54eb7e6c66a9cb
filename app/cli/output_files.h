#pragma once
// Writing frames where the user asked: .png/.jpg (one image, or name_0000.png… for several
// frames), .mp4/.avi/.mkv (a clip at fps), through core/media/frame_writer.h (atomic: a failed
// write leaves the old files as they were). Each result remembers how it was made
// (core/media/result_metadata.h): PNGs carry `metadata` in their text chunks (each frame of a
// sequence with its index), a video gets the sidecar "<video>.nsproj" / "<video>.nsrecipe".

#include <ATen/core/Tensor.h>

#include <string>

#include "core/media/result_metadata.h"
#include "core/util/result.h"

namespace ns::cli {

// frames [F,3,H,W] in [-1,1]. Returns the list of written paths (one line each) for the report.
Result<std::string> writeFrames(const std::string& path, const at::Tensor& frames, double fps,
                                const media::ResultMetadata& metadata = {});

}  // namespace ns::cli
