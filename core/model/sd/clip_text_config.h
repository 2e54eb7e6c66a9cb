#pragma once
// ClipTextConfig: the shape of a CLIP text tower (SD 1.x: openai CLIP ViT-L/14; SD 2.x: OpenCLIP
// ViT-H/14), read from the tensor shapes of Hugging Face CLIPTextModel names ("text_model.*"; an
// OpenCLIP tower goes through openClipToHf first).
//
// What the weights cannot say is decided by the caller from the family:
//   - heads: D/64 unless given (both real towers use 64-wide heads: ViT-L 768/12, ViT-H 1024/16);
//   - activation: SD 1.x QuickGelu, SD 2.x Gelu (a diffusers config.json says it in "hidden_act";
//     see activationFromName). inferClipTextConfig leaves it Invalid and ClipTextModel refuses that;
//   - skipLastLayers: which hidden state SD feeds the UNet. SD 1.x: 0 (last block). SD 2.x single
//     files hold 24 blocks and use the penultimate: 1. A diffusers SD 2.x text_encoder already has
//     only 23 blocks: 0.
// Thread: plain data.

#include <cstdint>
#include <optional>
#include <string>

#include "core/model/sd/weight_map.h"
#include "core/util/result.h"

namespace ns::sd {

struct ClipTextConfig {
  enum class Activation {
    Invalid = 0,  // not decided yet (the weights do not say)
    QuickGelu,    // x * sigmoid(1.702 x): openai CLIP (SD 1.x)
    Gelu,         // exact erf GELU: OpenCLIP ViT-H (SD 2.x)
  };
  int64_t vocabSize = 0;     // rows of the token embedding (49408 in the real towers)
  int64_t width = 0;         // D: 768 (ViT-L), 1024 (ViT-H)
  int64_t layers = 0;        // residual blocks stored in the weights
  int64_t heads = 0;         // attention heads; width % heads == 0
  int64_t maxPositions = 0;  // rows of the position embedding (77)
  Activation activation = Activation::Invalid;
  int skipLastLayers = 0;    // blocks not run at the end (SD 2.x single files: 1)

  int64_t mlpWidth = 0;      // rows of fc1: 4·D in both real towers

  int64_t usedLayers() const { return layers - skipLastLayers; }
};

// Sizes from `w` (HF names). heads: D/64 when not given. Fails naming `sourceForErrors` and the
// tensor when a required tensor is missing, has the wrong rank, or the block numbering has a gap.
// `text_model.embeddings.position_ids` is never required.
Result<ClipTextConfig> inferClipTextConfig(const WeightMap& w, const std::string& sourceForErrors,
                                           std::optional<int64_t> heads = std::nullopt);

// "quick_gelu" -> QuickGelu, "gelu" -> Gelu (transformers' hidden_act names), anything else Invalid.
ClipTextConfig::Activation activationFromName(const std::string& name);
const char* toString(ClipTextConfig::Activation a);

}  // namespace ns::sd
