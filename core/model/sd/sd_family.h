#pragma once
// SdFamily: which Stable Diffusion generation a checkpoint belongs to. It decides what the weights
// alone cannot say: the text tower (SD 1.x: CLIP ViT-L, last layer; SD 2.x: OpenCLIP ViT-H,
// penultimate layer), the head split and the default image size. Families NoiseStudio cannot run
// (SDXL, SD3, Flux ...) are refused by name before they get a value here.

#include <string>

namespace ns::sd {

// Persisted by name ("sd1", "sd2"); add new values at the end.
enum class SdFamily {
  Invalid = 0,
  Sd1,  // Stable Diffusion 1.x: cross-attention context 768 (CLIP ViT-L/14)
  Sd2,  // Stable Diffusion 2.x: cross-attention context 1024 (OpenCLIP ViT-H/14)
};

inline std::string toString(SdFamily f) {
  switch (f) {
    case SdFamily::Sd1: return "sd1";
    case SdFamily::Sd2: return "sd2";
    default: return "invalid";
  }
}

}  // namespace ns::sd
