#include "core/model/schedule_fields.h"

namespace ns {

namespace {
#define NS_SCHEDULE_TRY(var, expr)      \
  auto var##_r = (expr);                \
  if (!var##_r) return var##_r.error(); \
  auto var = std::move(var##_r.value())
}  // namespace

Result<ScheduleConfig> parseScheduleFields(const JsonFields& f) {
  ScheduleConfig s;
  NS_SCHEDULE_TRY(beta, f.str("schedule.beta_schedule"));
  s.beta = betaScheduleFromString(beta);
  if (s.beta == BetaSchedule::Invalid)
    return f.error("schedule.beta_schedule", "has unknown value '" + beta + "' (linear, scaled_linear, cosine)");
  NS_SCHEDULE_TRY(start, f.num("schedule.beta_start"));
  NS_SCHEDULE_TRY(end, f.num("schedule.beta_end"));
  if (!(start > 0 && start < 1)) return f.error("schedule.beta_start", "must lie in (0, 1)");
  if (!(end > 0 && end < 1)) return f.error("schedule.beta_end", "must lie in (0, 1)");
  s.betaStart = start;
  s.betaEnd = end;
  NS_SCHEDULE_TRY(steps, f.integer("schedule.train_steps"));
  if (steps < 2 || steps > 100000) return f.error("schedule.train_steps", "must be between 2 and 100000");
  s.trainSteps = steps;
  NS_SCHEDULE_TRY(spacing, f.optStr("schedule.timestep_spacing", "leading"));
  s.spacing = timestepSpacingFromString(spacing);
  if (s.spacing == TimestepSpacing::Invalid)
    return f.error("schedule.timestep_spacing", "has unknown value '" + spacing + "' (leading, trailing, linspace)");
  NS_SCHEDULE_TRY(offset, f.optInteger("schedule.steps_offset", 1));
  if (offset < 0 || offset >= steps) return f.error("schedule.steps_offset", "must be in [0, train_steps)");
  s.stepsOffset = offset;
  NS_SCHEDULE_TRY(one, f.boolean("schedule.set_alpha_to_one", false));
  s.setAlphaToOne = one;
  NS_SCHEDULE_TRY(zsnr, f.boolean("schedule.zero_terminal_snr", false));
  s.zeroTerminalSnr = zsnr;
  return s;
}

#undef NS_SCHEDULE_TRY

}  // namespace ns
