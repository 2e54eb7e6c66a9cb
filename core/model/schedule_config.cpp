#include "core/model/schedule_config.h"

namespace ns {

std::string toString(BetaSchedule b) {
  switch (b) {
    case BetaSchedule::Linear: return "linear";
    case BetaSchedule::ScaledLinear: return "scaled_linear";
    case BetaSchedule::Cosine: return "cosine";
    default: return "invalid";
  }
}

std::string toString(TimestepSpacing s) {
  switch (s) {
    case TimestepSpacing::Leading: return "leading";
    case TimestepSpacing::Trailing: return "trailing";
    case TimestepSpacing::Linspace: return "linspace";
    default: return "invalid";
  }
}

BetaSchedule betaScheduleFromString(const std::string& s) {
  if (s == "linear") return BetaSchedule::Linear;
  if (s == "scaled_linear") return BetaSchedule::ScaledLinear;
  if (s == "cosine" || s == "squaredcos_cap_v2") return BetaSchedule::Cosine;
  return BetaSchedule::Invalid;
}

TimestepSpacing timestepSpacingFromString(const std::string& s) {
  if (s == "leading") return TimestepSpacing::Leading;
  if (s == "trailing") return TimestepSpacing::Trailing;
  if (s == "linspace") return TimestepSpacing::Linspace;
  return TimestepSpacing::Invalid;
}

}  // namespace ns
