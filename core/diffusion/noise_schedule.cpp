#include "core/diffusion/noise_schedule.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <string>

namespace ns {

namespace {

constexpr double kPi = 3.14159265358979323846;

// Nichol & Dhariwal "squaredcos_cap_v2": β_i = min(1 − ā((i+1)/T)/ā(i/T), 0.999).
std::vector<double> cosineBetas(int T) {
  auto abar = [](double u) {
    const double c = std::cos((u + 0.008) / 1.008 * kPi / 2.0);
    return c * c;
  };
  std::vector<double> betas(static_cast<size_t>(T));
  for (int i = 0; i < T; ++i) {
    betas[size_t(i)] = std::min(1.0 - abar(double(i + 1) / T) / abar(double(i) / T), 0.999);
  }
  return betas;
}

}  // namespace

Result<NoiseSchedule> NoiseSchedule::fromConfig(const ScheduleConfig& c) {
  if (c.trainSteps < 2) {
    return makeError(ErrorKind::BadInput, "schedule.trainSteps must be at least 2 (got " + std::to_string(c.trainSteps) + ")");
  }
  if (!(c.snrShiftScale > 0.0)) {
    return makeError(ErrorKind::BadInput, "schedule.snrShiftScale must be > 0 (got " + std::to_string(c.snrShiftScale) + ")");
  }
  if (c.stepsOffset < 0 || c.stepsOffset >= c.trainSteps) {
    return makeError(ErrorKind::BadInput, "schedule.stepsOffset must be in [0, trainSteps) (got " + std::to_string(c.stepsOffset) + ")");
  }
  const int T = c.trainSteps;
  std::vector<double> betas(static_cast<size_t>(T));
  switch (c.beta) {
    case BetaSchedule::Linear:
    case BetaSchedule::ScaledLinear: {
      if (!(c.betaStart > 0.0 && c.betaEnd < 1.0 && c.betaStart <= c.betaEnd)) {
        return makeError(ErrorKind::BadInput, "schedule.betaStart/betaEnd must satisfy 0 < betaStart <= betaEnd < 1 (got " +
                                                  std::to_string(c.betaStart) + ", " + std::to_string(c.betaEnd) + ")");
      }
      for (int t = 0; t < T; ++t) {
        const double u = double(t) / double(T - 1);
        if (c.beta == BetaSchedule::Linear) {
          betas[size_t(t)] = c.betaStart + (c.betaEnd - c.betaStart) * u;
        } else {
          const double s = std::sqrt(c.betaStart) + (std::sqrt(c.betaEnd) - std::sqrt(c.betaStart)) * u;
          betas[size_t(t)] = s * s;
        }
      }
      break;
    }
    case BetaSchedule::Cosine: betas = cosineBetas(T); break;
    default: return makeError(ErrorKind::BadInput, "schedule.beta is not one of linear, scaled_linear, cosine");
  }

  NoiseSchedule s;
  s.m_config = c;
  s.m_alphaBar.resize(size_t(T));
  double prod = 1.0;
  for (int t = 0; t < T; ++t) {
    prod *= 1.0 - betas[size_t(t)];
    s.m_alphaBar[size_t(t)] = prod;
  }
  // SNR shift (CogVideoX): SNR/s, i.e. ᾱ ← ᾱ/(s + (1−s)·ᾱ).
  if (c.snrShiftScale != 1.0) {
    for (double& a : s.m_alphaBar) a = a / (c.snrShiftScale + (1.0 - c.snrShiftScale) * a);
  }
  // Zero-terminal-SNR rescale (Lin et al.): shift and scale √ᾱ so the last is 0 and the first
  // keeps its value; done on √ᾱ because that is what multiplies x0.
  if (c.zeroTerminalSnr) {
    const double r0 = std::sqrt(s.m_alphaBar.front());
    const double rT = std::sqrt(s.m_alphaBar.back());
    if (!(r0 > rT)) return makeError(ErrorKind::BadInput, "schedule.zeroTerminalSnr: ᾱ is not decreasing, cannot rescale");
    for (double& a : s.m_alphaBar) {
      const double r = (std::sqrt(a) - rT) * r0 / (r0 - rT);
      a = r * r;
    }
    s.m_alphaBar.back() = 0.0;  // exact, not a rounding residue
  }
  s.m_finalAlphaBar = c.setAlphaToOne ? 1.0 : s.m_alphaBar.front();
  return s;
}

double NoiseSchedule::alphaBar(int64_t t) const {
  if (t < 0) return m_finalAlphaBar;
  const int64_t last = int64_t(m_alphaBar.size()) - 1;
  return m_alphaBar[size_t(std::min(t, last))];
}

at::Tensor NoiseSchedule::alphasCumprod() const {
  at::Tensor out = at::empty({int64_t(m_alphaBar.size())}, at::TensorOptions().dtype(at::kDouble));
  std::copy(m_alphaBar.begin(), m_alphaBar.end(), out.data_ptr<double>());
  return out;
}

std::vector<int64_t> NoiseSchedule::timesteps(int steps) const {
  return timesteps(steps, m_config.spacing, m_config.trainSteps, m_config.stepsOffset);
}

std::vector<int64_t> NoiseSchedule::timesteps(int steps, TimestepSpacing spacing, int T, int offset) {
  std::vector<int64_t> ts;
  if (steps < 1 || steps > T) return ts;
  ts.reserve(size_t(steps));
  // std::nearbyint rounds half to even like numpy's round, which the reference lists use.
  switch (spacing) {
    case TimestepSpacing::Leading: {
      const int64_t ratio = T / steps;
      // The offset shifts the whole list up, but never past T − 1: at N close to T (ratio 1) the
      // full offset would push the top timestep out of range, and clamping it alone made two
      // equal timesteps (999, 999 at N = T = 1000), which samplers refuse. (diffusers indexes
      // out of range there.) For the usual N the offset applies in full.
      const int64_t shift = std::min<int64_t>(offset, int64_t(T) - 1 - int64_t(steps - 1) * ratio);
      for (int i = steps - 1; i >= 0; --i) ts.push_back(int64_t(i) * ratio + shift);
      break;
    }
    case TimestepSpacing::Trailing: {
      const double ratio = double(T) / double(steps);
      for (int i = 0; i < steps; ++i) ts.push_back(int64_t(std::nearbyint(double(T) - double(i) * ratio)) - 1);
      break;
    }
    case TimestepSpacing::Linspace: {
      const double step = steps > 1 ? double(T - 1) / double(steps - 1) : 0.0;
      for (int i = steps - 1; i >= 0; --i) {
        const double v = (i == steps - 1 && steps > 1) ? double(T - 1) : double(i) * step;
        ts.push_back(int64_t(std::nearbyint(v)));
      }
      break;
    }
    default: break;
  }
  return ts;
}

int64_t NoiseSchedule::previousTimestep(int64_t t, int steps) const {
  if (steps < 1) return -1;
  return t - int64_t(m_config.trainSteps / steps);
}

int64_t NoiseSchedule::nextInList(const std::vector<int64_t>& timesteps, size_t i) {
  return i + 1 < timesteps.size() ? timesteps[i + 1] : -1;
}

}  // namespace ns
