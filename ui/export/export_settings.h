#pragma once
// What File → Export… writes: the format (PNG sequence, H.264 or MPEG-4 MP4, lossless FFV1 MKV),
// the frame range and the output size, and the frames cut to that range and size. Pure functions;
// any thread.
#include <QString>

#include "core/media/video_codec.h"
#include "core/util/frame_buffer.h"
#include "core/util/result.h"

namespace ns::ui {

enum class ExportFormat { PngSequence, Mp4H264, Mp4Mpeg4, MkvFfv1 };

struct ExportSettings {
  ExportFormat format = ExportFormat::PngSequence;
  QString path;        // a folder for a PNG sequence, the video file otherwise
  int first = 0;       // first and last frame written, 0-based, inclusive; last -1 = the last frame
  int last = -1;
  int width = 0;       // output size in pixels; 0 = the result's own
  int height = 0;
};

QString exportFormatLabel(ExportFormat f);       // "MP4 video, H.264", ...
QString exportExtension(ExportFormat f);         // ".mp4", ".mkv"; empty for a PNG sequence
media::VideoCodec exportCodec(ExportFormat f);
bool exportFormatAvailable(ExportFormat f);      // the system's FFmpeg can write it (PNG: always)

// `result`'s frames first..last at width x height: area averaging when shrinking, bicubic when
// enlarging (values clamped to [0,1]). Errors name the bad range or size.
Result<FrameBuffer> framesForExport(const FrameBuffer& result, const ExportSettings& s);

}  // namespace ns::ui
