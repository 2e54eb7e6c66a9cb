#pragma once
// MotionModules: AnimateDiff's temporal transformers (VanillaTemporalModule ->
// TemporalTransformer3DModel, guoyww/AnimateDiff animatediff/models/motion_module.py) for every
// site of an SD UNet, in LibTorch C++. At each spatial position of each frame the module attends
// across the clip's frames:
//   GroupNorm(32, eps 1e-6) per frame -> proj_in (Linear) -> N x [for each attention block:
//   LayerNorm -> + sinusoidal position encoding over frames -> 8-head self-attention across frames
//   -> residual; LayerNorm -> GEGLU feed-forward -> residual] -> proj_out -> + input.
// The weights come from a file in the original names (motion_config.h canonicalises diffusers').
// Keeps torch/torch.h out of this header: the networks live in motion_module.cpp.
// Thread: one thread at a time (the model thread).

#include <ATen/core/Tensor.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/model/sd/motion_config.h"

namespace torch::nn {
class Module;
}

namespace ns::sd {

// Sees (and may replace) each temporal attention output before its residual add: out is
// [B·H·W, frames, inner] for the module at `site`, transformer block `block`, attention `attn`.
// For window fusion over long clips (FreeNoise) and for inspecting what a module attends to.
using TemporalAttentionHook =
    std::function<at::Tensor(const UnetSite& site, int block, int attn, const at::Tensor& out)>;

class MotionModules {
 public:
  // Builds every module of `config` and copies the canonical weights (fp32). Fails naming `source`
  // and the tensor when one is missing or misshaped.
  static Result<std::shared_ptr<MotionModules>> create(const MotionConfig& config, const WeightMap& canonical,
                                                       const std::string& source);
  // Random weights (seeded; proj_out not zeroed, unlike a fresh AnimateDiff module, so the module
  // does something): tests and cost benchmarks.
  static std::shared_ptr<MotionModules> createRandom(const MotionConfig& config, uint64_t seed);
  // A fresh module to train, initialised as AnimateDiff does: PyTorch's default init (seeded) and
  // every proj_out zeroed, so each module starts as the identity and the video model's first step
  // is exactly the image model run frame by frame.
  static std::shared_ptr<MotionModules> createForTraining(const MotionConfig& config, uint64_t seed);
  ~MotionModules();
  // The tensors (canonical names -> shapes) a file must hold for `config`, from the network itself
  // (built with uninitialised, untouched parameters: cheap even at full size). For checking key
  // lists of real files without their weights.
  static std::map<std::string, std::vector<int64_t>> expectedShapes(const MotionConfig& config);

  // h [(B·F), C, H, W] (frames folded into the batch, frame-major within each clip, as the
  // spatial layers see them) -> the same shape. No-op (returns h) for a site without a module.
  at::Tensor apply(const UnetSite& site, const at::Tensor& h, int64_t frames) const;
  bool has(const UnetSite& site) const;

  void setAttentionHook(TemporalAttentionHook hook);
  // Training (noisestudio-train --stage motion): apply() then records autograd (no inference
  // guard) and the network is in train mode. Off by default; inference callers never touch it.
  void setTraining(bool training);
  bool training() const;
  // The torch::nn module tree (parameter names = the file's canonical names): for optimisers,
  // checkpoints, EMA and export. Include <torch/torch.h> to use it.
  torch::nn::Module& network();
  const torch::nn::Module& network() const;
  const MotionConfig& config() const;
  int64_t parameterCount() const;
  void to(const std::string& device, at::ScalarType dtype);

 private:
  struct Impl;
  explicit MotionModules(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m;
};

}  // namespace ns::sd
