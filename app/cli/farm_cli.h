#pragma once
// What the `farm` verbs share between a project job (cmd_farm.cpp) and a batch (cmd_farm_batch.cpp):
// the submit options, the checks before anything is written, the project copy, and the merge of
// frames into a video (a render job's gather).

#include <functional>
#include <string>
#include <vector>

#include "app/cli/cli_common.h"
#include "core/farm/farm_job.h"
#include "core/plan/project.h"

namespace ns::cli {

struct FarmSubmitOptions {
  std::string input, out, engine = "slurm", model, cli;
  int chunk = -1;  // -1: not given (a batch sets it per render job)
  int steps = 0;
  double ratio = -1.0;
  farm::SlurmResources slurm;
};

std::string farmAbsolutePath(const std::string& p);
// Whether we may create files in `dir` (made if missing, `created` says so): checked before anything is written.
Result<void> checkWritableFolder(const std::string& dir, bool& created);
// Opens a project for the farm: exit-2 errors naming the file, its inputs loaded once (a missing
// background would fail every task on the farm).
Result<Project> openProjectForFarm(const std::string& path);
// The project as the tasks read it: its input files as absolute paths.
std::string projectCopyText(const Project& project);
// Checks that all `frames` frames exist and are the same size and writes them as one video, with
// the sidecar frame 0's metadata describes (result_metadata.h).
Result<void> mergeFramesToVideo(const std::function<std::string(int)>& framePath, int frames, double fps,
                                const std::string& framesDir, const std::string& videoPath);
// scancel `ids` and wait (at most 120 s) until Slurm runs none of them.
Result<void> cancelAndWait(const std::vector<std::string>& ids, const std::string& what);

// The batch verbs (cmd_farm_batch.cpp); OUT is a batch folder when OUT/farm/batch.json exists.
bool isBatchFolder(const std::string& out);
int runBatchSubmit(const GlobalOptions& g, const FarmSubmitOptions& o);
int runBatchStatus(const GlobalOptions& g, const std::string& out);
int runBatchResume(const GlobalOptions& g, const std::string& out);
int runBatchCancel(const GlobalOptions& g, const std::string& out);
int runBatchGather(const GlobalOptions& g, const std::string& out, const std::string& job);

}  // namespace ns::cli
