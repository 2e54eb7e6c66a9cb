#pragma once
// StageEnv: what every training stage gets from main(): the options, the stop flag that the
// Ctrl-C/SIGTERM handler sets, and the stage's share of the run's time budget. Stages run on the
// main thread, one after another; none of this is shared across threads except the stop flag.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>

#include "app/train/train_options.h"

namespace ns::train {

using Clock = std::chrono::steady_clock;

// How a stage ended. Persisted? No.
enum class StageOutcome {
  Invalid = 0,
  Completed,    // ran all its steps (or found them done in its checkpoint)
  BudgetSpent,  // the time budget ran out: it saved, and the run exports and moves on
  Interrupted,  // Ctrl-C/SIGTERM: it saved its checkpoint; the run stops without exporting
};

struct StageEnv {
  const TrainOptions* options = nullptr;
  const std::atomic<bool>* stopRequested = nullptr;  // set from a signal handler
  Clock::time_point start = Clock::now();
  Clock::time_point deadline = Clock::time_point::max();  // max() = no budget

  bool interrupted() const { return stopRequested && stopRequested->load(std::memory_order_relaxed); }
  bool hasDeadline() const { return deadline != Clock::time_point::max(); }
  bool pastDeadline() const { return hasDeadline() && Clock::now() >= deadline; }
  // Fraction of this stage's time share used so far (0 when there is no budget).
  double timeFraction() const {
    if (!hasDeadline()) return 0.0;
    const double total = std::chrono::duration<double>(deadline - start).count();
    const double used = std::chrono::duration<double>(Clock::now() - start).count();
    return total > 0 ? std::clamp(used / total, 0.0, 1.0) : 1.0;
  }
  std::string workPath(const std::string& file) const { return options->workDir + "/" + file; }
};

// Linear warm-up, then cosine decay to 10% of `base`. Progress is the larger of the step
// fraction and the time-budget fraction, so a run that the budget cuts short still ends on a
// small learning rate (what the EMA and the export want) instead of stopping mid-plateau.
inline double learningRate(double base, int64_t step, int64_t total, int64_t warmup, double timeFraction) {
  if (step < warmup) return base * double(step + 1) / double(warmup);
  double p = double(step - warmup) / double(std::max<int64_t>(1, total - warmup));
  p = std::clamp(std::max(p, timeFraction), 0.0, 1.0);
  return base * (0.1 + 0.9 * 0.5 * (1.0 + std::cos(3.14159265358979323846 * p)));
}

// Sets the learning rate of every parameter group (OptionsT: e.g. torch::optim::AdamWOptions).
// A template so this header need not include torch/torch.h.
template <class OptionsT, class OptimizerT>
void setLearningRate(OptimizerT& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) static_cast<OptionsT&>(group.options()).lr(lr);
}

inline double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace ns::train
