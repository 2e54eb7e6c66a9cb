#pragma once
// NoiseOps: variance-aware operations on noise fields (docs/algorithms.md §2.4, §2.5, §5.1, §5.2).
// Every op keeps i.i.d. N(0,1) input at unit variance unless stated. Fresh noise always comes from
// the caller's seeded CPU generator (drawn on CPU, then moved to the input's device, so CPU and
// CUDA give the same numbers). Shape errors are programming errors and throw c10::Error; job
// code catches it at its boundary.
// Thread: stateless; a Generator must not be shared between threads without the caller's lock.

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <utility>

namespace ns {

// What slerp does when the inputs are (nearly) parallel.
enum class SlerpFallback {
  Invalid = 0,
  None,  // only the clamp of cosθ guards the division (reference behaviour)
  Lerp,  // linear interpolation when |cosθ| > threshold
};

struct NoiseDiffusionParams {
  double fraction = 0.5;   // f in [0,1]: 0 gives the left image, 1 the right
  double gamma = 0.0;      // fresh-noise share γ (α² + β² + γ² = 1)
  double clipBound = 2.0;  // B: x̃ and x_mix are clipped to [−B, B] (latent units)
  double boost = 1.2;      // μ + ν
  double alphaBar = 0.0;   // ᾱ_t' of the noise level the inverted latents sit at
};

struct NoiseDiffusionCoefficients {
  double alpha = 0, beta = 0, mu = 0, nu = 0;
};

class NoiseOps {
 public:
  // blend(bg, fg, a) = (a·fg + (1−a)·bg) / sqrt(a² + (1−a)²). `alpha` is a scalar or a tensor
  // broadcastable to bg (a per-pixel map, e.g. [1,H,W]).
  static at::Tensor blend(const at::Tensor& bg, const at::Tensor& fg, double alpha);
  static at::Tensor blend(const at::Tensor& bg, const at::Tensor& fg, const at::Tensor& alpha);
  // degrade(q, γ) = blend(bg = q, fg = fresh N(0,1), γ): γ=0 returns q, γ=1 fresh noise.
  static at::Tensor degrade(const at::Tensor& q, double gamma, at::Generator& gen);
  static at::Tensor degrade(const at::Tensor& q, const at::Tensor& gamma, at::Generator& gen);
  // Masked mix: where mask=1 take `inside`, where 0 `outside`; soft masks blend with unit
  // variance (this is blend(outside, inside, mask)). mask broadcastable, values in [0,1].
  static at::Tensor maskedMix(const at::Tensor& outside, const at::Tensor& inside, const at::Tensor& mask);
  // Fresh N(0,1) of `shape` from gen, on `device` (drawn on CPU).
  static at::Tensor randn(at::IntArrayRef shape, at::Generator& gen, const at::Device& device = at::kCPU);

  // Spherical interpolation of whole tensors (flattened, float64 maths, result in p0's dtype).
  static at::Tensor slerp(const at::Tensor& p0, const at::Tensor& p1, double f,
                          SlerpFallback fallback = SlerpFallback::None, double threshold = 0.9995);

  // NoiseDiffusion coefficients computed directly (no cotθ, so f ∈ {0,1} and γ = 1 are fine).
  static NoiseDiffusionCoefficients noiseDiffusionCoefficients(double fraction, double gamma, double boost = 1.2);
  // x_mix = clip(α·clip(xtL) + β·clip(xtR) + (μ−α)·sqrt(ᾱ)·x0L + (ν−β)·sqrt(ᾱ)·x0R + γ·sqrt(1−ᾱ)·ε).
  // eps may be undefined when gamma == 0.
  static at::Tensor noiseDiffusionMix(const at::Tensor& xtLeft, const at::Tensor& xtRight, const at::Tensor& x0Left,
                                      const at::Tensor& x0Right, const NoiseDiffusionParams& params,
                                      const at::Tensor& eps = at::Tensor());

  // AvgPool_D(noise)·D over the last two dims ([...,H,W], H and W divisible by D): unit variance.
  static at::Tensor downsampleArea(const at::Tensor& noise, int64_t factor);
  // General shrink (§2.4 resize_noise): out[i',j'] = Σ n / sqrt(count) over the pixels with
  // ⌊i·H'/H⌋ = i', ⌊j·W'/W⌋ = j'. With `weight` ([H,W] or broadcastable [...,H,W], > 0):
  // Σ n·ω / sqrt(Σ ω²). outH ≤ H and outW ≤ W. Identity when the size is unchanged.
  static at::Tensor resizeNoise(const at::Tensor& noise, int64_t outH, int64_t outW,
                                const at::Tensor& weight = at::Tensor());
  // Integer shift with wrap-around (content moves by +dx, +dy); keeps the noise i.i.d.
  static at::Tensor shift(const at::Tensor& noise, int64_t dx, int64_t dy);
};

}  // namespace ns
