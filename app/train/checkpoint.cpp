#include "app/train/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>

namespace ns::train {

namespace {
void fsyncPath(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}
}  // namespace

bool fileExists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

Result<void> saveCheckpoint(const std::string& path, const NamedModules& modules, torch::optim::Optimizer* optimizer,
                            const nlohmann::json& meta) {
  const std::string tmp = path + ".tmp";
  try {
    torch::serialize::OutputArchive archive;
    for (const auto& [name, module] : modules) {
      torch::serialize::OutputArchive sub;
      module->save(sub);
      archive.write("module." + name, sub);
    }
    if (optimizer) {
      torch::serialize::OutputArchive sub;
      optimizer->save(sub);
      archive.write("optimizer", sub);
    }
    archive.write("meta", c10::IValue(meta.dump()));
    archive.save_to(tmp);
  } catch (const std::exception& e) {
    std::remove(tmp.c_str());
    return makeError(ErrorKind::Io, "cannot write checkpoint " + path + ": " + e.what());
  }
  fsyncPath(tmp);
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return makeError(ErrorKind::Io, "cannot rename " + tmp + " to " + path + ": " + ec.message());
  fsyncPath(std::filesystem::path(path).parent_path().string());
  return {};
}

Result<nlohmann::json> loadCheckpoint(const std::string& path, const NamedModules& modules,
                                      torch::optim::Optimizer* optimizer, const std::string& device) {
  if (!fileExists(path)) return makeError(ErrorKind::BadInput, "checkpoint " + path + " does not exist");
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path, at::Device(device));
    for (const auto& [name, module] : modules) {
      torch::serialize::InputArchive sub;
      if (!archive.try_read("module." + name, sub))
        return makeError(ErrorKind::BadInput, "checkpoint " + path + " has no module '" + name + "'");
      module->load(sub);
    }
    if (optimizer) {
      torch::serialize::InputArchive sub;
      if (!archive.try_read("optimizer", sub))
        return makeError(ErrorKind::BadInput, "checkpoint " + path + " has no optimizer state");
      optimizer->load(sub);
    }
    c10::IValue meta;
    if (!archive.try_read("meta", meta) || !meta.isString())
      return makeError(ErrorKind::BadInput, "checkpoint " + path + " has no meta record");
    return nlohmann::json::parse(meta.toStringRef());
  } catch (const std::exception& e) {
    return makeError(ErrorKind::BadInput, "cannot read checkpoint " + path + ": " + e.what());
  }
}

Result<nlohmann::json> readCheckpointMeta(const std::string& path) {
  return loadCheckpoint(path, {}, nullptr, "cpu");
}

}  // namespace ns::train

namespace ns::train {
Result<void> checkResumeMatches(const nlohmann::json& meta, const TrainOptions& options, int64_t datasetSize,
                                const std::string& path) {
  const uint64_t seed = meta.value("seed", uint64_t(0));
  const int64_t n = meta.value("dataset", int64_t(-1));
  if (seed != options.seed || n != datasetSize)
    return makeError(ErrorKind::BadInput, "checkpoint " + path + " was made with --seed " + std::to_string(seed) +
                                              " and " + std::to_string(n) + " scenes, but this run has --seed " +
                                              std::to_string(options.seed) + " and " + std::to_string(datasetSize) +
                                              " scenes: pass the same --seed/--dataset, or drop --resume to start over");
  return {};
}
}  // namespace ns::train
