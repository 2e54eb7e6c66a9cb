#include "app/cli/cli_common.h"

#include <nlohmann/json.hpp>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>

namespace ns::cli {

int exitCodeFor(const Error& e) {
  switch (e.kind) {
    case ErrorKind::BadInput:
    case ErrorKind::Io: return kExitBadInput;
    case ErrorKind::Model: return kExitModel;
    case ErrorKind::Cancelled: return kExitCancelled;
    default: return kExitModel;
  }
}

int reportError(const GlobalOptions& g, const Error& e) {
  const int code = exitCodeFor(e);
  if (g.json) {
    nlohmann::json j{{"ok", false}, {"error", e.message}, {"exit_code", code}};
    std::cout << j.dump(2) << std::endl;
  }
  std::cerr << "noisestudio-cli: " << (e.kind == ErrorKind::Cancelled ? "cancelled" : "error") << ": "
            << e.message << std::endl;
  return code;
}

JobContext& currentJob() {
  static JobContext ctx;
  return ctx;
}

namespace {
volatile std::sig_atomic_t g_interrupts = 0;
void onSigint(int) {
  // Async-signal-safe: an atomic store. The job notices between steps and returns Cancelled.
  g_interrupts = g_interrupts + 1;
  if (g_interrupts > 1) _exit(kExitCancelled);
  currentJob().cancel();
}
}  // namespace

void installInterruptHandler() {
  struct sigaction sa {};
  sa.sa_handler = onSigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

JobContext::ProgressFn lineProgress() {
  auto last = std::make_shared<std::chrono::steady_clock::time_point>();
  return [last](const JobProgress& p) {
    const auto now = std::chrono::steady_clock::now();
    if (p.step < p.total && now - *last < std::chrono::seconds(1)) return;
    *last = now;
    // The wall-clock stamp lets docs/farm.md measure a task's start-up against the script's own.
    const double epoch = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::fprintf(stderr, "progress: %s %d/%d at %.3f\n", p.stage.c_str(), p.step, p.total, epoch);
    std::fflush(stderr);
  };
}

JobContext::ProgressFn stderrProgress(const GlobalOptions& g) {
  if (!isatty(STDERR_FILENO) && std::getenv("NS_PROGRESS_LINES")) return lineProgress();
  const bool show = g.verbose || isatty(STDERR_FILENO);
  if (!show) return {};
  struct State {
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point last{};
    std::string stage;
  };
  auto st = std::make_shared<State>();
  return [st](const JobProgress& p) {
    const auto now = std::chrono::steady_clock::now();
    if (p.stage != st->stage) {
      st->stage = p.stage;
      st->start = now;
    }
    const bool done = p.step >= p.total;
    if (!done && now - st->last < std::chrono::milliseconds(100)) return;
    st->last = now;
    const double el = std::chrono::duration<double>(now - st->start).count();
    const double eta = p.step > 0 ? el / p.step * (p.total - p.step) : 0.0;
    std::fprintf(stderr, "\r%-10s %4d/%-4d  %5.1fs  ETA %5.1fs ", p.stage.c_str(), p.step, p.total, el, eta);
    if (done) std::fprintf(stderr, "\n");
    std::fflush(stderr);
  };
}

}  // namespace ns::cli
