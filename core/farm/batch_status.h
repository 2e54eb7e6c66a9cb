#pragma once
// BatchStatus: what a farm batch looks like now, per task and per job, from the same three
// sources as a project's status (farm_status.h): the outputs in OUT (each written complete or not
// at all), what Slurm still remembers (squeue), and the logs (progress, failure tails).

#include <string>
#include <vector>

#include "core/farm/farm_batch.h"
#include "core/farm/farm_status.h"
#include "core/farm/slurm_client.h"

namespace ns::farm {

struct BatchTaskStatus {
  int index = 0;
  int job = 0;
  std::string what;        // "search best candidates 0:2"
  ChunkState state = ChunkState::NotSubmitted;
  std::string task;        // Slurm task id ("12_3"), "" when never submitted
  std::string slurmState;  // squeue's state and reason, "" once aged out
  std::string progress;    // running tasks: the last progress line
  std::string logTail;     // failed tasks: the end of their log
  int frameBegin = 0, frameEnd = 0, framesDone = 0;  // render tasks: their frames; others: none (0, 0)
};

struct BatchJobStatus {
  std::string name, kind;
  std::string state;  // "pending", "running", "gathering", "done", "failed"
  int tasksDone = 0, tasks = 0;
  // "none" (nothing to gather), "waiting", "running", "done", "not run (a task failed)", "failed", "not submitted"
  std::string gather;
  std::string gatherJob;
  std::string gatherLogTail;
  std::vector<std::string> results;  // the job's outputs that exist now
};

struct BatchStatus {
  std::string state;  // "pending", "running", "gathering", "done", "failed", "cancelled"
  std::vector<BatchTaskStatus> tasks;
  std::vector<BatchJobStatus> jobs;
  int tasksDone = 0;
  int frames = 0, framesDone = 0;  // over the render jobs
  bool videos = false;             // every render job's video is there (false without render jobs)

  std::vector<int> tasksToResubmit() const;  // failed or never-submitted tasks
  // Jobs with a gather whose result is missing (resume queues a new gather for each).
  std::vector<int> gathersToSubmit() const;
  // `farm status --json`: kind "batch", tasks[], jobs[], and for readers of project jobs the same
  // fields (state, frames, frames_done, video, merge, chunks[] = the tasks with chunk, frames,
  // frames_done, state, task, slurm, progress, log_tail; a task that renders no frames has [0, 0]).
  std::string toJson() const;
  std::string toText() const;
};

BatchStatus computeBatchStatus(const BatchPlan& plan, const FarmState& state, const std::vector<SlurmTask>& tasks,
                               int logTailLines = 15);

}  // namespace ns::farm
