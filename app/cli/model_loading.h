#pragma once
// Loads the model a CLI verb runs with: --model PACK, or the built-in model.

#include "app/cli/cli_common.h"
#include "core/model/model_bundle.h"

namespace ns::cli {

Result<ModelBundle> loadModelFor(const GlobalOptions& g);

}  // namespace ns::cli
