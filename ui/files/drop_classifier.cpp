#include "ui/files/drop_classifier.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include "core/media/media_kind.h"

namespace ns::ui {

bool isSdCheckpointPath(const QString& localPath) {
  const QFileInfo info(localPath);
  if (localPath.isEmpty() || !info.exists()) return false;
  if (info.isDir()) return QFileInfo(QDir(localPath).filePath(QStringLiteral("model_index.json"))).isFile();
  static const QStringList weights = {"safetensors", "ckpt", "pt", "pth"};
  return info.isFile() && weights.contains(info.suffix().toLower());
}

DropKind classifyDrop(const QString& localPath) {
  const QFileInfo info(localPath);
  if (localPath.isEmpty() || !info.exists()) return DropKind::Unknown;
  if (info.isDir()) {
    if (QFileInfo(QDir(localPath).filePath(QStringLiteral("model.json"))).isFile()) return DropKind::ModelPack;
    return isSdCheckpointPath(localPath) ? DropKind::SdCheckpoint : DropKind::Unknown;
  }
  if (isSdCheckpointPath(localPath)) return DropKind::SdCheckpoint;
  if (info.suffix().toLower() == QLatin1String("nsproj")) return DropKind::Project;
  // Pictures and clips: core/media's one extension list, the one the CLI and loadMedia use.
  switch (media::classifyMediaPath(QFile::encodeName(localPath).toStdString())) {
    case media::MediaKind::Image: return DropKind::Image;
    case media::MediaKind::Video: return DropKind::Video;
    default: return DropKind::Unknown;
  }
}

QString toString(DropKind kind) {
  switch (kind) {
    case DropKind::Image: return QStringLiteral("image");
    case DropKind::Video: return QStringLiteral("video");
    case DropKind::Project: return QStringLiteral("project");
    case DropKind::ModelPack: return QStringLiteral("model pack");
    case DropKind::Unknown: return QStringLiteral("unknown");
    case DropKind::SdCheckpoint: return QStringLiteral("Stable Diffusion checkpoint");
    case DropKind::Invalid: break;
  }
  return QStringLiteral("invalid");
}

}  // namespace ns::ui
