#include "core/model/sd/diffusers_weights.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/model/checkpoint/torch_checkpoint.h"
#include "core/model/safetensors.h"
#include "core/util/atomic_file.h"

namespace ns::sd {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxIndexBytes = size_t(16) << 20;
constexpr size_t kMaxShards = 1000;

bool isFile(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

int64_t sizeOf(const fs::path& p) {
  std::error_code ec;
  const auto n = fs::file_size(p, ec);
  return ec ? 0 : int64_t(n);
}

// The index's tensor -> shard map. Shard names must be plain file names next to the index: an
// index may not send the reader elsewhere on disk.
Result<std::map<std::string, std::string>> readIndex(const std::string& indexPath, const std::string& shown) {
  auto text = readFileBytes(indexPath, kMaxIndexBytes);
  if (!text.ok()) return text.error();
  const nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return makeError(ErrorKind::Model, shown + ": not a valid JSON object");
  auto wm = j.find("weight_map");
  if (wm == j.end() || !wm->is_object() || wm->empty())
    return makeError(ErrorKind::Model, shown + ": field 'weight_map' must be a non-empty object of tensor -> shard file");
  std::map<std::string, std::string> out;
  std::set<std::string> shards;
  for (auto it = wm->begin(); it != wm->end(); ++it) {
    if (!it->is_string()) return makeError(ErrorKind::Model, shown + ": the shard of tensor '" + it.key() + "' must be a file name");
    const std::string f = it->get<std::string>();
    const bool plain = !f.empty() && f != "." && f != ".." && f.find('/') == std::string::npos &&
                       f.find('\\') == std::string::npos && f.find('\0') == std::string::npos;
    if (!plain || f.size() < 12 || f.compare(f.size() - 12, 12, ".safetensors") != 0)
      return makeError(ErrorKind::Model, shown + ": tensor '" + it.key() + "' names shard '" + f +
                                             "', not a .safetensors file name in the same folder");
    shards.insert(f);
    if (shards.size() > kMaxShards) return makeError(ErrorKind::Model, shown + ": more than 1000 shards");
    out[it.key()] = f;
  }
  return out;
}

}  // namespace

Result<DiffusersWeightFiles> findDiffusersWeights(const std::string& dir, const std::string& part,
                                                  const std::string& base, bool preferFp16) {
  const fs::path folder = fs::path(dir) / part;
  std::vector<std::string> single = {base + ".safetensors", base + ".fp16.safetensors"};
  std::vector<std::string> sharded = {base + ".safetensors.index.json", base + ".fp16.safetensors.index.json"};
  if (preferFp16) {
    std::swap(single[0], single[1]);
    std::swap(sharded[0], sharded[1]);
  }
  DiffusersWeightFiles out;
  for (const auto& name : single) {
    if (!isFile(folder / name)) continue;
    out.files = {(folder / name).string()};
    out.shown = part + "/" + name;
    out.bytes = sizeOf(folder / name);
    return out;
  }
  for (const auto& name : sharded) {
    if (!isFile(folder / name)) continue;
    out.index = (folder / name).string();
    out.shown = part + "/" + name;
    auto index = readIndex(out.index, (fs::path(dir) / out.shown).string());
    if (!index.ok()) return index.error();
    std::set<std::string> seen;
    for (const auto& [tensor, shard] : *index) {
      if (!seen.insert(shard).second) continue;
      if (!isFile(folder / shard))
        return makeError(ErrorKind::Model, (fs::path(dir) / out.shown).string() + ": its shard " + part + "/" + shard +
                                               " (tensor '" + tensor + "') is missing");
      out.files.push_back((folder / shard).string());
      out.bytes += sizeOf(folder / shard);
    }
    return out;
  }
  // torch.save pickles, read without executing them. transformers names the text encoder's
  // pytorch_model.bin, diffusers the UNet's/VAE's diffusion_pytorch_model.bin.
  std::vector<std::string> pickles = {base + ".bin", base + ".fp16.bin"};
  if (base == "model") pickles = {"pytorch_model.bin", "pytorch_model.fp16.bin", "model.bin", "model.fp16.bin"};
  if (preferFp16)
    for (size_t i = 0; i + 1 < pickles.size(); i += 2) std::swap(pickles[i], pickles[i + 1]);
  for (const auto& name : pickles) {
    if (!isFile(folder / name)) continue;
    out.files = {(folder / name).string()};
    out.shown = part + "/" + name;
    out.bytes = sizeOf(folder / name);
    out.pickle = true;
    return out;
  }
  for (const auto& index : {base + ".bin.index.json", base + ".fp16.bin.index.json", std::string("pytorch_model.bin.index.json")})
    if (isFile(folder / index))
      return makeError(ErrorKind::Model, (folder / index).string() +
                                             ": sharded PyTorch pickle weights are not supported; convert the folder "
                                             "to .safetensors (diffusers: save_pretrained(..., safe_serialization=True))");
  return makeError(ErrorKind::Model, dir + ": missing " + part + "/" + base + ".safetensors (the " + part +
                                         "'s weights; no fp16 or sharded variant either)");
}

Result<WeightMap> readDiffusersWeights(const DiffusersWeightFiles& files) {
  WeightMap out;
  std::map<std::string, std::string> index;
  if (!files.index.empty()) {
    auto idx = readIndex(files.index, files.index);
    if (!idx.ok()) return idx.error();
    index = std::move(*idx);
  }
  for (const auto& path : files.files) {
    // The one place weights are read: mapped, not copied (pages load on first touch).
    Result<WeightMap> read = files.pickle ? readTorchCheckpoint(path) : [&]() -> Result<WeightMap> {
      auto st = mapSafetensors(path);
      if (!st.ok()) return st.error();
      return std::move(st->tensors);
    }();
    if (!read.ok()) return read.error();
    const std::string shard = fs::path(path).filename().string();
    for (auto& [name, t] : *read) {
      if (!files.index.empty()) {
        auto it = index.find(name);
        if (it == index.end() || it->second != shard)
          spdlog::warn("{}: tensor '{}' is not listed for this shard in {}; read anyway", path, name, files.index);
      }
      if (!out.emplace(name, t).second)
        return makeError(ErrorKind::Model, path + ": tensor '" + name + "' is also in another shard of " + files.shown);
    }
  }
  for (const auto& [name, shard] : index)
    if (!out.count(name))
      return makeError(ErrorKind::Model, files.index + ": tensor '" + name + "' is listed in shard " + shard +
                                             " but not found there");
  return out;
}

}  // namespace ns::sd
