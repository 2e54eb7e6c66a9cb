#pragma once
// TorchscriptModule: one TorchScript file (a model pack's denoiser.pt, vae_encoder.pt, ...) loaded
// with torch::jit::load onto a device, in eval mode. Pimpl keeps torch/script.h out of headers, so
// only torchscript_module.cpp pays for the JIT headers.
// Thread contract: like Denoiser, used by one thread at a time; forward() is deterministic for
// modules without randomness. Callers create c10::InferenceMode on their own thread.

#include <ATen/core/Tensor.h>

#include <memory>
#include <string>
#include <vector>

#include "core/util/result.h"

namespace ns {

class TorchscriptModule {
 public:
  ~TorchscriptModule();
  TorchscriptModule(const TorchscriptModule&) = delete;
  TorchscriptModule& operator=(const TorchscriptModule&) = delete;

  // Loads `file` onto `device` ("cpu"/"cuda"). `field` is the model.json field that named the file
  // (e.g. "files.denoiser"); every error names both. Missing file: ErrorKind::Io; a file that is
  // not a TorchScript archive or has no forward(): ErrorKind::Model.
  static Result<std::shared_ptr<TorchscriptModule>> load(const std::string& file, const std::string& field,
                                                         const std::string& device);

  // Calls forward(inputs...). A tuple/list result yields its first element (diffusers-style
  // outputs). Throws c10::Error when the module fails or does not return a tensor.
  at::Tensor forward(const std::vector<at::Tensor>& inputs);

  const std::string& file() const { return m_file; }
  const std::string& field() const { return m_field; }

 private:
  struct Impl;
  TorchscriptModule(std::unique_ptr<Impl> impl, std::string file, std::string field);
  std::unique_ptr<Impl> m_impl;
  std::string m_file;
  std::string m_field;
};

}  // namespace ns
