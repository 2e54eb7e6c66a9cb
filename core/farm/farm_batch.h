#pragma once
// Farm batches: a JSON list of jobs (render projects, invert clips, an `eval layout` sweep over α,
// a best-of-N noise `search`) that `farm submit BATCH.json -o OUT` turns into ONE Slurm array,
// one task per job-or-part, plus a gather job per job that has one (the video of a render, the
// best search candidate, the eval table), each after `afterok` of that job's tasks only.
// The file format is documented in docs/farm.md ("Batch files"); this header parses it (every
// key checked, unknown keys refused, errors naming the file and the entry) and plans the tasks.
//
//   OUT/<job>/…                 each job's outputs (frames/, parts/, best.png, table.json, *.nsnoise)
//   OUT/farm/batch.json         the plan's inputs: the batch (paths absolute), resolved frames, settings
//   OUT/farm/tasks.sbatch       array task i runs task i (a `case` over every task, readable)
//   OUT/farm/gather_<job>.sbatch, OUT/farm/logs/task_<i>.log, gather_<job>.log, OUT/farm/state.json
//
// No Qt and no torch (DESIGN.md "Farm"): the CLI opens projects and fills BatchJob::frames/fps.

#include <string>
#include <vector>

#include "core/farm/farm_job.h"
#include "core/util/result.h"

namespace ns::farm {

enum class BatchKind { Render, Invert, EvalLayout, Search };
const char* batchKindName(BatchKind k);  // "render", "invert", "eval-layout", "search"

// One option passed on to the job's CLI verb unchanged: `--steps` `4`.
struct BatchOption {
  std::string flag;
  std::string value;
};

struct BatchJob {
  std::string name;  // unique in the batch; OUT/<name>/ holds its outputs
  BatchKind kind = BatchKind::Render;
  std::vector<BatchOption> options;  // given to every task of the job, in the order of the format's key table
  std::string canonicalJson;         // the entry as validated (paths absolute): what batch.json stores

  // render
  std::string project;  // absolute
  int chunk = 0;
  int frames = 0;       // the project's frame count; filled by the submitter (0 = not yet)
  double fps = 8.0;
  // invert
  std::vector<std::string> inputs;  // absolute; one task each, OUT/<name>/<stem>.nsnoise
  // eval-layout
  std::vector<double> ratios;       // one task each
  // search
  int candidates = 0, perTask = 0;  // ceil(candidates / perTask) tasks of --candidates-range
};

struct BatchSpec {
  static constexpr int kVersion = 1;
  std::vector<BatchJob> jobs;
  std::string toJson() const;  // the batch file format, canonical (reads back to the same spec)
};

// Parses and validates a batch file's text. `sourceName` starts every error ("b.json: jobs[2]
// (\"sweep\"): unknown key \"ratio\"…"); relative paths are resolved against `baseDir`.
// Checks only the text (no file is opened): the submitter checks that inputs exist.
Result<BatchSpec> parseBatch(const std::string& text, const std::string& sourceName, const std::string& baseDir);
Result<BatchSpec> loadBatchFile(const std::string& path);

struct BatchTask {
  int index = 0;  // the array task id
  int job = 0;    // into spec.jobs
  int part = 0;   // the part of its job: chunk, input, ratio or candidate range
  int begin = 0, end = 0;  // frames (render) or candidates (search) [begin, end); the ratio/input index otherwise
  std::string what;        // "render ball frames 0:4"
  std::vector<std::string> args;     // the CLI's arguments (global options first)
  std::string stdoutFile;            // "" or where the task's stdout (--json) goes, written atomically
  std::vector<std::string> outputs;  // files that all exist only once the task is complete
};

struct BatchGather {
  int job = 0;
  std::vector<int> tasks;            // afterok of these
  std::vector<std::string> outputs;  // exist once the gather is done
};

struct BatchPlan {
  static constexpr int kVersion = 1;
  static constexpr int kMaxTasks = 1000;  // below Slurm's default MaxArraySize (1001)

  std::string outDir;  // absolute
  std::string sourceBatch;
  std::string cli, model, device = "cpu";
  SlurmResources slurm;
  BatchSpec spec;
  std::vector<BatchTask> tasks;
  std::vector<BatchGather> gathers;

  std::string farmDir() const;
  std::string planPath() const;         // OUT/farm/batch.json
  std::string taskScriptPath() const;   // OUT/farm/tasks.sbatch
  std::string gatherScriptPath(int job) const;
  std::string statePath() const;
  std::string logsDir() const;
  std::string taskLogPath(int task) const;
  std::string gatherLogPath(int job) const;
  std::string jobDir(int job) const;    // OUT/<name>
  std::string projectCopyPath(int job) const;  // OUT/farm/projects/<name>.nsproj (render jobs)
  std::string framePath(int job, int frame) const;
  std::string videoPath(int job) const;  // OUT/<name>/<project stem>.mp4
  std::string searchPartStem(int job, int begin, int end) const;  // OUT/<name>/parts/range_A_B
  std::string evalPartPath(int job, int ratioIndex) const;
  std::string invertOutputPath(int job, int input) const;
  const BatchGather* gatherFor(int job) const;  // nullptr: the job has nothing to gather

  std::string taskScript() const;
  std::string gatherScript(int job) const;
  std::vector<std::string> taskSubmitArgs(const std::vector<int>& tasks) const;
  // --dependency: afterok of `arrayJobId`'s tasks of this job that are in `submitted`, afterany of
  // `alsoAfter` (older arrays still running); no dependency when both are empty.
  std::vector<std::string> gatherSubmitArgs(int job, const std::string& arrayJobId, const std::vector<int>& submitted,
                                            const std::vector<std::string>& alsoAfter) const;

  std::string toJson() const;  // what OUT/farm/batch.json holds: settings, resolved frames, the batch
  static Result<BatchPlan> fromJson(const std::string& text, const std::string& sourceName);
  static Result<BatchPlan> load(const std::string& outDir);
};

// Settings of a batch submit (the same as a project submit's, without the render options).
struct BatchSettings {
  std::string outDir, sourceBatch, cli, model, device = "cpu";
  SlurmResources slurm;
};

// The tasks and gathers of `spec` (render jobs must have frames >= 1). Errors: too many tasks,
// a render job without frames, settings that validate() of a project job would refuse.
Result<BatchPlan> planBatch(const BatchSpec& spec, const BatchSettings& settings);

}  // namespace ns::farm
