#include "app/train/train_loop.h"

#include <spdlog/spdlog.h>

#include <cmath>

#include "app/train/progress.h"

namespace ns::train {

Result<LoopResult> runTrainingLoop(const StageEnv& env, const LoopSettings& s, const StepFn& step, const SaveFn& save,
                                   const std::function<void(int64_t, double)>& onLoss) {
  LoopResult r;
  r.outcome = StageOutcome::Completed;
  r.step = s.startStep;
  Progress progress(s.stage, s.startStep, s.totalSteps, s.progressS);
  auto lastSave = Clock::now();
  int64_t sinceSave = 0;
  while (r.step < s.totalSteps) {
    if (env.interrupted()) {
      r.outcome = StageOutcome::Interrupted;
      break;
    }
    if (env.pastDeadline() || (s.stepsThisRun > 0 && r.step - s.startStep >= s.stepsThisRun)) {
      r.outcome = StageOutcome::BudgetSpent;
      break;
    }
    auto loss = step(r.step);
    if (!loss) return loss.error();
    ++r.step;
    if (!std::isfinite(*loss))
      return makeError(ErrorKind::Model, s.stage + " loss became " + std::to_string(*loss) + " at step " +
                                             std::to_string(r.step) + ": lower the learning rate");
    progress.update(r.step, *loss);
    r.smoothedLoss = progress.smoothedLoss();
    if (onLoss) onLoss(r.step, r.smoothedLoss);
    ++sinceSave;
    const bool byTime = secondsSince(lastSave) >= s.checkpointMin * 60.0;
    const bool bySteps = s.checkpointSteps > 0 && sinceSave >= s.checkpointSteps;
    if ((byTime || bySteps) && r.step < s.totalSteps) {
      if (auto ok = save(r.step, r.smoothedLoss); !ok) return ok.error();
      lastSave = Clock::now();
      sinceSave = 0;
    }
  }
  if (r.step > s.startStep) progress.finish(r.step);
  if (r.outcome == StageOutcome::BudgetSpent)
    spdlog::warn("{}: stopped at step {}/{} ({})", s.stage, r.step, s.totalSteps,
                 env.pastDeadline() ? "time budget spent" : "--steps-this-run reached");
  return r;
}

}  // namespace ns::train
