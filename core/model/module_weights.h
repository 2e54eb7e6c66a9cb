#pragma once
// Moves torch::nn module state to and from flat name -> tensor maps (the safetensors contents).
// Includes torch/torch.h: for code that builds or trains torch::nn modules only.

#include <torch/torch.h>

#include <map>
#include <string>

#include "core/util/result.h"

namespace ns {

// Named parameters AND buffers of `m`, keys prefixed ("unet." ...), detached, on the CPU,
// contiguous. Floating-point tensors are converted to `dtype` (F16 for shipping, F32 for
// checkpoints); integer/bool buffers keep their type.
std::map<std::string, at::Tensor> moduleState(const torch::nn::Module& m, const std::string& prefix,
                                              at::ScalarType dtype);

// Copies tensors "prefix<name>" into m's parameters/buffers (converting dtype and device).
// Fails, naming `fileForErrors` and the tensor, when one is missing or has the wrong shape;
// nothing is copied unless every tensor is present and well shaped. Extra tensors under the
// prefix are logged as warnings.
Result<void> loadModuleState(torch::nn::Module& m, const std::map<std::string, at::Tensor>& tensors,
                             const std::string& prefix, const std::string& fileForErrors);

}  // namespace ns
