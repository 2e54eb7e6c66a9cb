#include "ui/jobs/model_loader.h"

#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>

#include "core/model/builtin_model.h"
#include "core/model/model_bundle.h"
#include "core/model/model_pack.h"
#include "core/util/torch_runtime.h"

namespace ns::ui {

QString userModelFolder() {
  const QString env = qEnvironmentVariable("NS_MODEL_DIR");
  if (!env.isEmpty()) return env;
  return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QStringLiteral("/models");
}

QStringList findInstalledModelPacks(const QString& folder) {
  QStringList packs;
  const QDir dir(folder);
  // One level deep: every sub-folder with a model.json is offered; the loader validates it.
  for (const QFileInfo& fi : dir.entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name))
    if (QFileInfo::exists(fi.absoluteFilePath() + QStringLiteral("/model.json"))) packs << fi.absoluteFilePath();
  return packs;
}

ModelLoaderFn modelLoader(const ModelChoice& choice) {
  const std::string device = choice.device.toStdString();
  const std::string pack = choice.packDir.toStdString();
  const ModelSource source = choice.source;
  return [=]() -> Result<ModelBundle> {
    const std::string dev = resolveDevice(device);
    if (source == ModelSource::Builtin) {
      const std::string dir = findBuiltinModelDir();
      if (dir.empty())
        return makeError(ErrorKind::Model, "the built-in model was not found (set NS_BUILTIN_MODEL_DIR or install resources/models/builtin)");
      return loadBuiltinModel(dir, dev);
    }
    if (pack.empty()) return makeError(ErrorKind::BadInput, "choose a model-pack folder first");
    // model.json's "format" picks the loader, as in the CLI: a folder in the built-in format (a
    // retrained copy of the built-in model) loads as one; anything else goes through the pack
    // loader, whose validation names the file and field that is wrong.
    auto format = modelFolderFormat(pack);
    if (!format) return format.error();
    return *format == "noisestudio-model" ? loadBuiltinModel(pack, dev) : loadModelPack(pack, dev);
  };
}

}  // namespace ns::ui
