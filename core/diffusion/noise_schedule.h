#pragma once
// NoiseSchedule: the ᾱ table of a ScheduleConfig and its inference timestep lists
// (docs/algorithms.md §7.1, §7.2, §7.6). Built in float64 once; immutable afterwards, so one
// instance may be read from any number of threads.
//
//   auto sched = ns::NoiseSchedule::fromConfig(cfg);          // Result<NoiseSchedule>
//   std::vector<int64_t> ts = sched->timesteps(50);            // descending, e.g. 981 … 1
//   double a = sched->alphaBar(ts[0]);                         // ᾱ_t; t < 0 gives the final ᾱ

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "core/model/schedule_config.h"
#include "core/util/result.h"

namespace ns {

class NoiseSchedule {
 public:
  // Validates the config (betas in (0,1), start <= end for (scaled) linear, trainSteps >= 2,
  // snrShiftScale > 0) and builds ᾱ. Errors name the offending field.
  static Result<NoiseSchedule> fromConfig(const ScheduleConfig& config);

  const ScheduleConfig& config() const { return m_config; }
  int trainSteps() const { return m_config.trainSteps; }

  // ᾱ_t for t in [0, T−1]; t < 0 gives finalAlphaBar(); t > T−1 is clamped to T−1.
  double alphaBar(int64_t t) const;
  // ᾱ used when a step's previous timestep is < 0: 1 with setAlphaToOne, else ᾱ_0.
  double finalAlphaBar() const { return m_finalAlphaBar; }
  // [T] float64 CPU tensor of ᾱ_0 … ᾱ_{T−1} (a copy).
  at::Tensor alphasCumprod() const;
  const std::vector<double>& alphaBars() const { return m_alphaBar; }

  // The N inference timesteps in descending order, using config().spacing (and stepsOffset for
  // Leading). Returns an empty list when steps is outside [1, T].
  std::vector<int64_t> timesteps(int steps) const;
  static std::vector<int64_t> timesteps(int steps, TimestepSpacing spacing, int trainSteps, int stepsOffset);

  // diffusers' previous timestep for an N-step schedule: t − T/N (integer division). May be < 0.
  int64_t previousTimestep(int64_t t, int steps) const;
  // The timestep after index i of a descending list, or −1 after the last one (→ final ᾱ).
  static int64_t nextInList(const std::vector<int64_t>& timesteps, size_t i);

 private:
  NoiseSchedule() = default;
  ScheduleConfig m_config;
  std::vector<double> m_alphaBar;
  double m_finalAlphaBar = 1.0;
};

}  // namespace ns
