#pragma once
// Denoiser: the network a sampler calls. Implementations: BuiltinUNet (torch::nn, C++) and
// TorchScript model packs. Thread contract: a Denoiser is used by one thread at a time (the
// model thread); predict() must be deterministic for the same inputs (no dropout in eval).

#include <ATen/core/Tensor.h>

#include <string>

#include "core/model/schedule_config.h"

namespace ns {

// What the network outputs. Persisted by name ("epsilon", "v_prediction", "sample").
enum class PredictionType {
  Invalid = 0,
  Epsilon,      // ε̂
  VPrediction,  // v̂ = √ᾱ·ε − √(1−ᾱ)·x0
  Sample,       // x̂0
};
std::string toString(PredictionType p);
PredictionType predictionTypeFromString(const std::string& s);  // Invalid if unknown

struct DenoiserInfo {
  std::string id;            // model id stored in projects and noise files, e.g. "builtin-shapes-v1"
  int channels = 4;          // channels of x_t (latent channels for latent models)
  int sampleSize = 16;       // native spatial size of x_t (latent pixels)
  int sizeMultiple = 4;      // x_t height/width must be multiples of this
  bool isVideo = false;      // video models take x_t [B,C,F,H,W]; image models [B,C,H,W]
  PredictionType prediction = PredictionType::Epsilon;
  ScheduleConfig schedule;
};

// Conditioning for one batch. `context` is whatever the denoiser consumes: token ids [B,L]
// (int64, built-in model) or text embeddings [B,L,D] (float, packs). Row b conditions batch row b.
struct Conditioning {
  at::Tensor context;
  // Concatenates along the batch (for [uncond, cond] CFG batches). Defined in conditioning.cpp.
  static Conditioning cat(const Conditioning& a, const Conditioning& b);
  // Repeats every row n times along the batch (broadcast one prompt over frames).
  Conditioning repeat(int64_t n) const;
  int64_t batch() const;
};

class Denoiser {
 public:
  virtual ~Denoiser() = default;
  virtual const DenoiserInfo& info() const = 0;
  // x_t: [B,C,H,W] (image) or [B,C,F,H,W] (video); t: [B] int64 training timesteps;
  // cond.batch() == B. Returns the prediction in info().prediction's parameterisation, same shape as x_t.
  virtual at::Tensor predict(const at::Tensor& x_t, const at::Tensor& t, const Conditioning& cond) = 0;
};

}  // namespace ns
