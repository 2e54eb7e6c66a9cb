#include "core/noise/noise_ops.h"

#include <ATen/ATen.h>

#include <cmath>

namespace ns {

at::Tensor NoiseOps::randn(at::IntArrayRef shape, at::Generator& gen, const at::Device& device) {
  at::Tensor r = at::randn(shape, gen, at::TensorOptions().dtype(at::kFloat));
  return device.is_cpu() ? r : r.to(device);
}

at::Tensor NoiseOps::blend(const at::Tensor& bg, const at::Tensor& fg, double a) {
  const double norm = std::sqrt(a * a + (1.0 - a) * (1.0 - a));
  if (a == 0.0) return bg.clone();
  if (a == 1.0) return fg.clone();
  return (fg * a + bg * (1.0 - a)) / norm;
}

at::Tensor NoiseOps::blend(const at::Tensor& bg, const at::Tensor& fg, const at::Tensor& alpha) {
  const at::Tensor a = alpha.to(bg.device(), bg.scalar_type());
  const at::Tensor norm = at::sqrt(a * a + (1 - a) * (1 - a));
  return (a * fg + (1 - a) * bg) / norm;
}

at::Tensor NoiseOps::degrade(const at::Tensor& q, double gamma, at::Generator& gen) {
  if (gamma == 0.0) return q.clone();  // no draw: γ=0 must be the identity, bit for bit
  return blend(q, randn(q.sizes(), gen, q.device()).to(q.scalar_type()), gamma);
}

at::Tensor NoiseOps::degrade(const at::Tensor& q, const at::Tensor& gamma, at::Generator& gen) {
  return blend(q, randn(q.sizes(), gen, q.device()).to(q.scalar_type()), gamma);
}

at::Tensor NoiseOps::maskedMix(const at::Tensor& outside, const at::Tensor& inside, const at::Tensor& mask) {
  TORCH_CHECK(outside.sizes() == inside.sizes(), "maskedMix: the two noises differ in shape");
  return blend(outside, inside, mask.clamp(0.0, 1.0));
}

at::Tensor NoiseOps::slerp(const at::Tensor& p0, const at::Tensor& p1, double f, SlerpFallback fallback,
                           double threshold) {
  TORCH_CHECK(p0.sizes() == p1.sizes(), "slerp: p0 and p1 differ in shape");
  const at::Tensor a = p0.to(at::kDouble);
  const at::Tensor b = p1.to(at::kDouble);
  const double na = a.norm().item<double>();
  const double nb = b.norm().item<double>();
  TORCH_CHECK(na > 0 && nb > 0, "slerp: an input is all zeros");
  double cosTheta = (a * b).sum().item<double>() / (na * nb);
  if (fallback == SlerpFallback::Lerp && std::fabs(cosTheta) > threshold) {
    return ((1.0 - f) * a + f * b).to(p0.scalar_type());
  }
  cosTheta = std::min(std::max(cosTheta, -1.0 + 1e-7), 1.0 - 1e-7);
  const double theta = std::acos(cosTheta);
  const double s = std::sin(theta);
  const double w0 = std::sin((1.0 - f) * theta) / s;
  const double w1 = std::sin(f * theta) / s;
  return (w0 * a + w1 * b).to(p0.scalar_type());
}

NoiseDiffusionCoefficients NoiseOps::noiseDiffusionCoefficients(double f, double gamma, double boost) {
  const double pi = 3.14159265358979323846;
  const double theta = f * pi / 2.0;
  const double r = std::sqrt(std::max(0.0, 1.0 - gamma * gamma));
  NoiseDiffusionCoefficients c;
  c.alpha = r * std::cos(theta);
  c.beta = r * std::sin(theta);
  // α/(α+β) = cosθ/(cosθ+sinθ) does not depend on γ; cosθ+sinθ ≥ 1 on [0, π/2], so no division by 0.
  const double den = std::cos(theta) + std::sin(theta);
  c.mu = boost * std::cos(theta) / den;
  c.nu = boost * std::sin(theta) / den;
  return c;
}

at::Tensor NoiseOps::noiseDiffusionMix(const at::Tensor& xtL, const at::Tensor& xtR, const at::Tensor& x0L,
                                       const at::Tensor& x0R, const NoiseDiffusionParams& p, const at::Tensor& eps) {
  TORCH_CHECK(xtL.sizes() == xtR.sizes() && xtL.sizes() == x0L.sizes() && xtL.sizes() == x0R.sizes(),
              "noiseDiffusionMix: the four latents must have one shape");
  TORCH_CHECK(p.gamma == 0.0 || eps.defined(), "noiseDiffusionMix: gamma > 0 needs eps");
  const NoiseDiffusionCoefficients c = noiseDiffusionCoefficients(p.fraction, p.gamma, p.boost);
  const double B = p.clipBound;
  const double sa = std::sqrt(p.alphaBar);
  at::Tensor mix = c.alpha * xtL.clamp(-B, B) + c.beta * xtR.clamp(-B, B) + ((c.mu - c.alpha) * sa) * x0L +
                   ((c.nu - c.beta) * sa) * x0R;
  if (p.gamma != 0.0) mix = mix + (p.gamma * std::sqrt(1.0 - p.alphaBar)) * eps;
  return mix.clamp(-B, B);
}

at::Tensor NoiseOps::downsampleArea(const at::Tensor& noise, int64_t factor) {
  TORCH_CHECK(factor >= 1, "downsampleArea: factor must be >= 1");
  TORCH_CHECK(noise.dim() >= 2, "downsampleArea: needs [...,H,W]");
  const int64_t h = noise.size(-2), w = noise.size(-1);
  TORCH_CHECK(h % factor == 0 && w % factor == 0, "downsampleArea: ", h, "x", w, " is not divisible by ", factor);
  if (factor == 1) return noise.clone();
  const auto lead = noise.sizes().slice(0, noise.dim() - 2).vec();
  const at::Tensor x = noise.reshape({-1, 1, h, w});
  at::Tensor y = at::avg_pool2d(x, {factor, factor}, {factor, factor}) * double(factor);
  std::vector<int64_t> shape = lead;
  shape.push_back(h / factor);
  shape.push_back(w / factor);
  return y.reshape(shape);
}

at::Tensor NoiseOps::resizeNoise(const at::Tensor& noise, int64_t outH, int64_t outW, const at::Tensor& weight) {
  TORCH_CHECK(noise.dim() >= 2, "resizeNoise: needs [...,H,W]");
  const int64_t h = noise.size(-2), w = noise.size(-1);
  TORCH_CHECK(outH >= 1 && outW >= 1 && outH <= h && outW <= w, "resizeNoise: only shrinks (", h, "x", w, " -> ",
              outH, "x", outW, ")");
  if (outH == h && outW == w) return noise.clone();
  const auto opts = noise.options().dtype(at::kLong);
  // Bin of every source pixel: ⌊i·H'/H⌋·W' + ⌊j·W'/W⌋ (integer maths, exact).
  const at::Tensor rows = (at::arange(h, opts) * outH).div(h, "floor");
  const at::Tensor cols = (at::arange(w, opts) * outW).div(w, "floor");
  const at::Tensor bins = (rows.unsqueeze(1) * outW + cols.unsqueeze(0)).reshape({-1});
  const auto lead = noise.sizes().slice(0, noise.dim() - 2).vec();
  const at::Tensor flat = noise.reshape({-1, h * w});
  at::Tensor num, den;
  if (weight.defined()) {
    const at::Tensor wt = weight.to(noise.device(), noise.scalar_type()).expand_as(noise).reshape({-1, h * w});
    num = at::zeros({flat.size(0), outH * outW}, noise.options()).index_add_(1, bins, flat * wt);
    den = at::zeros({wt.size(0), outH * outW}, noise.options()).index_add_(1, bins, wt * wt).sqrt();
  } else {
    num = at::zeros({flat.size(0), outH * outW}, noise.options()).index_add_(1, bins, flat);
    den = at::zeros({outH * outW}, noise.options()).index_add_(0, bins, at::ones({h * w}, noise.options())).sqrt();
  }
  std::vector<int64_t> shape = lead;
  shape.push_back(outH);
  shape.push_back(outW);
  return (num / den).reshape(shape);
}

at::Tensor NoiseOps::shift(const at::Tensor& noise, int64_t dx, int64_t dy) {
  return at::roll(noise, {dy, dx}, {noise.dim() - 2, noise.dim() - 1});
}

}  // namespace ns
