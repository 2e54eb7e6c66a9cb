#pragma once
// Shared pieces of noisestudio-cli: exit codes, the Ctrl-C -> JobContext bridge, result output.
// The CLI prints results (stdout, or JSON with --json) and progress on stderr; logs go to the log file.

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "core/jobs/job_context.h"
#include "core/util/result.h"

namespace ns::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitUsage = 1,
  kExitBadInput = 2,
  kExitModel = 3,
  kExitCancelled = 130,
};

int exitCodeFor(const Error& e);

struct GlobalOptions {
  bool json = false;
  bool verbose = false;
  std::string model;          // --model PACK (empty: built-in)
  std::string device = "cpu";  // --device cpu|cuda
  // Stable Diffusion checkpoints (--model FILE.safetensors|FILE.ckpt|DIFFUSERS_FOLDER):
  std::string prediction;     // --prediction eps|v: overrides what the file says (or does not)
  std::string tokenizer;      // --tokenizer DIR: CLIP vocab.json + merges.txt for single files
  int unetHeads = 0;          // --unet-heads N / --unet-head-dim N: head split the weights cannot tell
  int unetHeadDim = 0;
  int textHeads = 0;          // --text-heads N (default width/64)
  std::string motionModule;   // --motion-module FILE: AnimateDiff motion module -> a video model
};

// Prints an error for a person (stderr, or {"ok":false,...} on stdout with --json); returns the exit code.
int reportError(const GlobalOptions& g, const Error& e);

// The job context of the command being run. Ctrl-C (SIGINT) cancels it; a second Ctrl-C exits.
JobContext& currentJob();
void installInterruptHandler();
// A progress callback that draws "stage  12/50  ETA 3s" on stderr (only when stderr is a tty or
// --verbose), throttled to ~10 updates per second. Without a tty and with NS_PROGRESS_LINES set
// (farm batch tasks set it), whole lines instead: lineProgress().
JobContext::ProgressFn stderrProgress(const GlobalOptions& g);
// Progress as whole lines on stderr ("progress: denoise 12/40 at <unix time>"), at most one a
// second: what a farm log keeps and `farm status` reads (a terminal's '\r' line is no use in a file).
JobContext::ProgressFn lineProgress();

// A subcommand registers its options and a run function that returns an exit code.
using CommandRunner = std::function<int()>;
struct CommandTable {
  std::vector<std::pair<CLI::App*, CommandRunner>> commands;
  void add(CLI::App* sub, CommandRunner run) { commands.emplace_back(sub, std::move(run)); }
};

}  // namespace ns::cli
