#pragma once
// FarmJob: one farm render as files in its output folder OUT (shared storage, seen by every node):
//
//   OUT/frames/frame_0000.png …   what `render PROJECT --frames A:B -o OUT/frames/frame.png` writes
//   OUT/<name>.mp4                assembled by the merge job once every frame is there
//   OUT/farm/settings.json        the resolved settings (this struct), written once at submit
//   OUT/farm/project.nsproj       the project copy, its inputs as absolute paths
//   OUT/farm/chunk.sbatch         array task i renders chunk i: frames [i·N, min((i+1)·N, F))
//   OUT/farm/merge.sbatch         checks every frame and writes the video (`farm merge OUT`)
//   OUT/farm/logs/chunk_<i>.log   one log per chunk (appended to on resume), logs/merge.log
//   OUT/farm/state.json           the submissions (array and merge job ids, which chunks), cancel mark
//
// No Qt and no torch: the CLI and the window both use it (DESIGN.md "Farm").

#include <string>
#include <utility>
#include <vector>

#include "core/util/result.h"

namespace ns::farm {

struct SlurmResources {
  std::string partition;  // "" = the cluster's default partition
  int cpusPerTask = 0;    // 0 = not asked for
  std::string mem;        // e.g. "8G"; "" = not asked for
  std::string time;       // e.g. "02:00:00"; "" = the partition's default
  int gpusPerTask = 0;
  int maxParallel = 0;    // K of --array=0-M%K; 0 = no limit
};

struct FarmJob {
  static constexpr int kVersion = 1;

  std::string outDir;         // absolute
  std::string name;           // the project's file stem: OUT/<name>.mp4
  std::string sourceProject;  // the project as given (absolute), for the record
  int frames = 0;
  double fps = 8.0;
  int chunk = 1;              // frames per array task
  int steps = 0;              // resolved render settings (0 / < 0 = the project's, never left so by submit)
  double ratio = -1.0;
  std::string cli;            // absolute path of noisestudio-cli on the nodes
  std::string model;          // absolute model path, "" = built-in
  std::string device = "cpu";
  SlurmResources slurm;

  int chunkCount() const { return chunk > 0 ? (frames + chunk - 1) / chunk : 0; }
  std::pair<int, int> chunkRange(int i) const;  // [begin, end)

  std::string farmDir() const;
  std::string settingsPath() const;
  std::string projectCopyPath() const;
  std::string chunkScriptPath() const;
  std::string mergeScriptPath() const;
  std::string statePath() const;
  std::string logsDir() const;
  std::string chunkLogPath(int i) const;
  std::string mergeLogPath() const;
  std::string framesDir() const;
  std::string framePattern() const;  // OUT/frames/frame.png, the -o of the chunk renders
  std::string framePath(int f) const;  // OUT/frames/frame_0007.png
  std::string videoPath() const;

  // Checks the fields a submit needs (chunk >= 1, frames >= 1, absolute paths, resource strings
  // without whitespace or shell characters); the error names the field.
  Result<void> validate() const;
  std::string toJson() const;
  static Result<FarmJob> fromJson(const std::string& text, const std::string& sourceName);
  static Result<FarmJob> load(const std::string& outDir);  // reads OUT/farm/settings.json

  // The sbatch scripts. The array's task id is the chunk index, so `--array=2,5` reruns chunks 2 and 5.
  std::string chunkScript() const;
  std::string mergeScript() const;
  // sbatch arguments (besides the script): the array of `chunks` with its log pattern, or the merge
  // job after `afterok` of `arrayJobId`.
  std::vector<std::string> chunkSubmitArgs(const std::vector<int>& chunks) const;
  std::vector<std::string> mergeSubmitArgs(const std::string& arrayJobId) const;
};

// Resource strings without whitespace, quotes or shell syntax, counts >= 0; the error names the option.
Result<void> validateSlurmResources(const SlurmResources& slurm);
// The #SBATCH lines of these resources (perTask: also CPUs and GPUs per task; a merge needs neither).
std::string sbatchResourceLines(const SlurmResources& slurm, bool perTask);
// The shortest text that reads back as the same double (a task must get exactly the local value).
std::string exactNumber(double v);

// "0-3", or "1,3,7-9": Slurm's --array index list for these (sorted, unique) chunk indices.
std::string arrayIndexList(const std::vector<int>& chunks);
// Single-quotes `s` for bash (' becomes '\'').
std::string shellQuote(const std::string& s);

// What the job folder remembers of its submissions.
struct FarmSubmission {
  std::string arrayJobId;
  std::string mergeJobId;
  std::vector<int> chunks;  // a batch's task indices
  // Batches: the gather job of each job name this submission queued one for (state.json "gathers").
  std::vector<std::pair<std::string, std::string>> gathers;
};
struct FarmState {
  std::vector<FarmSubmission> submissions;
  bool cancelled = false;

  // The array job that last took chunk i ("" when none did).
  std::string arrayJobFor(int chunk) const;
  // The gather job last queued for batch job `name` ("" when none was).
  std::string gatherJobFor(const std::string& name) const;
  std::vector<std::string> allJobIds() const;
  std::string toJson() const;
  static Result<FarmState> fromJson(const std::string& text, const std::string& sourceName);
  static Result<FarmState> load(const std::string& path);  // a missing file is an empty state
  Result<void> save(const std::string& path) const;
};

}  // namespace ns::farm
