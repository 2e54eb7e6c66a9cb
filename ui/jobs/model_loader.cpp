// ATen-using core headers first: Qt's keyword macros (signals, slots, emit) clash with them.
#include "core/engine/engine.h"
#include "core/jobs/job_context.h"
#include "core/model/builtin_model.h"
#include "core/model/model_loader.h"
#include "core/util/torch_runtime.h"

#include "ui/jobs/model_loader.h"

#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>

#include <algorithm>
#include <stdexcept>

namespace ns::ui {

namespace {

// Thrown from the load's progress callback when the job is cancelled: the only way to stop
// loadSdModel between its parts. The worker catches it (as any exception) and, seeing the
// cancelled context, reports a cancel rather than an error.
struct LoadCancelled : std::runtime_error {
  LoadCancelled() : std::runtime_error("model load cancelled") {}
};

int positiveEnv(const char* name) {
  bool ok = false;
  const int v = qEnvironmentVariableIntValue(name, &ok);
  return ok && v > 0 ? v : 0;
}

}  // namespace

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

QString builtinMotionModulePath() {
  const std::string dir = findBuiltinModelDir();
  if (dir.empty()) return {};
  const QString file = QString::fromStdString(dir) + QStringLiteral("/motion.safetensors");
  return QFileInfo::exists(file) ? QFileInfo(file).absoluteFilePath() : QString();
}

ModelLoaderFn modelLoader(const ModelChoice& choice) {
  const std::string device = choice.device.toStdString();
  const std::string motion = choice.motionModule.toStdString();
  const std::string path = choice.path.toStdString();
  const ModelSource source = choice.source;
  sd::SdLoadOptions sdOptions;
  sdOptions.unetHeads.heads = positiveEnv("NS_SD_UNET_HEADS");
  sdOptions.textHeads = positiveEnv("NS_SD_TEXT_HEADS");
  return [=](JobContext& ctx) -> Result<ModelBundle> {
    const std::string dev = resolveDevice(device);
    std::string where = path;
    if (source == ModelSource::Builtin) {
      where = findBuiltinModelDir();
      if (where.empty())
        return makeError(ErrorKind::Model, "the built-in model was not found (set NS_BUILTIN_MODEL_DIR or install resources/models/builtin)");
    } else if (where.empty()) {
      return makeError(ErrorKind::BadInput, "choose a model-pack folder or a checkpoint first");
    }
    ModelLoadOptions options;
    options.device = dev;
    options.sd = sdOptions;
    options.sd.motionModule = motion;  // the loader checks that it goes with this model
    // Read now, on the model thread: what is free when the load starts, not when it was queued.
    if (auto mem = availableMemory(dev)) options.sd.availableBytes = uint64_t(std::max<int64_t>(mem->bytes, 0));
    options.sd.progress = [&ctx](const std::string& part, int done, int total) {
      if (!ctx.report(done, total, "load " + part)) throw LoadCancelled();
    };
    try {
      return loadModel(where, options);
    } catch (const LoadCancelled&) {
      return makeError(ErrorKind::Cancelled, where + ": model load cancelled");
    }
  };
}

}  // namespace ns::ui
