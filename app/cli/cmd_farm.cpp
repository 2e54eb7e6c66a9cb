// `noisestudio-cli farm submit | status | resume | cancel | merge | gather`: long renders and batches
// on a Slurm farm. A project is one array of frame chunks plus a merge; a batch file (a .json) is
// one array of every job's tasks plus a gather per job (cmd_farm_batch.cpp).
// The job folder is the output folder OUT (core/farm/farm_job.h has its layout); every verb after
// submit takes OUT alone, so it works from any node that mounts it. Slurm's programs run through
// core/farm's process runner with argument vectors: user paths never become shell text here (the
// sbatch scripts quote them once, with shellQuote).
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <tuple>

#include "app/cli/commands.h"
#include "app/cli/farm_cli.h"
#include "core/farm/farm_job.h"
#include "core/farm/farm_status.h"
#include "core/farm/process_runner.h"
#include "core/farm/slurm_client.h"
#include "core/farm/text_file.h"

namespace fs = std::filesystem;

namespace ns::cli {

namespace {

using farm::FarmJob;
using farm::FarmState;
using farm::SlurmClient;

using SubmitOptions = FarmSubmitOptions;
const auto absolutePath = farmAbsolutePath;

Result<std::vector<farm::SlurmTask>> queryJob(const FarmState& st) {
  SlurmClient slurm;
  if (auto ok = slurm.checkInstalled(); !ok.ok()) return ok.error();
  return slurm.query(st.allJobIds());
}

// Submits `chunks` as one array plus the merge after it. `alsoAfter`: older arrays whose tasks may
// still run (resume): the merge waits for them to end too, whatever their outcome.
Result<farm::FarmSubmission> submitChunks(const FarmJob& job, const std::vector<int>& chunks,
                                          const std::vector<std::string>& alsoAfter) {
  SlurmClient slurm;
  farm::FarmSubmission sub;
  sub.chunks = chunks;
  std::vector<std::string> mergeArgs;
  if (!chunks.empty()) {
    auto array = slurm.submit(job.chunkSubmitArgs(chunks), job.chunkScriptPath());
    if (!array.ok()) return array.error();
    sub.arrayJobId = *array;
    mergeArgs = job.mergeSubmitArgs(sub.arrayJobId);
  } else {
    mergeArgs = {"--output=" + job.mergeLogPath(), "--chdir=" + job.farmDir()};
  }
  if (!alsoAfter.empty()) {
    std::string dep;
    for (const auto& id : alsoAfter) dep += ",afterany:" + id;
    if (!chunks.empty()) {
      mergeArgs[0] += dep;
    } else {
      mergeArgs.insert(mergeArgs.begin(), "--dependency=" + dep.substr(1));
    }
  }
  auto merge = slurm.submit(mergeArgs, job.mergeScriptPath());
  if (!merge.ok()) {
    // Without its merge the array would render for nothing: take it back.
    if (!sub.arrayJobId.empty()) (void)slurm.cancel({sub.arrayJobId});
    return merge.error();
  }
  sub.mergeJobId = *merge;
  return sub;
}

int printSubmission(const GlobalOptions& g, const FarmJob& job, const farm::FarmSubmission& sub, const char* verb) {
  if (g.json) {
    std::cout << nlohmann::json{{"ok", true},
                                {"out", job.outDir},
                                {"array_job", sub.arrayJobId},
                                {"merge_job", sub.mergeJobId},
                                {"chunks", sub.chunks},
                                {"frames", job.frames},
                                {"chunk", job.chunk}}
                     .dump(2)
              << std::endl;
  } else {
    if (!sub.arrayJobId.empty())
      std::cout << verb << " array job " << sub.arrayJobId << " (" << sub.chunks.size() << " chunk(s) of up to "
                << job.chunk << " frames: --array=" << farm::arrayIndexList(sub.chunks) << ")\n";
    std::cout << "merge job " << sub.mergeJobId << " -> " << job.videoPath() << "\n";
    std::cout << "watch it with: noisestudio-cli farm status " << job.outDir << std::endl;
  }
  return int(kExitOk);
}

int runSubmit(const GlobalOptions& g, const SubmitOptions& o) {
  // A batch file is JSON; a project is anything else (.nsproj).
  if (fs::path(o.input).extension() == ".json") return runBatchSubmit(g, o);
  // Everything is checked before anything is written or submitted.
  if (o.engine != "slurm")
    return reportError(g, makeError(ErrorKind::BadInput, "--engine " + o.engine + ": the only engine is slurm"));
  if (o.chunk == -1)
    return reportError(g, makeError(ErrorKind::BadInput, "--chunk N is required to submit a project (frames per task)"));
  if (o.chunk < 1)
    return reportError(g, makeError(ErrorKind::BadInput, "--chunk " + std::to_string(o.chunk) +
                                                             ": a chunk must hold at least 1 frame"));
  SlurmClient slurm;
  if (auto ok = slurm.checkInstalled(); !ok.ok()) return reportError(g, ok.error());
  std::error_code ec;
  auto project = openProjectForFarm(o.input);
  if (!project.ok()) return reportError(g, project.error());

  FarmJob job;
  job.outDir = absolutePath(o.out);
  job.name = fs::path(o.input).stem().string();
  job.sourceProject = absolutePath(o.input);
  job.frames = project->frames;
  job.fps = project->fps;
  job.chunk = o.chunk;
  job.steps = o.steps > 0 ? o.steps : project->render.steps;
  job.ratio = o.ratio > 0 ? o.ratio : project->render.noiseRatio;
  job.model = o.model.empty() ? g.model : o.model;
  if (!job.model.empty()) {
    if (!fs::exists(job.model, ec))
      return reportError(g, makeError(ErrorKind::BadInput, "--model " + job.model + ": not found"));
    job.model = absolutePath(job.model);
  }
  job.device = g.device;
  job.cli = o.cli.empty() ? fs::read_symlink("/proc/self/exe", ec).string() : absolutePath(o.cli);
  if (job.cli.empty() || access(job.cli.c_str(), X_OK) != 0)
    return reportError(g, makeError(ErrorKind::BadInput, "--cli '" + job.cli + "': not an executable noisestudio-cli"));
  job.slurm = o.slurm;
  if (auto v = job.validate(); !v.ok()) return reportError(g, v.error());
  if (!job.slurm.partition.empty())
    if (auto ok = slurm.checkPartition(job.slurm.partition); !ok.ok()) return reportError(g, ok.error());
  if (fs::exists(job.settingsPath(), ec))
    return reportError(g, makeError(ErrorKind::BadInput, job.outDir + ": already holds a farm job (farm/settings.json); "
                                                                      "use 'farm status', 'farm resume' or another -o"));
  bool createdOut = false;
  if (auto w = checkWritableFolder(job.outDir, createdOut); !w.ok()) return reportError(g, w.error());

  // The job folder. On any failure below it is removed again, so a refused submit leaves nothing.
  auto undo = [&]() {
    std::error_code ig;
    fs::remove_all(job.farmDir(), ig);
    if (createdOut) fs::remove(job.outDir, ig);
  };
  auto fail = [&](const Error& e) {
    undo();
    return reportError(g, e);
  };
  fs::create_directories(job.logsDir(), ec);
  if (ec) return fail(makeError(ErrorKind::Io, job.logsDir() + ": cannot create: " + ec.message()));
  for (const auto& [path, text, mode] : {std::make_tuple(job.projectCopyPath(), projectCopyText(*project), 0644u),
                                         std::make_tuple(job.settingsPath(), job.toJson(), 0644u),
                                         std::make_tuple(job.chunkScriptPath(), job.chunkScript(), 0755u),
                                         std::make_tuple(job.mergeScriptPath(), job.mergeScript(), 0755u)})
    if (auto w = farm::writeTextFile(path, text, mode); !w.ok()) return fail(w.error());

  std::vector<int> all;
  for (int i = 0; i < job.chunkCount(); ++i) all.push_back(i);
  auto sub = submitChunks(job, all, {});
  if (!sub.ok()) return fail(sub.error());
  FarmState state;
  state.submissions.push_back(*sub);
  if (auto w = state.save(job.statePath()); !w.ok()) {
    (void)slurm.cancel({sub->arrayJobId, sub->mergeJobId});
    return fail(w.error());
  }
  return printSubmission(g, job, *sub, "submitted");
}

int runStatus(const GlobalOptions& g, const std::string& out) {
  if (isBatchFolder(out)) return runBatchStatus(g, out);
  auto job = FarmJob::load(out);
  if (!job.ok()) return reportError(g, job.error());
  auto state = FarmState::load(job->statePath());
  if (!state.ok()) return reportError(g, state.error());
  auto tasks = queryJob(*state);
  // Without Slurm here the folder alone still tells which frames are done.
  if (!tasks.ok()) std::cerr << "note: " << tasks.error().message << "\n";
  const auto st = farm::computeFarmStatus(*job, *state, tasks.ok() ? *tasks : std::vector<farm::SlurmTask>{});
  std::cout << (g.json ? st.toJson() + "\n" : st.toText()) << std::flush;
  return int(kExitOk);
}

int runResume(const GlobalOptions& g, const std::string& out) {
  if (isBatchFolder(out)) return runBatchResume(g, out);
  auto job = FarmJob::load(out);
  if (!job.ok()) return reportError(g, job.error());
  auto state = FarmState::load(job->statePath());
  if (!state.ok()) return reportError(g, state.error());
  auto tasks = queryJob(*state);
  if (!tasks.ok()) return reportError(g, tasks.error());
  const auto st = farm::computeFarmStatus(*job, *state, *tasks);
  if (st.state == "done") {
    std::cout << (g.json ? nlohmann::json{{"ok", true}, {"state", "done"}, {"submitted", false}}.dump(2)
                         : job->videoPath() + ": complete, nothing to resume")
              << std::endl;
    return int(kExitOk);
  }
  const std::vector<int> redo = st.chunksToResubmit();
  SlurmClient slurm;
  // Arrays with tasks still queued or running keep going; the new merge waits for them too.
  std::vector<std::string> active;
  std::vector<std::string> staleMerges;
  for (const auto& t : *tasks) {
    const bool live = !SlurmClient::isFinished(t.state);
    bool isMerge = false;
    for (const auto& s : state->submissions) isMerge |= s.mergeJobId == t.jobId;
    if (live && isMerge) staleMerges.push_back(t.jobId);
    else if (live && std::find(active.begin(), active.end(), t.jobId) == active.end()) active.push_back(t.jobId);
  }
  if (redo.empty() && active.empty() && (st.mergeState == "waiting" || st.mergeState == "running")) {
    std::cout << (g.json ? nlohmann::json{{"ok", true}, {"state", st.state}, {"submitted", false}}.dump(2)
                         : "nothing to resume: every chunk is done or under way and the merge is queued")
              << std::endl;
    return int(kExitOk);
  }
  // An older merge still waiting would race the new one (or wait forever on a failed array).
  if (!staleMerges.empty())
    if (auto c = slurm.cancel(staleMerges); !c.ok()) return reportError(g, c.error());
  auto sub = submitChunks(*job, redo, active);
  if (!sub.ok()) return reportError(g, sub.error());
  state->submissions.push_back(*sub);
  state->cancelled = false;
  if (auto w = state->save(job->statePath()); !w.ok()) return reportError(g, w.error());
  return printSubmission(g, *job, *sub, "resubmitted");
}

int runCancel(const GlobalOptions& g, const std::string& out) {
  if (isBatchFolder(out)) return runBatchCancel(g, out);
  auto job = FarmJob::load(out);
  if (!job.ok()) return reportError(g, job.error());
  auto state = FarmState::load(job->statePath());
  if (!state.ok()) return reportError(g, state.error());
  const auto ids = state->allJobIds();
  if (auto c = cancelAndWait(ids, job->outDir); !c.ok()) return reportError(g, c.error());
  state->cancelled = true;
  if (auto w = state->save(job->statePath()); !w.ok()) return reportError(g, w.error());
  // No partial output: the frames (and temp files of killed writes) and any video go; the job
  // folder stays with its logs and the cancel mark, so `farm resume` can start over.
  std::error_code ec;
  const auto removed = fs::remove_all(job->framesDir(), ec);
  if (ec) return reportError(g, makeError(ErrorKind::Io, job->framesDir() + ": cannot remove: " + ec.message()));
  fs::remove(job->videoPath(), ec);
  fs::remove(job->videoPath() + ".tmp", ec);
  if (g.json)
    std::cout << nlohmann::json{{"ok", true}, {"cancelled", ids}, {"removed_files", removed}}.dump(2) << std::endl;
  else {
    std::string list;
    for (const auto& id : ids) list += (list.empty() ? "" : ", ") + id;
    std::cout << "cancelled jobs " << (list.empty() ? "(none)" : list) << "; removed " << job->framesDir() << std::endl;
  }
  return int(kExitOk);
}

int runMerge(const GlobalOptions& g, const std::string& out) {
  auto job = FarmJob::load(out);
  if (!job.ok()) return reportError(g, job.error());
  auto merged = mergeFramesToVideo([&](int f) { return job->framePath(f); }, job->frames, job->fps, job->framesDir(),
                                   job->videoPath());
  if (!merged.ok()) return reportError(g, merged.error());
  if (g.json)
    std::cout << nlohmann::json{{"ok", true}, {"video", job->videoPath()}, {"frames", job->frames}}.dump(2) << std::endl;
  else
    std::cout << job->videoPath() << std::endl;
  return int(kExitOk);
}

}  // namespace

void addFarmCommand(CLI::App& app, GlobalOptions& g, CommandTable& table) {
  auto* farmCmd = app.add_subcommand("farm", "Render on a Slurm farm: submit (a project or a batch file), status, resume, cancel, merge, gather");
  farmCmd->require_subcommand(1);

  auto* sb = farmCmd->add_subcommand("submit", "Write a job folder in OUT and submit one array task per chunk plus a merge "
                                                "(a batch file: one task per job part plus a gather per job)");
  auto so = std::make_shared<SubmitOptions>();
  sb->add_option("input", so->input, "Project file (.nsproj) or batch file (.json, docs/farm.md 'Batch files')")->required();
  sb->add_option("-o,--output", so->out, "Output and job folder (shared storage): OUT/frames/, OUT/<name>.mp4, OUT/farm/")
      ->required();
  sb->add_option("--engine", so->engine, "Scheduler (slurm)")->capture_default_str();
  sb->add_option("--chunk", so->chunk, "Frames per array task (a project; a batch sets it per render job)");
  sb->add_option("--partition", so->slurm.partition, "Slurm partition (default: the cluster's)");
  sb->add_option("--cpus-per-task", so->slurm.cpusPerTask, "CPUs per task");
  sb->add_option("--mem", so->slurm.mem, "Memory per task (Slurm size, e.g. 8G)");
  sb->add_option("--time", so->slurm.time, "Time limit per task (e.g. 01:00:00)");
  sb->add_option("--max-parallel", so->slurm.maxParallel, "Most tasks running at once (--array=…%K)");
  sb->add_option("--gpus-per-task", so->slurm.gpusPerTask, "GPUs per task (use with --device cuda)");
  sb->add_option("--model", so->model, "Model (folder or checkpoint file) as the nodes see it (default: the global --model, else built-in)");
  sb->add_option("--steps", so->steps, "DDIM steps (default: the project's)")->check(CLI::Range(1, 1000));
  sb->add_option("--ratio", so->ratio, "Noise ratio α in (0,1] (default: the project's)")->check(CLI::Range(0.0, 1.0));
  sb->add_option("--cli", so->cli, "noisestudio-cli as the nodes see it (default: this program)");
  table.add(sb, [&g, so]() { return runSubmit(g, *so); });

  auto out = std::make_shared<std::string>();
  auto* st = farmCmd->add_subcommand("status", "Per-chunk state of a farm job: pending, running, done, failed (with its log)");
  st->add_option("out", *out, "The job's output folder")->required();
  table.add(st, [&g, out]() { return runStatus(g, *out); });
  auto* rs = farmCmd->add_subcommand("resume", "Resubmit the chunks whose frames are missing, and the merge");
  rs->add_option("out", *out, "The job's output folder")->required();
  table.add(rs, [&g, out]() { return runResume(g, *out); });
  auto* cc = farmCmd->add_subcommand("cancel", "Cancel a farm job's tasks and remove its partial output");
  cc->add_option("out", *out, "The job's output folder")->required();
  table.add(cc, [&g, out]() { return runCancel(g, *out); });
  auto* mg = farmCmd->add_subcommand("merge", "Check every frame is there and write OUT/<name>.mp4 (the merge job runs this)");
  mg->add_option("out", *out, "The job's output folder")->required();
  table.add(mg, [&g, out]() { return runMerge(g, *out); });
  auto gatherJob = std::make_shared<std::string>();
  auto* ga = farmCmd->add_subcommand("gather", "Gather one job of a batch (its gather job runs this): video, best candidate, table");
  ga->add_option("out", *out, "The batch's output folder")->required();
  ga->add_option("job", *gatherJob, "The job's name in the batch file")->required();
  table.add(ga, [&g, out, gatherJob]() { return runBatchGather(g, *out, *gatherJob); });
}

}  // namespace ns::cli
