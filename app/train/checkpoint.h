#pragma once
// Checkpoints of the training stages: modules, optimizer state and a JSON "meta" (step, target
// steps, wall time, losses, anything the export needs) in one torch::save archive. Written
// atomically (temp file, fsync, rename) so an interrupted save never leaves a broken checkpoint.
// Thread contract: training thread only.

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

#include "core/util/result.h"

namespace torch::nn {
class Module;
}
namespace torch::optim {
class Optimizer;
}

namespace ns::train {

using NamedModules = std::vector<std::pair<std::string, torch::nn::Module*>>;

// Saves `modules` (each under its name), `optimizer` (may be null) and `meta` to `path`.
Result<void> saveCheckpoint(const std::string& path, const NamedModules& modules, torch::optim::Optimizer* optimizer,
                            const nlohmann::json& meta);

// Loads into the given modules/optimizer (tensors go to `device`) and returns the meta. A module
// named here but absent from the file is an error naming the file and the module.
Result<nlohmann::json> loadCheckpoint(const std::string& path, const NamedModules& modules,
                                      torch::optim::Optimizer* optimizer, const std::string& device);

// Only the meta (cheap enough: the archive is read, no module is touched).
Result<nlohmann::json> readCheckpointMeta(const std::string& path);

bool fileExists(const std::string& path);

}  // namespace ns::train

#include "app/train/train_options.h"

namespace ns::train {
// On --resume: the checkpoint must come from the same seed and dataset size, since the data
// is regenerated from them. Error (BadInput) naming the checkpoint and both values otherwise.
Result<void> checkResumeMatches(const nlohmann::json& meta, const TrainOptions& options, int64_t datasetSize,
                                const std::string& path);
}  // namespace ns::train
