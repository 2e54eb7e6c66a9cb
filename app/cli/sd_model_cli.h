#pragma once
// The Stable Diffusion parts of `noisestudio-cli model` (cmd_model_sd.cpp).

#include <string>

#include "app/cli/cli_common.h"

namespace ns::cli {

// `model info PATH` for a .safetensors/.ckpt file or diffusers folder.
int runSdModelInfo(const GlobalOptions& g, const std::string& path);
// `model run PATH --inputs IN -o OUT`.
void addModelRunCommand(CLI::App& model, GlobalOptions& g, CommandTable& table);

}  // namespace ns::cli
