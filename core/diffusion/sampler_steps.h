#pragma once
// Sampler building blocks as pure functions on tensors (docs/algorithms.md §7.3–7.5). No state, no
// randomness of their own: noise is always passed in. Tensors are float32 (any device, any
// shape: image [B,C,H,W] or video [B,C,F,H,W]); ᾱ values are doubles from NoiseSchedule, where
// `alphaBar` is the ᾱ of the step's own timestep t and `alphaBarPrev` that of the timestep the
// step moves to (NoiseSchedule::finalAlphaBar() after the last one). Safe from any thread.

#include <ATen/core/Tensor.h>

#include "core/model/denoiser.h"

namespace ns {

// ε̂ and x̂0 of one model evaluation, whatever the model predicts.
struct PredictionPair {
  at::Tensor eps;  // ε̂
  at::Tensor x0;   // x̂0
};

// --- parameterisation conversions (§7.5), all at the ᾱ of x_t's timestep -------------------
at::Tensor epsToX0(const at::Tensor& x_t, const at::Tensor& eps, double alphaBar);
at::Tensor x0ToEps(const at::Tensor& x_t, const at::Tensor& x0, double alphaBar);
at::Tensor vToX0(const at::Tensor& x_t, const at::Tensor& v, double alphaBar);
at::Tensor vToEps(const at::Tensor& x_t, const at::Tensor& v, double alphaBar);
at::Tensor epsToV(const at::Tensor& x_t, const at::Tensor& eps, double alphaBar);
at::Tensor x0ToV(const at::Tensor& x_t, const at::Tensor& x0, double alphaBar);
// Any → any. Throws std::invalid_argument for PredictionType::Invalid.
at::Tensor convertPrediction(const at::Tensor& x_t, const at::Tensor& out, PredictionType from, PredictionType to,
                             double alphaBar);
// ε̂ and x̂0 from a model output in parameterisation `type`. Epsilon needs ᾱ > 0 and Sample
// needs ᾱ < 1 (use v-prediction under zero-terminal SNR, where ᾱ_T = 0).
PredictionPair splitPrediction(const at::Tensor& x_t, const at::Tensor& out, PredictionType type, double alphaBar);

// --- classifier-free guidance (§7.5) ----------------------------------------------------------
// out = u + w·(c − u); with guidanceRescale φ > 0: r = out·std(c)/std(out) (per batch row, over all
// other dims, unbiased), out ← φ·r + (1−φ)·out. Works on ε, v or x0 alike (CFG is linear).
at::Tensor applyCfg(const at::Tensor& uncond, const at::Tensor& cond, double scale, double guidanceRescale = 0.0);
// Per-row scales: `scale` is [B] (or broadcastable to [B,1,…]).
at::Tensor applyCfg(const at::Tensor& uncond, const at::Tensor& cond, const at::Tensor& scale,
                    double guidanceRescale = 0.0);

// --- steps -------------------------------------------------------------------------------------
// DDIM σ² for η = 1: (1−ᾱ')/(1−ᾱ)·(1 − ᾱ/ᾱ'). 0 when ᾱ' = 1 or ᾱ = 1.
double ddimVariance(double alphaBar, double alphaBarPrev);
// DDIM step (§7.3): x' = √ᾱ'·x̂0 + √(1−ᾱ'−σ²)·ε̂ + σ·z, σ = η·√ddimVariance. `varianceNoise`
// may be undefined when η = 0 (or σ = 0); otherwise it must have x̂0's shape.
at::Tensor ddimStep(const PredictionPair& pred, double alphaBar, double alphaBarPrev, double eta,
                    const at::Tensor& varianceNoise = at::Tensor());
// DDPM ancestral step, "fixed_small" variance (§7.4). alphaBarPrev is taken as given (diffusers
// passes 1 after the last step). Undefined `noise` adds none (the t = 0 step).
at::Tensor ddpmStep(const at::Tensor& x_t, const at::Tensor& x0, double alphaBar, double alphaBarPrev,
                    const at::Tensor& noise = at::Tensor());
// DDIM inversion step from x at ᾱ_cur up to ᾱ_next with ε̂ (§1.8, §7.3):
// x_next = √ᾱ_next·(x − √(1−ᾱ_cur)·ε̂)/√ᾱ_cur + √(1−ᾱ_next)·ε̂.
at::Tensor ddimInversionStep(const at::Tensor& x, const at::Tensor& eps, double alphaBarCur, double alphaBarNext);
// q-sample / add_noise: √ᾱ·x0 + √(1−ᾱ)·noise.
at::Tensor qSample(const at::Tensor& x0, const at::Tensor& noise, double alphaBar);

}  // namespace ns
