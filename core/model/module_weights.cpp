#include "core/model/module_weights.h"

#include <spdlog/spdlog.h>

#include <set>
#include <sstream>

namespace ns {

namespace {
std::string shapeString(at::IntArrayRef s) {
  std::ostringstream o;
  o << s;
  return o.str();
}
}  // namespace

std::map<std::string, at::Tensor> moduleState(const torch::nn::Module& m, const std::string& prefix,
                                              at::ScalarType dtype) {
  std::map<std::string, at::Tensor> out;
  auto add = [&](const std::string& name, const at::Tensor& t) {
    at::Tensor c = t.detach().to(at::kCPU);
    if (c.is_floating_point()) c = c.to(dtype);
    out[prefix + name] = c.contiguous();
  };
  for (const auto& p : m.named_parameters(/*recurse=*/true)) add(p.key(), p.value());
  for (const auto& b : m.named_buffers(/*recurse=*/true)) add(b.key(), b.value());
  return out;
}

Result<void> loadModuleState(torch::nn::Module& m, const std::map<std::string, at::Tensor>& tensors,
                             const std::string& prefix, const std::string& file) {
  std::vector<std::pair<at::Tensor, const at::Tensor*>> copies;
  std::set<std::string> used;
  auto match = [&](const std::string& name, const at::Tensor& target) -> Result<void> {
    const std::string key = prefix + name;
    auto it = tensors.find(key);
    if (it == tensors.end())
      return makeError(ErrorKind::Model, file + ": missing tensor '" + key + "' (weights do not match the architecture)");
    if (it->second.sizes() != target.sizes())
      return makeError(ErrorKind::Model, file + ": tensor '" + key + "' has shape " + shapeString(it->second.sizes()) +
                                             ", the model expects " + shapeString(target.sizes()));
    copies.emplace_back(target, &it->second);
    used.insert(key);
    return {};
  };
  for (const auto& p : m.named_parameters(true)) {
    auto r = match(p.key(), p.value());
    if (!r) return r;
  }
  for (const auto& b : m.named_buffers(true)) {
    auto r = match(b.key(), b.value());
    if (!r) return r;
  }
  // Validate everything first, then copy, so a failed load leaves the module untouched.
  torch::NoGradGuard noGrad;
  // copy_ converts dtype and device in one pass (no temporary of the converted tensor).
  for (auto& [target, src] : copies) target.copy_(*src);
  for (const auto& [key, t] : tensors) {
    if (key.compare(0, prefix.size(), prefix) == 0 && !used.count(key))
      spdlog::warn("{}: tensor '{}' is not used by the model", file, key);
  }
  return {};
}

}  // namespace ns
