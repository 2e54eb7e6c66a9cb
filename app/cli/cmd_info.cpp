// `noisestudio-cli info`: versions and what this build can use (BLAS, threads, CUDA).
#include <nlohmann/json.hpp>

#include <iostream>

#include "app/cli/commands.h"
#include "core/util/torch_runtime.h"

namespace ns::cli {

void addInfoCommand(CLI::App& app, GlobalOptions& g, CommandTable& table) {
  auto* sub = app.add_subcommand("info", "Show the version, LibTorch, threads, BLAS and CUDA availability");
  table.add(sub, [&g]() {
    const RuntimeInfo rt = initTorchRuntime();
    if (g.json) {
      nlohmann::json j{{"ok", true},          {"version", NS_VERSION}, {"torch", rt.torchVersion},
                       {"threads", rt.threads}, {"fast_blas", rt.fastBlas}, {"cuda", rt.cudaAvailable}};
      std::cout << j.dump(2) << std::endl;
    } else {
      std::cout << "NoiseStudio " << NS_VERSION << "\nLibTorch " << rt.torchVersion << ", " << rt.threads
                << " threads, fast BLAS: " << (rt.fastBlas ? "yes" : "no")
                << ", CUDA: " << (rt.cudaAvailable ? "yes" : "no") << std::endl;
    }
    return kExitOk;
  });
}

}  // namespace ns::cli
