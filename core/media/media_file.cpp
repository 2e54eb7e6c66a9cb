#include "core/media/media_file.h"

#include <ATen/ATen.h>

#include "core/media/image_io.h"
#include "core/media/video_io.h"

namespace ns::media {

Result<MediaFrames> loadMedia(const std::string& path, int maxFrames) {
  MediaFrames m;
  if (isVideoPath(path)) {
    VideoLimits limits;
    limits.maxFrames = maxFrames;
    auto clip = readVideo(path, limits);
    if (!clip.ok()) return clip.error();
    m.frames = clip->frames;
    m.fps = clip->fps;
    m.isVideo = true;
    return m;
  }
  auto img = readImage(path);
  if (!img.ok()) return img.error();
  m.frames = img->unsqueeze(0);
  return m;
}

}  // namespace ns::media
