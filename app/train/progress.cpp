#include "app/train/progress.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ns::train {

std::string formatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long s = long(std::lround(seconds));
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s / 60) % 60);
  else if (s >= 60)
    std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%lds", s);
  return buf;
}

Progress::Progress(std::string stage, int64_t startStep, int64_t total, double intervalS)
    : m_stage(std::move(stage)), m_startStep(startStep), m_total(total), m_intervalS(intervalS),
      m_start(std::chrono::steady_clock::now()), m_lastPrint(m_start) {}

double Progress::stepsPerSecond(int64_t step) const {
  const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
  return dt > 0 ? double(step - m_startStep) / dt : 0.0;
}

std::string Progress::line(int64_t step) const {
  const double rate = stepsPerSecond(step);
  const double eta = rate > 0 ? double(m_total - step) / rate : -1;
  char buf[160];
  std::snprintf(buf, sizeof buf, "[%s] step %lld/%lld  loss %.4f  %.2f steps/s  ETA %s", m_stage.c_str(),
                (long long)step, (long long)m_total, m_smoothed, rate, formatDuration(eta).c_str());
  return buf;
}

void Progress::update(int64_t step, double loss) {
  // Bias-corrected start: the first losses are averaged plainly, then a 0.98 EMA.
  ++m_seen;
  const double a = std::max(0.02, 1.0 / double(m_seen));
  m_smoothed = m_seen == 1 ? loss : (1 - a) * m_smoothed + a * loss;
  const auto now = std::chrono::steady_clock::now();
  if (std::chrono::duration<double>(now - m_lastPrint).count() >= m_intervalS) {
    m_lastPrint = now;
    const std::string l = line(step);
    std::fprintf(stderr, "%s\n", l.c_str());
    spdlog::info("{}", l);
  }
}

void Progress::finish(int64_t step) {
  const std::string l = line(step);
  std::fprintf(stderr, "%s\n", l.c_str());
  spdlog::info("{}", l);
}

}  // namespace ns::train
