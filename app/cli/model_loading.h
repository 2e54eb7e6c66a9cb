#pragma once
// Loads the model a CLI verb runs with: --model FILE_OR_FOLDER (a Stable Diffusion .safetensors /
// .ckpt file or diffusers folder, or a model pack folder), or the built-in model.

#include "app/cli/cli_common.h"
#include "core/model/model_bundle.h"
#include "core/model/sd/sd_model.h"

namespace ns::cli {

Result<ModelBundle> loadModelFor(const GlobalOptions& g);

// How to read a Stable Diffusion checkpoint, from the global options (and the free memory of
// --device, so an oversized file is refused before loading).
Result<sd::SdLoadOptions> sdLoadOptionsFor(const GlobalOptions& g);

}  // namespace ns::cli
