#include "ui/frame_convert.h"

#include <QBuffer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <system_error>

#include "core/media/png_text.h"

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

namespace {
// Frame `index` as PNG bytes with the metadata chunks inserted (Qt encodes, core tags).
// `path` is where it is written, `name` the file errors talk about (the final target).
Result<void> savePng(const FrameBuffer& frames, int index, const QString& path, const QString& name,
                     const media::ResultMetadata& metadata) {
  QByteArray bytes;
  QBuffer buffer(&bytes);
  buffer.open(QIODevice::WriteOnly);
  if (!frameToImage(frames, index).save(&buffer, "PNG"))
    return makeError(ErrorKind::Io, QStringLiteral("%1: cannot encode the PNG").arg(name).toStdString());
  std::string png(bytes.constData(), size_t(bytes.size()));
  if (!metadata.empty()) {
    media::ResultMetadata m = metadata;
    m.frame = index;
    auto tagged = media::insertPngText(png, media::metadataPngText(m));
    if (!tagged) return makeError(tagged.error().kind, name.toStdString() + ": " + tagged.error().message);
    png = std::move(*tagged);
  }
  QFile out(path);
  if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate) || out.write(png.data(), qint64(png.size())) != qint64(png.size()) ||
      !out.flush())
    return makeError(ErrorKind::Io, QStringLiteral("%1: cannot write the PNG").arg(name).toStdString());
  return {};
}
}  // namespace

Result<int> exportPngSequence(const FrameBuffer& frames, const QString& dir, const QString& stem, const JobContext* ctx,
                              const media::ResultMetadata& metadata) {
  if (frames.kind != FrameKind::Image || frames.empty())
    return makeError(ErrorKind::BadInput, "nothing to export: render the project first");
  if (!QDir().mkpath(dir)) return makeError(ErrorKind::Io, QStringLiteral("%1: cannot create the folder").arg(dir).toStdString());
  const QDir out(dir);
  const auto target = [&](int i) { return out.filePath(QStringLiteral("%1_%2.png").arg(stem).arg(i, 4, 10, QLatin1Char('0'))); };
  // A name taken by something that is not a file would fail half-way through the moves below.
  for (int i = 0; i < frames.count; ++i) {
    const QFileInfo t(target(i));
    if (t.exists() && !t.isFile())
      return makeError(ErrorKind::Io, QStringLiteral("%1: exists and is not a file").arg(t.filePath()).toStdString());
  }
  // All frames are written into a hidden folder beside the targets first and moved into place
  // only when every one was written: a failed or cancelled export leaves the folder as it was
  // (the staging folder goes with `staging`).
  QTemporaryDir staging(out.filePath(QStringLiteral(".ns-export-XXXXXX")));
  if (!staging.isValid())
    return makeError(ErrorKind::Io, QStringLiteral("%1: cannot write into the folder (%2)").arg(dir, staging.errorString()).toStdString());
  for (int i = 0; i < frames.count; ++i) {
    if (ctx && !ctx->report(i, frames.count, "export"))
      return makeError(ErrorKind::Cancelled, QStringLiteral("%1: export cancelled; nothing was written").arg(dir).toStdString());
    const QString staged = QDir(staging.path()).filePath(QFileInfo(target(i)).fileName());
    if (auto w = savePng(frames, i, staged, target(i), metadata); !w) return w.error();
  }
  if (ctx) ctx->report(frames.count, frames.count, "export");
  for (int i = 0; i < frames.count; ++i) {
    // rename(2) replaces an existing file atomically; QFile::rename would refuse to.
    const QString staged = QDir(staging.path()).filePath(QFileInfo(target(i)).fileName());
    std::error_code ec;
    std::filesystem::rename(QFile::encodeName(staged).toStdString(), QFile::encodeName(target(i)).toStdString(), ec);
    if (ec)
      return makeError(ErrorKind::Io, QStringLiteral("%1: cannot move the PNG into place: %2")
                                          .arg(target(i), QString::fromStdString(ec.message()))
                                          .toStdString());
  }
  return frames.count;
}

}  // namespace ns::ui
