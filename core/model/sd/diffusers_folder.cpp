#include "core/model/sd/diffusers_folder.h"

#include <ATen/core/Tensor.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>

#include "core/model/sd/diffusers_weights.h"
#include "core/util/atomic_file.h"

namespace ns::sd {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxConfigBytes = size_t(4) << 20;  // configs are a few kB; tokenizer_config may embed more

bool isFile(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

Result<std::string> readConfig(const std::string& dir, const char* file) {
  const fs::path p = fs::path(dir) / file;
  if (!isFile(p)) return makeError(ErrorKind::Model, dir + ": missing " + file + " (not a complete diffusers folder)");
  return readFileBytes(p.string(), kMaxConfigBytes);
}

Result<std::optional<std::string>> readOptionalConfig(const std::string& dir, const char* file) {
  if (!isFile(fs::path(dir) / file)) return std::optional<std::string>();
  auto text = readFileBytes((fs::path(dir) / file).string(), kMaxConfigBytes);
  if (!text.ok()) return text.error();
  return std::optional<std::string>(std::move(*text));
}

using NameMap = std::function<std::optional<std::string>(const std::string&)>;

// Reads one part's weights and renames each tensor into `out` under `prefix`; `reshape` fixes the
// tensors whose LDM shape differs (VAE attention). Returns the file it read, relative to dir.
Result<std::string> readPart(const std::string& dir, const char* part, const char* base, bool preferFp16,
                             const std::string& layoutNote, const NameMap& rename, const std::string& prefix,
                             WeightMap& out, int64_t& bytes, bool vaeReshape) {
  auto files = findDiffusersWeights(dir, part, base, preferFp16);
  if (!files.ok()) return files.error();
  const auto t0 = std::chrono::steady_clock::now();
  auto weights = readDiffusersWeights(*files);
  if (!weights.ok()) return weights.error();
  const std::string shown = (fs::path(dir) / files->shown).string();
  size_t count = 0;
  for (auto& [name, tensor] : *weights) {
    const auto mapped = rename(name);
    if (!mapped)
      return makeError(ErrorKind::Model, shown + ": tensor '" + name + "' has no place in the Stable Diffusion " + layoutNote);
    at::Tensor t = tensor;
    if (vaeReshape && vaeWeightIsConv1x1(*mapped) && t.dim() == 2) t = t.view({t.size(0), t.size(1), 1, 1});
    if (!out.emplace(prefix + *mapped, std::move(t)).second)
      return makeError(ErrorKind::Model, shown + ": tensor '" + name + "' maps to '" + prefix + *mapped +
                                             "', which another tensor of the folder already filled");
    ++count;
  }
  bytes += files->bytes;
  spdlog::info("{}: {} tensors, {:.1f} MB in {:.2f} s", shown, count, double(files->bytes) / 1e6,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return files->shown;
}

std::string levelsNote(const char* what, int levels, int perLevel, const char* configFile) {
  return std::string(what) + " layout of " + configFile + " (" + std::to_string(levels) + " levels, " +
         std::to_string(perLevel) + " ResBlocks per level)";
}

}  // namespace

Result<DiffusersConfigTexts> readDiffusersConfigTexts(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return makeError(ErrorKind::BadInput, dir + ": not a folder");
  if (!isFile(fs::path(dir) / kModelIndexFile))
    return makeError(ErrorKind::BadInput, dir + ": not a diffusers folder (no model_index.json)");
  DiffusersConfigTexts t;
  t.dir = dir;
  const std::pair<std::string*, const char*> required[] = {
      {&t.modelIndex, kModelIndexFile}, {&t.unet, kUnetConfigFile}, {&t.vae, kVaeConfigFile},
      {&t.textEncoder, kTextEncoderConfigFile}, {&t.scheduler, kSchedulerConfigFile}};
  for (const auto& [text, file] : required) {
    auto r = readConfig(dir, file);
    if (!r.ok()) return r.error();
    *text = std::move(*r);
  }
  auto tc = readOptionalConfig(dir, kTokenizerConfigFile);
  if (!tc.ok()) return tc.error();
  t.tokenizerConfig = std::move(*tc);
  auto sm = readOptionalConfig(dir, kSpecialTokensFile);
  if (!sm.ok()) return sm.error();
  t.specialTokensMap = std::move(*sm);
  return t;
}

Result<DiffusersFolder> readDiffusersFolder(const std::string& dir, const DiffusersReadOptions& opt) {
  auto texts = readDiffusersConfigTexts(dir);
  if (!texts.ok()) return texts.error();
  auto configs = parseDiffusersConfigs(*texts);
  if (!configs.ok()) return configs.error();
  DiffusersFolder f;
  f.dir = dir;
  f.configs = std::move(*configs);
  f.vocabPath = (fs::path(dir) / "tokenizer" / "vocab.json").string();
  f.mergesPath = (fs::path(dir) / "tokenizer" / "merges.txt").string();
  for (const auto& p : {f.vocabPath, f.mergesPath})
    if (!isFile(p))
      return makeError(ErrorKind::Model, dir + ": missing tokenizer/" + fs::path(p).filename().string() +
                                             " (the CLIP tokenizer's vocabulary)");

  int64_t& bytes = f.configs.probe.totalWeightBytes;
  if (opt.readUnet) {
    const DiffusersUnetLayout& l = f.configs.unetLayout;
    auto r = readPart(dir, "unet", "diffusion_pytorch_model", opt.preferFp16,
                      levelsNote("UNet", l.levels, l.layersPerBlock, kUnetConfigFile),
                      [&l](const std::string& n) { return diffusersUnetToLdm(n, l); }, kLdmUnetPrefix, f.weights,
                      bytes, false);
    if (!r.ok()) return r.error();
    f.unetFile = *r;
  }
  if (opt.readVae) {
    const DiffusersVaeLayout& l = f.configs.vaeLayout;
    auto r = readPart(dir, "vae", "diffusion_pytorch_model", opt.preferFp16,
                      levelsNote("VAE", l.levels, l.layersPerBlock, kVaeConfigFile),
                      [&l](const std::string& n) { return diffusersVaeToLdm(n, l); }, kLdmVaePrefix, f.weights, bytes,
                      true);
    if (!r.ok()) return r.error();
    f.vaeFile = *r;
  }
  if (opt.readTextEncoder) {
    // CLIPTextModel's own names are what the text tower loads; only check they are its names.
    auto keep = [](const std::string& n) -> std::optional<std::string> {
      if (n.rfind("text_model.", 0) == 0) return n;
      return std::nullopt;
    };
    auto r = readPart(dir, "text_encoder", "model", opt.preferFp16, "text encoder (CLIPTextModel: text_model.*)", keep,
                      "", f.textEncoder, bytes, false);
    if (!r.ok()) return r.error();
    f.textEncoderFile = *r;
  }
  return f;
}

}  // namespace ns::sd
