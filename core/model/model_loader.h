#pragma once
// loadModel: the one door through which every model comes in, whatever the path is —
//   - a folder with model.json: the built-in model (format "noisestudio-model") or a TorchScript
//     model pack (anything else, so the pack validation explains what is wrong);
//   - a Stable Diffusion 1.x/2.x checkpoint: a .safetensors / .ckpt / .pt file or a diffusers folder
//     (model_index.json), built into native networks (core/model/sd).
// The CLI (--model) and the window (model dock, drops) both call it, on the thread that will own
// the model.

#include <string>

#include "core/model/model_bundle.h"
#include "core/model/sd/sd_model.h"
#include "core/util/result.h"

namespace ns {

struct ModelLoadOptions {
  std::string device = "cpu";  // already resolved ("cpu" or "cuda")
  sd::SdLoadOptions sd;        // how to read a Stable Diffusion checkpoint (device is set from above)
};

// What kind of model a path holds, from its name and folder contents only (nothing is read).
enum class ModelPathKind {
  Invalid = 0,      // nothing loadable there
  ModelFolder,      // model.json: built-in format or a pack
  SdCheckpoint,     // .safetensors / .ckpt / .pt / .pth file, or a diffusers folder
};
ModelPathKind modelPathKind(const std::string& path);

Result<ModelBundle> loadModel(const std::string& path, const ModelLoadOptions& options);

// A Stable Diffusion file or folder described without building anything (for listings): family
// ("sd1"/"sd2"), layout, storage dtypes and size on disk. Refuses unsupported families by name.
struct ModelProbe {
  std::string family, layout;
  std::string storageDtype;  // the most common float dtype, e.g. "F16"
  uint64_t bytes = 0;
};
Result<ModelProbe> probeSdModel(const std::string& path);

}  // namespace ns
