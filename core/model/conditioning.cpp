#include <ATen/ATen.h>

#include "core/model/codec.h"
#include "core/model/denoiser.h"

namespace ns {

Conditioning Conditioning::cat(const Conditioning& a, const Conditioning& b) {
  return Conditioning{at::cat({a.context, b.context}, 0)};
}

Conditioning Conditioning::repeat(int64_t n) const {
  if (n == 1) return *this;
  return Conditioning{context.repeat_interleave(n, 0)};
}

int64_t Conditioning::batch() const { return context.defined() ? context.size(0) : 0; }

std::string toString(PredictionType p) {
  switch (p) {
    case PredictionType::Epsilon: return "epsilon";
    case PredictionType::VPrediction: return "v_prediction";
    case PredictionType::Sample: return "sample";
    default: return "invalid";
  }
}

PredictionType predictionTypeFromString(const std::string& s) {
  if (s == "epsilon") return PredictionType::Epsilon;
  if (s == "v_prediction") return PredictionType::VPrediction;
  if (s == "sample") return PredictionType::Sample;
  return PredictionType::Invalid;
}

at::Tensor IdentityCodec::encode(const at::Tensor& images) { return images; }
at::Tensor IdentityCodec::decode(const at::Tensor& latents) { return latents.clamp(-1.0, 1.0); }

}  // namespace ns
