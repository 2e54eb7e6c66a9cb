#pragma once
// WeightMap: a checkpoint's tensors by name, exactly as stored (F32, F16 or BF16; CPU; possibly
// views of a memory-mapped file that the tensors keep alive). Every checkpoint reader (single-file
// safetensors, diffusers folders, the restricted .ckpt reader) produces one; the architectures in
// core/model/sd consume it through loadModuleState (core/model/module_weights.h), which converts
// each tensor once to the parameter's dtype.
//
// Names are in the original LDM layout ("model.diffusion_model.*", "first_stage_model.*") or,
// for text encoders, Hugging Face CLIP's ("text_model.*") once a layout table has rewritten them.

#include <ATen/core/Tensor.h>

#include <map>
#include <string>

namespace ns::sd {

using WeightMap = std::map<std::string, at::Tensor>;

}  // namespace ns::sd
