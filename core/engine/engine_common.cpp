#include "core/engine/engine_common.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

namespace ns::engine {

Result<PromptPair> encodePrompts(ModelBundle& model, const std::string& prompt, const std::string& negative) {
  PromptPair p;
  auto c = model.text->encode(prompt);
  if (!c.ok()) return c.error();
  auto u = model.text->encode(negative);
  if (!u.ok()) return u.error();
  p.cond = c->cond;
  p.uncond = u->cond;
  auto note = [&p](const std::vector<std::string>& words, const char* which) {
    if (words.empty()) return;
    std::string list;
    for (const auto& w : words) list += (list.empty() ? "'" : ", '") + w + "'";
    p.notes.push_back(std::string("the model does not know these words in the ") + which + ": " + list +
                      " (they are ignored)");
  };
  note(c->unknownWords, "prompt");
  note(u->unknownWords, "negative prompt");
  return p;
}

Result<int> latentSizeFor(const ModelBundle& model, int pixelSize) {
  const auto& info = model.denoiser->info();
  const int down = model.codec->downscale();
  if (pixelSize <= 0) return info.sampleSize;
  const int grid = down * info.sizeMultiple;
  if (pixelSize % grid != 0 || pixelSize < grid || pixelSize > 4096)
    return makeError(ErrorKind::BadInput, "size " + std::to_string(pixelSize) + " must be a multiple of " +
                                              std::to_string(grid) + " between " + std::to_string(grid) + " and 4096");
  return pixelSize / down;
}

Result<LatentDims> latentDimsFor(const ModelBundle& model, int pixelWidth, int pixelHeight) {
  if (pixelWidth == 0 && pixelHeight == 0) {
    auto side = latentSizeFor(model, 0);
    if (!side.ok()) return side.error();
    return LatentDims{*side, *side};
  }
  if (pixelWidth <= 0 || pixelHeight <= 0)
    return makeError(ErrorKind::BadInput, "give both width and height (got " + std::to_string(pixelWidth) + " x " +
                                              std::to_string(pixelHeight) + ")");
  auto w = latentSizeFor(model, pixelWidth);
  if (!w.ok()) return makeError(ErrorKind::BadInput, "width: " + w.error().message);
  auto h = latentSizeFor(model, pixelHeight);
  if (!h.ok()) return makeError(ErrorKind::BadInput, "height: " + h.error().message);
  return LatentDims{*h, *w};
}

at::Tensor seededNoise(at::IntArrayRef shape, uint64_t seed, const std::string& device) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  at::Tensor n = at::randn(shape, gen, at::TensorOptions().dtype(at::kFloat));
  return device == "cpu" ? n : n.to(at::Device(device));
}

}  // namespace ns::engine
