#pragma once
// ClipTextModel: the CLIP text transformer Stable Diffusion conditions on (SD 1.x: openai ViT-L/14,
// SD 2.x: OpenCLIP ViT-H/14), natively in LibTorch, loaded from Hugging Face CLIPTextModel names.
//
//   x = token_embedding[ids] + position_embedding[0..L)
//   usedLayers() times:  x += out_proj(causal_attention(layer_norm1(x)))      (pre-LN blocks)
//                        x += fc2(act(fc1(layer_norm2(x))))                 (act: quick_gelu or gelu)
//   return final_layer_norm(x)                                              (eps 1e-5)
// With skipLastLayers = 1 the last stored block is not run: SD 2.x's "penultimate" hidden state, to
// which SD still applies the final LayerNorm. No padding mask: SD attends over the padded sequence.
//
// Usage:
//   auto cfg = inferClipTextConfig(w, file);            cfg->activation = ...; cfg->skipLastLayers = ...;
//   auto model = ClipTextModel::fromWeights(w, *cfg, file);
//   at::Tensor hidden = (*model)->forward(ids);        // [B,L] int64 -> [B,L,D] float32
// Weights are converted once to fp32 (F16 subnormals kept). Thread: after fromWeights the model is
// immutable; forward() may run from several threads at once. Parameters live on the CPU.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>

#include "core/model/sd/clip_text_config.h"
#include "core/model/sd/weight_map.h"
#include "core/util/result.h"

namespace ns::sd {

class ClipTextModel {
 public:
  // Builds the tower for `config` and copies `hfNames` into it. Every tensor the used blocks need must
  // be present with exactly the expected shape; otherwise the error names `source` and the tensor.
  // Ignored: text_model.embeddings.position_ids (int or float) and the blocks skipped by
  // config.skipLastLayers. Fails on an Invalid activation or a config that does not add up.
  static Result<std::shared_ptr<ClipTextModel>> fromWeights(const WeightMap& hfNames, const ClipTextConfig& config,
                                                            const std::string& source);
  ~ClipTextModel();
  ClipTextModel(const ClipTextModel&) = delete;
  ClipTextModel& operator=(const ClipTextModel&) = delete;

  // ids [B,L] int64, 1 <= L <= maxPositions, every id < vocabSize -> [B,L,D] float32 on the CPU.
  // Throws c10::Error with a message naming the source on bad input (callers at a job boundary catch it).
  at::Tensor forward(const at::Tensor& ids) const;

  // Number of values in the parameters that run (embeddings, used blocks, final LayerNorm):
  // 123,060,480 for SD 1.x's ViT-L.
  int64_t parameterCount() const;
  // A parameter by its HF name (fp32), or an undefined tensor. For diagnostics and tests.
  at::Tensor parameter(const std::string& hfName) const;
  const ClipTextConfig& config() const;
  const std::string& source() const;

 private:
  struct Impl;
  explicit ClipTextModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

}  // namespace ns::sd
