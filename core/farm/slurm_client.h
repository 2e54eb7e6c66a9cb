#pragma once
// SlurmClient: the four Slurm client programs the farm needs, run as argument vectors through
// runProcess. Errors carry Slurm's own message (e.g. "sbatch: error: invalid partition specified:
// gpu") after naming the program, so a person sees what Slurm refused.
// Thread safety: stateless apart from the program names; one instance per caller.

#include <string>
#include <vector>

#include "core/util/result.h"

namespace ns::farm {

// One line of squeue: a job or one array task ("12" or "12_3").
struct SlurmTask {
  std::string id;      // "12_3" for array task 3 of job 12, "13" for a plain job
  std::string jobId;   // "12"
  int arrayIndex = -1; // 3, or -1 for a plain job
  std::string state;   // PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, …
  std::string reason;  // squeue's %r: None, Dependency, DependencyNeverSatisfied, NonZeroExitCode, …
};

class SlurmClient {
 public:
  // Whether sbatch, squeue and scancel are on PATH; the error names the first one missing.
  Result<void> checkInstalled() const;
  // scontrol show partition NAME: an error quoting Slurm when the partition does not exist.
  Result<void> checkPartition(const std::string& partition) const;
  // sbatch --parsable ARGS… SCRIPT -> the job id ("17"; a ";cluster" suffix is dropped).
  Result<std::string> submit(const std::vector<std::string>& args, const std::string& script) const;
  // squeue -h -r -t all -j IDS: every task of those jobs Slurm still remembers (MinJobAge).
  Result<std::vector<SlurmTask>> query(const std::vector<std::string>& jobIds) const;
  // scancel IDS.
  Result<void> cancel(const std::vector<std::string>& jobIds) const;

  // Parses one line of `squeue -o '%i|%T|%r'`; false when it is not one.
  static bool parseTaskLine(const std::string& line, SlurmTask& out);
  // States after which a task will not run again by itself.
  static bool isFinished(const std::string& state);
};

}  // namespace ns::farm
