#include "ui/jobs/model_loader.h"

#include "core/model/model_bundle.h"
#include "core/util/torch_runtime.h"

#if __has_include("core/model/builtin_model.h")
#include "core/model/builtin_model.h"
#define NS_UI_HAVE_BUILTIN 1
#endif
// Model packs: wired when core/model grows a pack loader (see canLoadModelPacks).

namespace ns::ui {

bool canLoadBuiltinModel() {
#ifdef NS_UI_HAVE_BUILTIN
  return true;
#else
  return false;
#endif
}

bool canLoadModelPacks() {
#ifdef NS_UI_HAVE_PACKS
  return true;
#else
  return false;
#endif
}

ModelLoaderFn modelLoader(const ModelChoice& choice) {
  const std::string device = choice.device.toStdString();
  const std::string pack = choice.packDir.toStdString();
  const ModelSource source = choice.source;
  return [=]() -> Result<ModelBundle> {
    const std::string dev = resolveDevice(device);
    if (source == ModelSource::Builtin) {
#ifdef NS_UI_HAVE_BUILTIN
      const std::string dir = findBuiltinModelDir();
      if (dir.empty())
        return makeError(ErrorKind::Model, "the built-in model was not found (set NS_BUILTIN_MODEL_DIR or install resources/models/builtin)");
      return loadBuiltinModel(dir, dev);
#else
      return makeError(ErrorKind::Model, "this build has no built-in model loader yet");
#endif
    }
#ifdef NS_UI_HAVE_PACKS
    return loadModelPack(pack, dev);
#else
    return makeError(ErrorKind::Model, pack + ": this build cannot load model packs yet");
#endif
  };
}

}  // namespace ns::ui
