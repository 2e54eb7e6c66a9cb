#include "app/cli/output_files.h"

#include <ATen/ATen.h>

#include <filesystem>

#include "core/media/image_io.h"
#include "core/media/video_io.h"

namespace ns::cli {

Result<std::string> writeFrames(const std::string& path, const at::Tensor& frames, double fps,
                                const media::ResultMetadata& metadata) {
  namespace fs = std::filesystem;
  // `-o frames/frame.png` into a folder that does not exist yet: make it, as users expect.
  if (const fs::path parent = fs::path(path).parent_path(); !parent.empty()) {
    std::error_code ec;
    fs::create_directories(parent, ec);
    if (ec) return makeError(ErrorKind::Io, parent.string() + ": cannot create the output folder: " + ec.message());
  }
  if (media::isVideoPath(path)) {
    auto r = media::writeVideo(path, frames, fps);
    if (!r.ok()) return r.error();
    // After the video is in place: a sidecar never describes a clip that is not there.
    if (auto s = media::writeSidecar(path, metadata); !s.ok()) return s.error();
    return path;
  }
  if (frames.size(0) == 1) {
    auto r = media::writeImage(path, frames[0], metadata);
    if (!r.ok()) return r.error();
    return path;
  }
  const fs::path p(path);
  const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  std::string written;
  for (int64_t i = 0; i < frames.size(0); ++i) {
    char suffix[16];
    std::snprintf(suffix, sizeof(suffix), "_%04d", int(i));
    const fs::path fp = dir / (p.stem().string() + suffix + p.extension().string());
    media::ResultMetadata frameMeta = metadata;
    frameMeta.frame = int(i);
    auto r = media::writeImage(fp.string(), frames[i], frameMeta);
    if (!r.ok()) return r.error();
    written += (written.empty() ? "" : "\n") + fp.string();
  }
  return written;
}

}  // namespace ns::cli
