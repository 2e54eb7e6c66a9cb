#include "core/model/model_loader.h"

#include <algorithm>
#include <filesystem>

#include "core/model/builtin_model.h"
#include "core/model/builtin_video_model.h"
#include "core/model/model_pack.h"
#include "core/model/sd/diffusers_probe.h"

namespace ns {

namespace fs = std::filesystem;

ModelPathKind modelPathKind(const std::string& path) {
  std::error_code ec;
  if (path.empty()) return ModelPathKind::Invalid;
  if (sd::isSdModelPath(path) && fs::exists(path, ec)) return ModelPathKind::SdCheckpoint;
  if (fs::is_regular_file(fs::path(path) / "model.json", ec)) return ModelPathKind::ModelFolder;
  return ModelPathKind::Invalid;
}

Result<ModelBundle> loadModel(const std::string& path, const ModelLoadOptions& o) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return makeError(ErrorKind::BadInput, path + ": model file or folder not found");
  switch (modelPathKind(path)) {
    case ModelPathKind::SdCheckpoint: {
      sd::SdLoadOptions so = o.sd;
      so.device = o.device;
      auto m = sd::loadSdModel(path, so);
      if (!m.ok()) return m.error();
      auto b = sd::toModelBundle(*m);
      if (b.ok()) b->device = o.device;
      return b;
    }
    case ModelPathKind::ModelFolder: {
      auto format = modelFolderFormat(path);
      if (!format.ok()) return format.error();
      if (!o.sd.motionModule.empty() && *format != "noisestudio-model")
        return makeError(ErrorKind::BadInput, o.sd.motionModule + ": a motion module goes with a Stable Diffusion "
                                                                  "model or the built-in model, not with the pack " +
                                                  path);
      // The built-in model + its motion file is the built-in video model (builtin_video_model.h).
      auto bundle = *format != "noisestudio-model" ? loadModelPack(path, o.device)
                    : o.sd.motionModule.empty()    ? loadBuiltinModel(path, o.device)
                                                   : loadBuiltinVideoModel(path, o.sd.motionModule, o.device);
      if (!bundle.ok()) {
        Error e = bundle.error();
        if (e.kind == ErrorKind::BadInput) e.kind = ErrorKind::Model;
        return e;
      }
      return bundle;
    }
    default:
      return makeError(ErrorKind::BadInput, path + ": not a model (expected a .safetensors/.ckpt file, a diffusers "
                                                   "folder with model_index.json, or a folder with model.json)");
  }
}

Result<ModelProbe> probeSdModel(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    auto d = sd::probeDiffusersFolder(path);  // configs only
    if (!d.ok()) return d.error();
    ModelProbe p;
    p.family = sd::toString(d->family);
    p.layout = "diffusers";
    p.bytes = uint64_t(std::max<int64_t>(d->totalWeightBytes, 0));
    return p;
  }
  auto ck = sd::readSdSingleFile(path);  // maps the file: the header is read, the weights are not
  if (!ck.ok()) return ck.error();
  ModelProbe p;
  p.family = sd::toString(ck->family);
  p.layout = ck->layout;
  p.bytes = ck->fileBytes;
  int64_t best = -1;
  for (const auto& [dtype, count] : ck->storageDtypes)
    if (count > best) best = count, p.storageDtype = dtype;
  return p;
}

}  // namespace ns
