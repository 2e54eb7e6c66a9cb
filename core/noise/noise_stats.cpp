#include "core/noise/noise_stats.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

namespace ns {

namespace {

// Everything is reduced in float64: with 10^7 float32 samples the mean's error must stay far
// below the 1e-3 effects the tests look for.
at::Tensor asDouble(const at::Tensor& t) { return t.to(at::kDouble); }

}  // namespace

double NoiseStats::ksPValueFor(double d, int64_t n) {
  if (n <= 0) return 1.0;
  const double en = std::sqrt(double(n));
  const double lambda = (en + 0.12 + 0.11 / en) * d;  // Stephens (1970) correction
  if (lambda < 1e-3) return 1.0;
  if (lambda < 1.18) {
    // Small λ: the alternating series converges slowly; use the Jacobi-theta form of the CDF,
    // P(K ≤ λ) = sqrt(2π)/λ Σ_{j≥1} exp(−(2j−1)² π² / (8λ²)).
    const double pi = 3.14159265358979323846;
    double sum = 0;
    for (int j = 1; j <= 50; ++j) {
      const double k = 2.0 * j - 1.0;
      sum += std::exp(-k * k * pi * pi / (8.0 * lambda * lambda));
    }
    const double cdf = std::sqrt(2.0 * pi) / lambda * sum;
    return std::clamp(1.0 - cdf, 0.0, 1.0);
  }
  // Q(λ) = 2 Σ (−1)^{j−1} exp(−2 j² λ²)
  double sum = 0;
  for (int j = 1; j <= 100; ++j) {
    const double term = std::exp(-2.0 * j * j * lambda * lambda);
    sum += (j % 2 == 1 ? term : -term);
    if (term < 1e-16) break;
  }
  return std::clamp(2.0 * sum, 0.0, 1.0);
}

void NoiseStats::ksTest(const at::Tensor& samples, double* distance, double* pValue) {
  const at::Tensor x = std::get<0>(asDouble(samples).reshape({-1}).sort());
  const int64_t n = x.numel();
  if (n == 0) {
    if (distance) *distance = 0;
    if (pValue) *pValue = 1;
    return;
  }
  const at::Tensor cdf = 0.5 * at::erfc(x * (-1.0 / std::sqrt(2.0)));
  const at::Tensor i = at::arange(1, n + 1, x.options());
  const double dPlus = (i / double(n) - cdf).max().item<double>();
  const double dMinus = (cdf - (i - 1.0) / double(n)).max().item<double>();
  const double d = std::max(dPlus, dMinus);
  if (distance) *distance = d;
  if (pValue) *pValue = ksPValueFor(d, n);
}

double NoiseStats::lag1(const at::Tensor& noise, int64_t dim) {
  const at::Tensor x = asDouble(noise);
  const int64_t len = x.size(dim);
  if (len < 2) return 0.0;
  const double mu = x.mean().item<double>();
  const at::Tensor c = x - mu;
  const double var = (c * c).mean().item<double>();
  if (var <= 0) return 0.0;
  const at::Tensor a = c.narrow(dim, 0, len - 1);
  const at::Tensor b = c.narrow(dim, 1, len - 1);
  return (a * b).mean().item<double>() / var;
}

double NoiseStats::correlation(const at::Tensor& a, const at::Tensor& b) {
  const at::Tensor x = asDouble(a).reshape({-1});
  const at::Tensor y = asDouble(b).reshape({-1});
  const at::Tensor xc = x - x.mean();
  const at::Tensor yc = y - y.mean();
  const double den = std::sqrt((xc * xc).sum().item<double>() * (yc * yc).sum().item<double>());
  return den > 0 ? (xc * yc).sum().item<double>() / den : 0.0;
}

at::Tensor NoiseStats::channelCorrelation(const at::Tensor& noise) {
  at::Tensor x = asDouble(noise);
  if (x.dim() < 3) return at::ones({1, 1}, x.options());
  const int64_t c = x.size(-3);
  x = x.movedim(-3, 0).reshape({c, -1});
  x = x - x.mean(1, true);
  const at::Tensor cov = at::mm(x, x.t());
  const at::Tensor sd = cov.diagonal().clamp_min(1e-300).sqrt();
  return cov / at::outer(sd, sd);
}

NoiseStats NoiseStats::compute(const at::Tensor& noise, const NoiseStatsOptions& options) {
  NoiseStats s;
  s.count = noise.numel();
  if (s.count == 0) return s;
  const at::Tensor x = asDouble(noise);
  s.mean = x.mean().item<double>();
  s.std = std::sqrt(((x - s.mean) * (x - s.mean)).mean().item<double>());
  if (x.dim() >= 2) {
    s.lag1Horizontal = lag1(x, x.dim() - 1);
    s.lag1Vertical = lag1(x, x.dim() - 2);
  }
  if (options.crossChannel && x.dim() >= 3 && x.size(-3) > 1) {
    const int64_t c = x.size(-3);
    const at::Tensor corr = channelCorrelation(x) - at::eye(c, x.options());
    s.crossChannelMaxAbs = corr.abs().max().item<double>();
  }
  if (options.ks) {
    at::Tensor flat = noise.reshape({-1});
    if (options.ksMaxSamples > 0 && flat.numel() > options.ksMaxSamples) {
      const int64_t stride = (flat.numel() + options.ksMaxSamples - 1) / options.ksMaxSamples;
      flat = flat.slice(0, 0, flat.numel(), stride);
    }
    ksTest(flat, &s.ksDistance, &s.ksPValue);
  }
  return s;
}

}  // namespace ns
