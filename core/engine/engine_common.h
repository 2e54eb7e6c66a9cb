#pragma once
// Pieces every engine verb shares: prompt encoding with notes, request validation, seeded noise.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/model/model_bundle.h"
#include "core/util/result.h"

namespace ns::engine {

struct PromptPair {
  Conditioning cond;
  Conditioning uncond;
  std::vector<std::string> notes;  // e.g. "unknown words in the prompt: 'unicorn'"
};
Result<PromptPair> encodePrompts(ModelBundle& model, const std::string& prompt, const std::string& negative);

// Latent size for a pixel size (0 = native); errors when not a multiple of the model's grid.
Result<int> latentSizeFor(const ModelBundle& model, int pixelSize);

// Latent height and width for a pixel width x height; both 0 = the native square size. Errors
// name both sides when either is not a multiple of the model's grid or one alone is given.
struct LatentDims {
  int height = 0, width = 0;
};
Result<LatentDims> latentDimsFor(const ModelBundle& model, int pixelWidth, int pixelHeight);

// Seeded standard normal noise of `shape` drawn on the CPU (same numbers on every device), moved to `device`.
at::Tensor seededNoise(at::IntArrayRef shape, uint64_t seed, const std::string& device);

// Runs `fn` turning c10::Error / std::exception into ErrorKind::Model errors (the module boundary).
template <class F>
auto guarded(const char* what, F&& fn) -> decltype(fn());

}  // namespace ns::engine

#include "core/engine/engine_common_inl.h"
