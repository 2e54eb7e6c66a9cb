// ATen-using core headers first: Qt's keyword macros (signals, slots, emit) clash with them.
#include "core/engine/engine.h"
#include "core/model/model_loader.h"
#include "core/model/sd/diffusers_probe.h"

#include "ui/jobs/model_listing.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>

#include <exception>

#include <spdlog/spdlog.h>

#include "ui/files/drop_classifier.h"

namespace ns::ui {

QString familyDisplayName(const QString& family) {
  if (family == QLatin1String("sd1")) return QStringLiteral("SD 1.x");
  if (family == QLatin1String("sd2")) return QStringLiteral("SD 2.x");
  return family;
}

ModelListEntry probeCheckpointEntry(const QString& path) {
  ModelListEntry e;
  e.path = QFileInfo(path).absoluteFilePath();
  e.source = ModelSource::Checkpoint;
  const QString name = QFileInfo(path).fileName();
  const std::string p = path.toStdString();
  QElapsedTimer clock;
  clock.start();
  try {
    if (QFileInfo(path).isDir()) {
      auto probe = sd::probeDiffusersFolder(p);
      if (probe.ok())
        e.label = QStringLiteral("%1 — %2, diffusers, %3")
                      .arg(name, familyDisplayName(QString::fromStdString(sd::toString(probe->family))),
                           QString::fromStdString(formatBytes(probe->totalWeightBytes)));
      else
        e.error = QString::fromStdString(probe.error().message);
    } else {
      auto probe = probeSdModel(p);
      if (probe.ok())
        e.label = QStringLiteral("%1 — %2, %3, %4")
                      .arg(name, familyDisplayName(QString::fromStdString(probe->family)),
                           QString::fromStdString(probe->storageDtype),
                           QString::fromStdString(formatBytes(int64_t(probe->bytes))));
      else
        e.error = QString::fromStdString(probe.error().message);
    }
  } catch (const std::exception& ex) {
    // A probe must never take the listing down: an odd file is one unloadable row.
    e.error = QStringLiteral("%1: %2").arg(path, QString::fromUtf8(ex.what()));
  }
  if (!e.error.isEmpty()) e.label = QStringLiteral("%1 — cannot load: %2").arg(name, e.error);
  spdlog::debug("model list: probed {} in {} ms", p, clock.elapsed());
  return e;
}

QList<ModelListEntry> listModelFolder(const QString& folder) {
  QList<ModelListEntry> packs, checkpoints;
  const QDir dir(folder);
  for (const QFileInfo& fi : dir.entryInfoList(QDir::Dirs | QDir::Files | QDir::NoDotAndDotDot, QDir::Name)) {
    const QString path = fi.absoluteFilePath();
    switch (classifyDrop(path)) {
      case DropKind::ModelPack: {
        ModelListEntry e;
        e.path = path;
        e.source = ModelSource::Pack;
        e.label = QStringLiteral("%1 — model pack").arg(fi.fileName());
        packs << e;
        break;
      }
      case DropKind::SdCheckpoint: checkpoints << probeCheckpointEntry(path); break;
      default: break;
    }
  }
  return packs + checkpoints;
}

}  // namespace ns::ui
