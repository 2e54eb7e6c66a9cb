// ATen first: its headers use identifiers that Qt's keyword macros (signals, slots, emit) redefine.
#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include "ui/export/export_settings.h"

#include <algorithm>
#include <string>

#include "core/util/frame_tensors.h"

namespace ns::ui {

QString exportFormatLabel(ExportFormat f) {
  switch (f) {
    case ExportFormat::PngSequence: return QStringLiteral("PNG sequence (folder)");
    case ExportFormat::Mp4H264: return QStringLiteral("MP4 video, H.264");
    case ExportFormat::Mp4Mpeg4: return QStringLiteral("MP4 video, MPEG-4 (plays on older players)");
    case ExportFormat::MkvFfv1: return QStringLiteral("MKV video, FFV1 (lossless)");
  }
  return {};
}

QString exportExtension(ExportFormat f) {
  switch (f) {
    case ExportFormat::Mp4H264:
    case ExportFormat::Mp4Mpeg4: return QStringLiteral(".mp4");
    case ExportFormat::MkvFfv1: return QStringLiteral(".mkv");
    default: return {};
  }
}

media::VideoCodec exportCodec(ExportFormat f) {
  switch (f) {
    case ExportFormat::Mp4H264: return media::VideoCodec::H264;
    case ExportFormat::Mp4Mpeg4: return media::VideoCodec::Mpeg4;
    case ExportFormat::MkvFfv1: return media::VideoCodec::Ffv1;
    default: return media::VideoCodec::Default;
  }
}

bool exportFormatAvailable(ExportFormat f) {
  if (f == ExportFormat::PngSequence) return true;
  return media::videoCodecAvailable(exportCodec(f), exportExtension(f).toStdString());
}

Result<FrameBuffer> framesForExport(const FrameBuffer& result, const ExportSettings& s) {
  if (result.empty()) return makeError(ErrorKind::BadInput, "nothing to export: render the project first");
  const int last = s.last < 0 ? result.count - 1 : s.last;
  if (s.first < 0 || s.first > last || last >= result.count)
    return makeError(ErrorKind::BadInput, "frames " + std::to_string(s.first + 1) + " to " + std::to_string(last + 1) +
                                              " are not a range of the result's 1 to " + std::to_string(result.count));
  const int W = s.width > 0 ? s.width : result.width, H = s.height > 0 ? s.height : result.height;
  if (W < 8 || H < 8 || W > 8192 || H > 8192)
    return makeError(ErrorKind::BadInput, "export size " + std::to_string(W) + " x " + std::to_string(H) +
                                              " must be between 8 and 8192 pixels a side");
  c10::InferenceMode guard;
  at::Tensor x = framesToImages(result).narrow(0, s.first, last - s.first + 1);  // [F,3,h,w] in [-1,1]
  if (W != result.width || H != result.height) {
    // Area averaging when shrinking keeps edges clean; bicubic when enlarging (clamped: it overshoots).
    if (W <= result.width && H <= result.height) x = at::adaptive_avg_pool2d(x, {H, W});
    else x = at::upsample_bicubic2d(x, {H, W}, false).clamp(-1.0, 1.0);
  }
  FrameBuffer out = imagesToFrames(x.contiguous());
  return out;
}

}  // namespace ns::ui
