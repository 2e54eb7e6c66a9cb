#pragma once
// runProcess: runs a program with an argument vector (no shell, so user paths are never parsed
// as shell text) and collects its exit code, stdout and stderr. The farm module talks to Slurm's
// client programs (sbatch, squeue, scontrol, scancel) only through this.
// Thread safety: plain functions; each call owns its child process and pipes.

#include <string>
#include <vector>

#include "core/util/result.h"

namespace ns::farm {

struct ProcessResult {
  int exitCode = -1;  // the program's exit status; 128 + N when killed by signal N
  std::string out;    // everything it wrote to stdout
  std::string err;    // everything it wrote to stderr
};

// Runs argv[0] (looked up on PATH when it has no '/') with argv[1..]. Fails (ErrorKind::BadInput)
// when the program cannot be started, naming it; a program that ran and failed is a ProcessResult
// with its exit code. A program still running after timeoutSeconds is killed (exit 128 + 9).
Result<ProcessResult> runProcess(const std::vector<std::string>& argv, double timeoutSeconds = 120.0);

// The absolute path of `name` on PATH, or "" when it is not there (or not executable).
std::string findOnPath(const std::string& name);

}  // namespace ns::farm
