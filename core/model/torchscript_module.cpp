#include "core/model/torchscript_module.h"

#include <torch/script.h>

#include <filesystem>

namespace ns {

struct TorchscriptModule::Impl {
  torch::jit::Module module;
};

TorchscriptModule::TorchscriptModule(std::unique_ptr<Impl> impl, std::string file, std::string field)
    : m_impl(std::move(impl)), m_file(std::move(file)), m_field(std::move(field)) {}

TorchscriptModule::~TorchscriptModule() = default;

Result<std::shared_ptr<TorchscriptModule>> TorchscriptModule::load(const std::string& file, const std::string& field,
                                                                   const std::string& device) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    return makeError(ErrorKind::Io, file + ": file not found (named by model.json field '" + field + "')");
  auto impl = std::make_unique<Impl>();
  try {
    impl->module = torch::jit::load(file, at::Device(device));
  } catch (const c10::Error& e) {
    // torch::jit::load reports a zip/pickle failure in several lines; the first one says enough.
    std::string why = e.what_without_backtrace();
    if (auto nl = why.find('\n'); nl != std::string::npos) why = why.substr(0, nl);
    return makeError(ErrorKind::Model, file + " (model.json field '" + field +
                                           "'): not a readable TorchScript module (" + why + ")");
  } catch (const std::exception& e) {
    return makeError(ErrorKind::Model, file + " (model.json field '" + field +
                                           "'): not a readable TorchScript module (" + e.what() + ")");
  }
  if (!impl->module.find_method("forward"))
    return makeError(ErrorKind::Model, file + " (model.json field '" + field + "'): the module has no forward()");
  impl->module.eval();
  return std::shared_ptr<TorchscriptModule>(new TorchscriptModule(std::move(impl), file, field));
}

at::Tensor TorchscriptModule::forward(const std::vector<at::Tensor>& inputs) {
  std::vector<c10::IValue> args(inputs.begin(), inputs.end());
  c10::IValue out = m_impl->module.forward(args);
  if (out.isTuple()) {
    const auto& elems = out.toTupleRef().elements();
    TORCH_CHECK(!elems.empty(), m_file, ": forward() returned an empty tuple");
    out = elems[0];
  } else if (out.isList()) {
    auto list = out.toListRef();
    TORCH_CHECK(!list.empty(), m_file, ": forward() returned an empty list");
    out = list[0];
  }
  TORCH_CHECK(out.isTensor(), m_file, ": forward() must return a tensor, it returned ", out.tagKind());
  return out.toTensor();
}

}  // namespace ns
