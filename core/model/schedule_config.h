#pragma once
// ScheduleConfig: the noise schedule a model was trained with, as stored in model.json and
// noise files. NoiseSchedule (noise_schedule.h) turns it into ᾱ and timestep lists.

#include <string>

namespace ns {

// Persisted by name ("linear", "scaled_linear", "cosine"); add new values at the end.
enum class BetaSchedule {
  Invalid = 0,
  Linear,        // β linear in t (diffusers "linear")
  ScaledLinear,  // √β linear in t (SD, CogVideoX, LVDM "linear")
  Cosine,        // Nichol & Dhariwal squared-cosine ᾱ
};

// How N inference timesteps are picked from the T training steps (docs/algorithms.md §7.2).
enum class TimestepSpacing {
  Invalid = 0,
  Leading,   // i·(T//N) + offset, SD default
  Trailing,  // round(arange(T, 0, -T/N)) - 1
  Linspace,  // round(linspace(0, T-1, N))
};

struct ScheduleConfig {
  BetaSchedule beta = BetaSchedule::ScaledLinear;
  double betaStart = 0.00085;
  double betaEnd = 0.012;
  int trainSteps = 1000;
  bool zeroTerminalSnr = false;  // rescale so ᾱ_{T-1} = 0 (use with v-prediction)
  double snrShiftScale = 1.0;    // ᾱ ← ᾱ/(s + (1−s)·ᾱ) (SNR/s) before the zero-SNR rescale; 1 = off
  bool setAlphaToOne = false;    // final ᾱ = 1 instead of ᾱ_0
  int stepsOffset = 1;           // added to leading-spaced timesteps
  TimestepSpacing spacing = TimestepSpacing::Leading;
};

std::string toString(BetaSchedule b);
std::string toString(TimestepSpacing s);
BetaSchedule betaScheduleFromString(const std::string& s);        // Invalid if unknown
TimestepSpacing timestepSpacingFromString(const std::string& s);  // Invalid if unknown

}  // namespace ns
