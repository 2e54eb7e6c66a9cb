#pragma once
// The one writer of results, for the CLI and the window alike: a clip, one picture, or a numbered
// picture sequence, each all or nothing. Nothing a caller can see is ever half written:
//  - a clip (media_kind.h's video extensions): writeVideo (temp file + rename), then the sidecar
//    "<clip>.nsproj" / ".nsrecipe" (only once the clip is in place);
//  - one picture: encoded in memory, written to a temp file beside it and renamed over it;
//  - a sequence <stem>_0000<ext>, <stem>_0001<ext> ...: every frame is staged in a hidden folder
//    beside the targets and the frames are moved into place only once all were written, so a
//    failed or cancelled write leaves every old file as it was.
// PNGs carry `metadata` (how the frames were made, each frame with its index) in text chunks.
// With `ctx`, cancel is checked between frames (progress stage "export").
//
// Frames come as a tensor [F,3,H,W] in [-1,1] (the engine's images; 8-bit = round((v+1)·127.5)) or
// as an Image FrameBuffer in [0,1] (what the window holds; 8-bit = round(v·255)), each quantised
// as its callers always did, so the written pixels stay the same.

#include <string>
#include <vector>

#include "core/jobs/job_context.h"
#include "core/media/result_metadata.h"
#include "core/media/video_codec.h"
#include "core/util/frame_buffer.h"
#include "core/util/result.h"

// Declared only: this header stays free of torch (the window includes it beside Qt headers).
namespace at {
class Tensor;
}

namespace ns::media {

struct FrameWriteOptions {
  double fps = 24.0;                        // clips only
  VideoCodec codec = VideoCodec::Default;   // clips only
  ResultMetadata metadata;                  // PNG text chunks / the clip's sidecar
  const JobContext* ctx = nullptr;          // cancel between frames, "export" progress
};

// Writes where `path` says: a clip extension gives a clip; a picture extension gives `path` for
// one frame and <stem>_0000<ext> ... beside it for several. Creates the folder. Returns the paths
// written.
Result<std::vector<std::string>> writeFrames(const std::string& path, const at::Tensor& frames,
                                             const FrameWriteOptions& options = {});
Result<std::vector<std::string>> writeFrames(const std::string& path, const FrameBuffer& frames,
                                             const FrameWriteOptions& options = {});

// Always a sequence, even of one frame: <dir>/<stem>_0000<ext> ... (ext with its dot, e.g. ".png").
Result<std::vector<std::string>> writePictureSequence(const std::string& dir, const std::string& stem,
                                                      const std::string& ext, const at::Tensor& frames,
                                                      const FrameWriteOptions& options = {});
Result<std::vector<std::string>> writePictureSequence(const std::string& dir, const std::string& stem,
                                                      const std::string& ext, const FrameBuffer& frames,
                                                      const FrameWriteOptions& options = {});

}  // namespace ns::media
