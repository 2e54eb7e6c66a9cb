#include "app/cli/model_loading.h"

#include <filesystem>

#include "core/model/builtin_model.h"
#include "core/model/model_pack.h"
#include "core/util/torch_runtime.h"

namespace ns::cli {

Result<ModelBundle> loadModelFor(const GlobalOptions& g) {
  initTorchRuntime();
  const std::string device = resolveDevice(g.device);
  std::string dir = g.model;
  if (dir.empty()) {
    dir = findBuiltinModelDir();
    if (dir.empty())
      return makeError(ErrorKind::Model,
                       "the built-in model was not found (looked in $NS_BUILTIN_MODEL_DIR, <install>/share/noisestudio/"
                       "models/builtin and the source tree's resources/models/builtin)");
  }
  if (!std::filesystem::is_directory(dir)) return makeError(ErrorKind::BadInput, dir + ": model folder not found");
  // model.json's "format" picks the loader: the built-in format ("noisestudio-model", id
  // builtin-shapes-v1) or a TorchScript pack ("noisestudio-pack", and anything else, so its
  // validation explains what is wrong).
  auto format = modelFolderFormat(dir);
  if (!format.ok()) return format.error();
  const bool builtin = *format == "noisestudio-model";
  auto bundle = builtin ? loadBuiltinModel(dir, device) : loadModelPack(dir, device);
  if (!bundle.ok()) {
    Error e = bundle.error();
    if (e.kind == ErrorKind::BadInput) e.kind = ErrorKind::Model;
    return e;
  }
  return bundle;
}

}  // namespace ns::cli
