#pragma once
// Which files are pictures and which are clips: the one extension list every door uses (the
// window's drop and file dialogs, the CLI, project backgrounds, loadMedia). By extension only,
// case-insensitive; nothing is opened. Pure functions, any thread, no OpenCV.

#include <string>
#include <vector>

namespace ns::media {

// Persisted? No (runtime only).
enum class MediaKind {
  Invalid = 0,
  Image,  // decoded by readImage (OpenCV imgcodecs)
  Video,  // decoded by readVideo (OpenCV's FFmpeg backend)
  Other,  // not a picture or clip
};

// Lower-case, with the dot: ".png", ".jpg", ... / ".mp4", ".m4v", ...
const std::vector<std::string>& imageExtensions();
const std::vector<std::string>& videoExtensions();

MediaKind classifyMediaPath(const std::string& path);
inline bool isImagePath(const std::string& path) { return classifyMediaPath(path) == MediaKind::Image; }

// The lists as file-dialog patterns: "*.png *.jpg ... *.mp4 ..." (images, then clips).
std::string mediaDialogPatterns();

}  // namespace ns::media
