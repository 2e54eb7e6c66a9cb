#include "app/cli/output_files.h"

#include "core/media/frame_writer.h"

namespace ns::cli {

Result<std::string> writeFrames(const std::string& path, const at::Tensor& frames, double fps,
                                const media::ResultMetadata& metadata) {
  // core/media's one writer (the window's exports use it too): a clip, one picture, or a
  // numbered sequence, each all or nothing, so a failed write leaves the old files as they were.
  media::FrameWriteOptions options;
  options.fps = fps;
  options.metadata = metadata;
  auto written = media::writeFrames(path, frames, options);
  if (!written.ok()) return written.error();
  std::string lines;
  for (const std::string& w : *written) lines += (lines.empty() ? "" : "\n") + w;
  return lines;
}

}  // namespace ns::cli
