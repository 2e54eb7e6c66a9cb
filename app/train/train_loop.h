#pragma once
// The training loop every stage shares (issue 18 item 6: it used to be copied into each stage):
// step until the target, stopping early — and saying why — on Ctrl-C/SIGTERM, on the stage's time
// budget or after --steps-this-run; one progress line every few seconds; a checkpoint every
// --checkpoint-min minutes and every --checkpoint-steps steps; a loss that stops being finite ends
// the run with an error naming the step. What a step IS (batch, forward, backward, optimiser, EMA)
// and what a checkpoint holds stay with the stage, as two callbacks. The final save (after the
// stage's end-of-run measurements) is the stage's too.
// Thread contract: training thread only.

#include <cstdint>
#include <functional>
#include <string>

#include "app/train/stage_env.h"
#include "core/util/result.h"

namespace ns::train {

struct LoopSettings {
  std::string stage;        // progress lines: "[motion] step ..."
  int64_t startStep = 0;    // after a resume
  int64_t totalSteps = 0;   // the stage's target
  int64_t stepsThisRun = 0; // 0 = no limit; otherwise stop (as if the budget were spent) after this many
  double checkpointMin = 5; // minutes between checkpoints
  int64_t checkpointSteps = 0;  // 0 = only by time
  double progressS = 5;
};

struct LoopResult {
  StageOutcome outcome = StageOutcome::Invalid;
  int64_t step = 0;          // steps done in total (the next step's index)
  double smoothedLoss = 0;   // Progress's moving average at the end (0 if no step ran)
};

// step(i) runs optimisation step i and returns its loss; save(stepsDone, smoothedLoss) writes a
// checkpoint. Either failing ends the loop with its error.
using StepFn = std::function<Result<double>(int64_t step)>;
using SaveFn = std::function<Result<void>(int64_t stepsDone, double smoothedLoss)>;
// onLoss (optional) sees every step's (stepsDone, smoothed loss): loss curves.
Result<LoopResult> runTrainingLoop(const StageEnv& env, const LoopSettings& settings, const StepFn& step,
                                   const SaveFn& save, const std::function<void(int64_t, double)>& onLoss = {});

}  // namespace ns::train
