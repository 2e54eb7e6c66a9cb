#include "core/diffusion/sampler_steps.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace ns {

// Coefficients are computed in double and enter the tensor maths as scalars, so the float32
// rounding happens once per term, the same way in every pass (this is what makes the
// edit-friendly forward and reverse passes agree bit for bit).

at::Tensor epsToX0(const at::Tensor& x_t, const at::Tensor& eps, double a) {
  return (x_t - eps * std::sqrt(1.0 - a)) / std::sqrt(a);
}

at::Tensor x0ToEps(const at::Tensor& x_t, const at::Tensor& x0, double a) {
  return (x_t - x0 * std::sqrt(a)) / std::sqrt(1.0 - a);
}

at::Tensor vToX0(const at::Tensor& x_t, const at::Tensor& v, double a) {
  return x_t * std::sqrt(a) - v * std::sqrt(1.0 - a);
}

at::Tensor vToEps(const at::Tensor& x_t, const at::Tensor& v, double a) {
  return x_t * std::sqrt(1.0 - a) + v * std::sqrt(a);
}

at::Tensor epsToV(const at::Tensor& x_t, const at::Tensor& eps, double a) {
  return (eps - x_t * std::sqrt(1.0 - a)) / std::sqrt(a);
}

at::Tensor x0ToV(const at::Tensor& x_t, const at::Tensor& x0, double a) {
  // v = √ᾱ·ε − √(1−ᾱ)·x0 with ε from (x_t, x0).
  return x0ToEps(x_t, x0, a) * std::sqrt(a) - x0 * std::sqrt(1.0 - a);
}

PredictionPair splitPrediction(const at::Tensor& x_t, const at::Tensor& out, PredictionType type, double a) {
  switch (type) {
    case PredictionType::Epsilon: return {out, epsToX0(x_t, out, a)};
    case PredictionType::VPrediction: return {vToEps(x_t, out, a), vToX0(x_t, out, a)};
    case PredictionType::Sample: return {x0ToEps(x_t, out, a), out};
    default: throw std::invalid_argument("splitPrediction: the model's prediction type is invalid");
  }
}

at::Tensor convertPrediction(const at::Tensor& x_t, const at::Tensor& out, PredictionType from, PredictionType to,
                             double a) {
  if (from == to && from != PredictionType::Invalid) return out;
  const PredictionPair p = splitPrediction(x_t, out, from, a);
  switch (to) {
    case PredictionType::Epsilon: return p.eps;
    case PredictionType::Sample: return p.x0;
    case PredictionType::VPrediction:
      return p.eps * std::sqrt(a) - p.x0 * std::sqrt(1.0 - a);
    default: throw std::invalid_argument("convertPrediction: target prediction type is invalid");
  }
}

namespace {

at::Tensor rescaleGuided(const at::Tensor& guided, const at::Tensor& cond, double phi) {
  if (phi <= 0.0 || guided.dim() < 2) return guided;
  std::vector<int64_t> dims;
  for (int64_t d = 1; d < guided.dim(); ++d) dims.push_back(d);
  const at::Tensor stdCond = cond.std(dims, /*unbiased=*/true, /*keepdim=*/true);
  const at::Tensor stdGuided = guided.std(dims, /*unbiased=*/true, /*keepdim=*/true);
  const at::Tensor rescaled = guided * (stdCond / stdGuided);
  return rescaled * phi + guided * (1.0 - phi);
}

}  // namespace

// Written as c + (c − u)·(w − 1), algebraically u + w·(c − u), so that w = 1 gives the
// conditional output exactly (not merely to rounding).
at::Tensor applyCfg(const at::Tensor& uncond, const at::Tensor& cond, double scale, double guidanceRescale) {
  if (scale == 1.0) return rescaleGuided(cond, cond, guidanceRescale);
  const at::Tensor guided = cond + (cond - uncond) * (scale - 1.0);
  return rescaleGuided(guided, cond, guidanceRescale);
}

at::Tensor applyCfg(const at::Tensor& uncond, const at::Tensor& cond, const at::Tensor& scale, double guidanceRescale) {
  at::Tensor s = scale.to(cond.device(), cond.scalar_type());
  if (s.dim() == 1 && cond.dim() > 1) {
    std::vector<int64_t> shape(size_t(cond.dim()), 1);
    shape[0] = s.size(0);
    s = s.view(shape);
  }
  const at::Tensor guided = cond + (cond - uncond) * (s - 1.0);
  return rescaleGuided(guided, cond, guidanceRescale);
}

double ddimVariance(double a, double aPrev) {
  if (aPrev >= 1.0 || a >= 1.0) return 0.0;
  return std::max(0.0, (1.0 - aPrev) / (1.0 - a) * (1.0 - a / aPrev));
}

at::Tensor ddimStep(const PredictionPair& pred, double a, double aPrev, double eta, const at::Tensor& noise) {
  const double sigma = eta * std::sqrt(ddimVariance(a, aPrev));
  const double dirCoef = std::sqrt(std::max(0.0, 1.0 - aPrev - sigma * sigma));
  at::Tensor x = pred.x0 * std::sqrt(aPrev) + pred.eps * dirCoef;
  if (sigma > 0.0) {
    if (!noise.defined()) throw std::invalid_argument("ddimStep: eta > 0 needs variance noise");
    x = x + noise * sigma;
  }
  return x;
}

at::Tensor ddpmStep(const at::Tensor& x_t, const at::Tensor& x0, double a, double aPrev, const at::Tensor& noise) {
  const double alphaCur = a / aPrev;
  const double betaCur = 1.0 - alphaCur;
  const double cX0 = std::sqrt(aPrev) * betaCur / (1.0 - a);
  const double cXt = std::sqrt(alphaCur) * (1.0 - aPrev) / (1.0 - a);
  at::Tensor mu = x0 * cX0 + x_t * cXt;
  if (noise.defined()) {
    const double var = std::max(1e-20, (1.0 - aPrev) / (1.0 - a) * betaCur);
    mu = mu + noise * std::sqrt(var);
  }
  return mu;
}

at::Tensor ddimInversionStep(const at::Tensor& x, const at::Tensor& eps, double aCur, double aNext) {
  const at::Tensor x0 = (x - eps * std::sqrt(1.0 - aCur)) / std::sqrt(aCur);
  return x0 * std::sqrt(aNext) + eps * std::sqrt(1.0 - aNext);
}

at::Tensor qSample(const at::Tensor& x0, const at::Tensor& noise, double a) {
  return x0 * std::sqrt(a) + noise * std::sqrt(1.0 - a);
}

}  // namespace ns
