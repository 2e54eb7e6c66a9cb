#include "core/model/sd/diffusers_probe.h"

#include <filesystem>

#include "core/model/sd/diffusers_configs.h"
#include "core/model/sd/diffusers_folder.h"
#include "core/model/sd/diffusers_weights.h"

namespace ns::sd {

Result<DiffusersProbe> probeDiffusersFolder(const std::string& dir) {
  auto texts = readDiffusersConfigTexts(dir);
  if (!texts.ok()) return texts.error();
  auto configs = parseDiffusersConfigs(*texts);
  if (!configs.ok()) return configs.error();
  DiffusersProbe p = configs->probe;
  for (const char* file : {"tokenizer/vocab.json", "tokenizer/merges.txt"}) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(std::filesystem::path(dir) / file, ec))
      return makeError(ErrorKind::Model, dir + ": missing " + std::string(file) + " (the CLIP tokenizer's vocabulary)");
  }
  // Size the same files readDiffusersFolder would read (default options); a missing part is
  // reported here already, so the dock does not list a folder that cannot load.
  const std::pair<const char*, const char*> parts[] = {
      {"unet", "diffusion_pytorch_model"}, {"vae", "diffusion_pytorch_model"}, {"text_encoder", "model"}};
  for (const auto& [part, base] : parts) {
    auto files = findDiffusersWeights(dir, part, base, /*preferFp16=*/false);
    if (!files.ok()) return files.error();
    p.totalWeightBytes += files->bytes;
  }
  return p;
}

}  // namespace ns::sd
