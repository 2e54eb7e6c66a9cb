#pragma once
// FarmStatus: what a farm job looks like now, from three sources: the frames in OUT (a frame file
// exists only complete, since renders write a temp name and rename), what Slurm still remembers of
// the submitted tasks (squeue; tasks age out of slurmctld after MinJobAge), and the chunk logs
// (progress lines, and the tail shown for a failure).

#include <string>
#include <vector>

#include "core/farm/farm_job.h"
#include "core/farm/slurm_client.h"

namespace ns::farm {

enum class ChunkState { Pending, Running, Done, Failed, NotSubmitted };
const char* chunkStateName(ChunkState s);  // "pending", "running", "done", "failed", "not submitted"

struct ChunkStatus {
  int index = 0;
  int begin = 0, end = 0;  // frames [begin, end)
  int framesDone = 0;
  ChunkState state = ChunkState::NotSubmitted;
  std::string task;        // Slurm task id ("12_3"), "" when never submitted
  std::string slurmState;  // squeue's state and reason ("FAILED NonZeroExitCode"), "" once aged out
  std::string progress;    // last progress line of a running chunk ("denoise 12/40")
  std::string logTail;     // failed chunks: the end of their log
};

struct FarmStatus {
  std::string state;       // "pending", "running", "merging", "done", "failed", "cancelled"
  std::vector<ChunkStatus> chunks;
  int framesDone = 0, frames = 0;
  std::string mergeState;  // "waiting", "running", "done", "not run (a chunk failed)", "failed", "not submitted"
  std::string mergeLogTail;
  bool videoPresent = false;

  std::vector<int> chunksToResubmit() const;  // failed or never-submitted chunks with frames missing
  std::string toJson() const;
  std::string toText() const;
};

// One array task from its outputs and Slurm's line for it (nullptr: none): complete -> done;
// never submitted; PENDING; running; otherwise failed (ended without its outputs, or forgotten).
ChunkState classifyTask(bool complete, const std::string& taskId, const SlurmTask* slurmLine);
// RUNNING, CONFIGURING, COMPLETING, … : the task's process is (about to be) alive.
bool isRunningSlurmState(const std::string& state);

// `tasks`: squeue's lines for state.allJobIds() (may be empty when Slurm forgot them).
FarmStatus computeFarmStatus(const FarmJob& job, const FarmState& state, const std::vector<SlurmTask>& tasks,
                             int logTailLines = 15);

// The last progress line in a chunk log ("progress: denoise 12/40 frame 5" -> "denoise 12/40 frame 5").
std::string lastProgress(const std::string& logText);

}  // namespace ns::farm
