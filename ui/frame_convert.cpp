#include "ui/frame_convert.h"

#include <QFile>

#include <algorithm>
#include <cmath>

#include "core/media/frame_writer.h"

namespace ns::ui {

FrameBuffer imageToFrames(const QImage& image) {
  FrameBuffer fb;
  if (image.isNull()) return fb;
  const QImage rgb = image.convertToFormat(QImage::Format_RGB888);
  fb.kind = FrameKind::Image;
  fb.count = 1;
  fb.channels = 3;
  fb.height = rgb.height();
  fb.width = rgb.width();
  fb.data.resize(fb.frameSize());
  const size_t plane = size_t(fb.height) * fb.width;
  for (int y = 0; y < fb.height; ++y) {
    const uchar* row = rgb.constScanLine(y);
    for (int x = 0; x < fb.width; ++x)
      for (int c = 0; c < 3; ++c) fb.data[c * plane + size_t(y) * fb.width + x] = row[3 * x + c] / 255.0f;
  }
  return fb;
}

QImage frameToImage(const FrameBuffer& frames, int index) {
  if (frames.kind != FrameKind::Image || frames.channels < 3 || index < 0 || index >= frames.count) return {};
  QImage img(frames.width, frames.height, QImage::Format_RGB888);
  const float* f = frames.frame(index);
  const size_t plane = size_t(frames.height) * frames.width;
  for (int y = 0; y < frames.height; ++y) {
    uchar* row = img.scanLine(y);
    for (int x = 0; x < frames.width; ++x)
      for (int c = 0; c < 3; ++c) {
        const float v = std::clamp(f[c * plane + size_t(y) * frames.width + x], 0.0f, 1.0f);
        row[3 * x + c] = uchar(std::lround(v * 255.0f));
      }
  }
  return img;
}

Result<int> exportPngSequence(const FrameBuffer& frames, const QString& dir, const QString& stem, const JobContext* ctx,
                              const media::ResultMetadata& metadata) {
  // core/media's one writer, the CLI's too: staged in a hidden folder, moved into place when all
  // frames are written.
  media::FrameWriteOptions options;
  options.ctx = ctx;
  options.metadata = metadata;
  auto written = media::writePictureSequence(QFile::encodeName(dir).toStdString(), QFile::encodeName(stem).toStdString(),
                                             ".png", frames, options);
  if (!written) return written.error();
  return int(written->size());
}

}  // namespace ns::ui
