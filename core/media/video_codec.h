#pragma once
// Which encoder writes a video (core/media/video_io.h). No ATen here: the window's headers use it.
#include <string>

namespace ns::media {

// Default follows the extension: .mp4/.m4v/.mov MPEG-4 part 2 (mp4v, plays everywhere), .avi MJPG,
// .mkv FFV1 (lossless). H264 (.mp4/.mkv/.mov) needs an FFmpeg built with an H.264 encoder
// (Debian's has libx264); Ffv1 needs .mkv.
enum class VideoCodec { Default, H264, Mpeg4, Ffv1, Mjpeg };
const char* videoCodecName(VideoCodec c);  // "H.264", "MPEG-4", "FFV1 (lossless)", ...
// Whether this system's FFmpeg can encode `codec` into a file with extension `ext` (".mp4"): opens
// a small writer in the temp folder once per (codec, ext) and remembers the answer. Any thread.
bool videoCodecAvailable(VideoCodec codec, const std::string& ext);

}  // namespace ns::media
