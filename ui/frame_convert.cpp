#include "ui/frame_convert.h"

#include <QDir>

#include <algorithm>
#include <cmath>

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

Result<int> exportPngSequence(const FrameBuffer& frames, const QString& dir, const QString& stem) {
  if (frames.kind != FrameKind::Image || frames.empty())
    return makeError(ErrorKind::BadInput, "nothing to export: render the project first");
  if (!QDir().mkpath(dir)) return makeError(ErrorKind::Io, QStringLiteral("%1: cannot create the folder").arg(dir).toStdString());
  for (int i = 0; i < frames.count; ++i) {
    const QString path = QDir(dir).filePath(QStringLiteral("%1_%2.png").arg(stem).arg(i, 4, 10, QLatin1Char('0')));
    if (!frameToImage(frames, i).save(path, "PNG"))
      return makeError(ErrorKind::Io, QStringLiteral("%1: cannot write the PNG").arg(path).toStdString());
  }
  return frames.count;
}

}  // namespace ns::ui
