#include "core/media/media_kind.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace ns::media {

namespace {
std::string lowerExtension(const std::string& path) {
  std::string e = std::filesystem::path(path).extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return e;
}

bool contains(const std::vector<std::string>& list, const std::string& e) {
  return std::find(list.begin(), list.end(), e) != list.end();
}
}  // namespace

const std::vector<std::string>& imageExtensions() {
  // What Debian's OpenCV imgcodecs decodes (EXR only where OpenCV was built with it; a file it
  // cannot decode is refused with an error naming it).
  static const std::vector<std::string> exts{".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".exr"};
  return exts;
}

const std::vector<std::string>& videoExtensions() {
  // Containers FFmpeg demuxes. GIF is a clip: imgcodecs has no GIF decoder, FFmpeg does.
  static const std::vector<std::string> exts{".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".gif", ".mpg", ".mpeg"};
  return exts;
}

MediaKind classifyMediaPath(const std::string& path) {
  const std::string e = lowerExtension(path);
  if (e.empty()) return MediaKind::Other;
  if (contains(imageExtensions(), e)) return MediaKind::Image;
  if (contains(videoExtensions(), e)) return MediaKind::Video;
  return MediaKind::Other;
}

std::string mediaDialogPatterns() {
  std::string s;
  for (const auto* list : {&imageExtensions(), &videoExtensions()})
    for (const std::string& e : *list) s += (s.empty() ? "*" : " *") + e;
  return s;
}

}  // namespace ns::media
