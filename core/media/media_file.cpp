#include "core/media/media_file.h"

#include <ATen/ATen.h>

#include "core/media/image_io.h"
#include "core/media/media_kind.h"
#include "core/media/video_io.h"

namespace ns::media {

MediaLimits defaultMediaLimits() {
  MediaLimits l;
  l.image = defaultImageLimits();
  return l;
}

Result<MediaFrames> loadMedia(const std::string& path, const MediaLimits& limits) {
  MediaFrames m;
  switch (classifyMediaPath(path)) {
    case MediaKind::Video: {
      auto clip = readVideo(path, limits.video);
      if (!clip.ok()) return clip.error();
      m.frames = clip->frames;
      m.fps = clip->fps;
      m.isVideo = true;
      return m;
    }
    case MediaKind::Image: {
      auto img = readImage(path, limits.image);
      if (!img.ok()) return img.error();
      m.frames = img->unsqueeze(0);
      return m;
    }
    default: break;
  }
  return makeError(ErrorKind::BadInput, path + ": not a picture or clip NoiseStudio reads (" + mediaDialogPatterns() + ")");
}

Result<MediaFrames> loadMedia(const std::string& path, int maxFrames) {
  MediaLimits limits = defaultMediaLimits();
  limits.video.maxFrames = maxFrames;
  return loadMedia(path, limits);
}

}  // namespace ns::media
