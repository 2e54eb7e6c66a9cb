#pragma once
// Progress: one line on stderr every few seconds while a stage trains —
//   [unet] step 1200/14000  loss 0.0843  31.2 steps/s  ETA 6m50s
// (loss is an exponential moving average of the step losses) — and the same line in the log.
// Thread contract: training thread only.

#include <chrono>
#include <cstdint>
#include <string>

namespace ns::train {

class Progress {
 public:
  // startStep: where this run begins (after a resume); total: the stage's target step count.
  Progress(std::string stage, int64_t startStep, int64_t total, double intervalS);
  // Call after every step with the step count reached and that step's loss.
  void update(int64_t step, double loss);
  // Prints a final line regardless of the interval.
  void finish(int64_t step);
  double smoothedLoss() const { return m_smoothed; }
  double stepsPerSecond(int64_t step) const;
  std::string line(int64_t step) const;

 private:
  std::string m_stage;
  int64_t m_startStep, m_total;
  double m_intervalS;
  double m_smoothed = 0;
  int64_t m_seen = 0;
  std::chrono::steady_clock::time_point m_start, m_lastPrint;
};

std::string formatDuration(double seconds);

}  // namespace ns::train
