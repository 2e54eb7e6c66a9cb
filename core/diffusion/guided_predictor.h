#pragma once
// GuidedPredictor: one classifier-free-guided model evaluation per call, shared by the sampler
// and both inversions. Builds the [uncond; cond] conditioning batch once, runs the denoiser on
// [x; x] (or on x alone when guidance is off), applies CFG in the model's own parameterisation
// (linear, so equivalent to guiding ε) and returns (ε̂, x̂0) at the step's ᾱ.
//
// Batches: x has R rows (frames of an image model, or videos [R,C,F,H,W]). cond and uncond may
// have batch 1 (repeated to R) or R. Guidance is off when every scale is exactly 1.
// Thread: the caller's (the model thread); borrows the Denoiser, which must outlive it.
// predict() may throw c10::Error from the model; public entry points catch it.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "core/diffusion/sampler_steps.h"
#include "core/model/denoiser.h"
#include "core/util/result.h"

namespace ns {

struct Guidance {
  double scale = 1.0;           // w, used when perRow is empty
  std::vector<double> perRow;   // optional per-row w (size 1 or R)
  double guidanceRescale = 0.0; // φ of §7.5; 0 = off
};

class GuidedPredictor {
 public:
  // Checks batch sizes and the model's prediction type; errors name the offending input.
  static Result<GuidedPredictor> create(Denoiser& model, const Conditioning& cond, const Conditioning& uncond,
                                        const Guidance& guidance, int64_t rows);

  // (ε̂, x̂0) of x at timestep t (ᾱ_t = alphaBar). x must have `rows` rows.
  PredictionPair predict(const at::Tensor& x, int64_t t, double alphaBar);
  // The raw guided output in the model's parameterisation (before conversion).
  at::Tensor guidedOutput(const at::Tensor& x, int64_t t);

  bool usesGuidance() const { return m_guided; }
  int64_t modelCalls() const { return m_calls; }

 private:
  GuidedPredictor(Denoiser& model) : m_model(&model) {}
  at::Tensor callModel(const at::Tensor& x, int64_t t, const Conditioning& c);
  at::Tensor scaleTensor(const at::Tensor& like);

  Denoiser* m_model;
  Conditioning m_cond;      // R rows
  Conditioning m_uncond;    // R rows
  Conditioning m_both;      // 2R rows [uncond; cond], when both contexts are defined
  Guidance m_guidance;
  bool m_guided = false;
  int64_t m_rows = 0;
  at::Tensor m_scaleCache;  // per-row scales shaped for x, built on first use
  int64_t m_calls = 0;
};

}  // namespace ns
