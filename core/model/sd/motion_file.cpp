#include "core/model/sd/motion_file.h"

#include <ATen/core/Tensor.h>

#include <filesystem>

#include "core/model/checkpoint/torch_checkpoint.h"
#include "core/model/safetensors.h"

namespace ns::sd {

namespace fs = std::filesystem;

namespace {
std::string lowerExtension(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  for (auto& c : ext) c = char(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}
}  // namespace

bool isMotionModulePath(const std::string& path) {
  const std::string ext = lowerExtension(path);
  return ext == ".safetensors" || ext == ".ckpt" || ext == ".pt" || ext == ".pth";
}

Result<MotionModuleFile> motionModuleFromWeights(const WeightMap& stored, const std::string& source, int heads) {
  MotionModuleFile f;
  f.source = source;
  std::string naming;
  int pe = -1;
  auto canonical = canonicalMotionWeights(stored, source, &naming, &pe);
  if (!canonical.ok()) return canonical.error();
  auto cfg = inferMotionConfig(*canonical, source, heads);
  if (!cfg.ok()) return cfg.error();
  f.config = *cfg;
  f.config.naming = naming;
  f.config.maxFramesFromFile = pe > 0;
  if (pe > 0) f.config.maxFrames = pe;
  f.weights = std::move(*canonical);
  return f;
}

Result<MotionModuleFile> readMotionModuleFile(const std::string& path, int heads) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    return makeError(ErrorKind::BadInput, path + ": motion module file not found");
  if (!isMotionModulePath(path))
    return makeError(ErrorKind::BadInput, path + ": a motion module must be a .safetensors or .ckpt/.pt/.pth file");
  WeightMap stored;
  if (lowerExtension(path) == ".safetensors") {
    auto st = mapSafetensors(path);
    if (!st.ok()) return st.error();
    stored = std::move(st->tensors);
  } else {
    auto ck = readTorchCheckpoint(path);
    if (!ck.ok()) return ck.error();
    stored = std::move(*ck);
  }
  auto f = motionModuleFromWeights(stored, path, heads);
  if (!f.ok()) return f.error();
  f->fileBytes = uint64_t(fs::file_size(path, ec));
  return f;
}

}  // namespace ns::sd
