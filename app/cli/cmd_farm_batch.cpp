// `farm submit BATCH.json`, and status | resume | cancel | gather on a batch folder: a list of jobs
// (renders, inversions, an eval-layout sweep, a best-of-N search) as ONE Slurm array, one task per
// job part, plus a gather job per job that has one, after `afterok` of that job's tasks only (so
// a failed inversion does not hold back a search's result). core/farm/farm_batch.h plans it.
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "app/cli/farm_cli.h"
#include "core/farm/batch_gather.h"
#include "core/farm/batch_status.h"
#include "core/farm/farm_batch.h"
#include "core/farm/slurm_client.h"
#include "core/farm/text_file.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace ns::cli {

namespace {

using farm::BatchKind;
using farm::BatchPlan;
using farm::FarmState;
using farm::SlurmClient;

Error badInput(const std::string& what) { return makeError(ErrorKind::BadInput, what); }

// Everything a job names must be readable now: a missing clip would fail its task on the farm.
Result<void> resolveJobInputs(farm::BatchSpec& spec, const std::string& batchPath) {
  for (auto& job : spec.jobs) {
    const std::string where = batchPath + ": job \"" + job.name + "\": ";
    if (job.kind == BatchKind::Render) {
      auto project = openProjectForFarm(job.project);
      if (!project.ok()) return badInput(where + project.error().message);
      job.frames = project->frames;
      job.fps = project->fps;
    }
    for (size_t i = 0; i < job.inputs.size(); ++i) {
      std::error_code ec;
      if (!fs::is_regular_file(job.inputs[i], ec) || !std::ifstream(job.inputs[i]).good())
        return badInput(where + "inputs[" + std::to_string(i) + "] " + job.inputs[i] + ": file not found or not readable");
    }
  }
  return {};
}

Result<std::vector<farm::SlurmTask>> queryBatch(const FarmState& st) {
  SlurmClient slurm;
  if (auto ok = slurm.checkInstalled(); !ok.ok()) return ok.error();
  return slurm.query(st.allJobIds());
}

// Submits `tasks` as one array (when any) and a gather for each job in `gatherJobs`: afterok of the
// job's tasks in this array, afterany of `alsoAfter` (older arrays still running). On a failure
// everything this call submitted is cancelled again.
Result<farm::FarmSubmission> submitBatch(const BatchPlan& plan, const std::vector<int>& tasks, const std::vector<int>& gatherJobs,
                                         const std::vector<std::string>& alsoAfter) {
  SlurmClient slurm;
  farm::FarmSubmission sub;
  sub.chunks = tasks;
  if (!tasks.empty()) {
    auto array = slurm.submit(plan.taskSubmitArgs(tasks), plan.taskScriptPath());
    if (!array.ok()) return array.error();
    sub.arrayJobId = *array;
  }
  for (int j : gatherJobs) {
    auto id = slurm.submit(plan.gatherSubmitArgs(j, sub.arrayJobId, tasks, alsoAfter), plan.gatherScriptPath(j));
    if (!id.ok()) {
      std::vector<std::string> undo;
      if (!sub.arrayJobId.empty()) undo.push_back(sub.arrayJobId);
      for (const auto& gj : sub.gathers) undo.push_back(gj.second);
      (void)slurm.cancel(undo);
      return id.error();
    }
    sub.gathers.emplace_back(plan.spec.jobs[size_t(j)].name, *id);
  }
  return sub;
}

int printBatchSubmission(const GlobalOptions& g, const BatchPlan& plan, const farm::FarmSubmission& sub, const char* verb) {
  if (g.json) {
    json gathers = json::object();
    for (const auto& [job, id] : sub.gathers) gathers[job] = id;
    std::cout << json{{"ok", true},           {"kind", "batch"},      {"out", plan.outDir},
                      {"array_job", sub.arrayJobId}, {"tasks", sub.chunks}, {"task_count", plan.tasks.size()},
                      {"gather_jobs", gathers}}
                     .dump(2)
              << std::endl;
  } else {
    if (!sub.arrayJobId.empty())
      std::cout << verb << " array job " << sub.arrayJobId << " (" << sub.chunks.size() << " of " << plan.tasks.size()
                << " tasks: --array=" << farm::arrayIndexList(sub.chunks) << ")\n";
    for (const auto& [job, id] : sub.gathers) std::cout << "gather job " << id << " for " << job << "\n";
    std::cout << "watch it with: noisestudio-cli farm status " << plan.outDir << std::endl;
  }
  return int(kExitOk);
}

}  // namespace

bool isBatchFolder(const std::string& out) {
  std::error_code ec;
  return fs::exists(fs::path(out) / "farm" / "batch.json", ec);
}

int runBatchSubmit(const GlobalOptions& g, const FarmSubmitOptions& o) {
  // Everything is checked before anything is written or submitted.
  if (o.engine != "slurm") return reportError(g, badInput("--engine " + o.engine + ": the only engine is slurm"));
  if (o.chunk != -1)
    return reportError(g, badInput("--chunk: a batch file sets \"chunk\" in each render job, not on the command line"));
  if (o.steps > 0 || o.ratio > 0)
    return reportError(g, badInput("--steps/--ratio: a batch file sets them in each job, not on the command line"));
  SlurmClient slurm;
  if (auto ok = slurm.checkInstalled(); !ok.ok()) return reportError(g, ok.error());
  std::error_code ec;
  if (!fs::is_regular_file(o.input, ec)) return reportError(g, badInput(o.input + ": file not found"));
  auto spec = farm::loadBatchFile(o.input);
  if (!spec.ok()) return reportError(g, spec.error());
  if (auto r = resolveJobInputs(*spec, o.input); !r.ok()) return reportError(g, r.error());

  farm::BatchSettings s;
  s.outDir = farmAbsolutePath(o.out);
  s.sourceBatch = farmAbsolutePath(o.input);
  s.model = o.model.empty() ? g.model : o.model;
  if (!s.model.empty()) {
    if (!fs::exists(s.model, ec)) return reportError(g, badInput("--model " + s.model + ": not found"));
    s.model = farmAbsolutePath(s.model);
  }
  s.device = g.device;
  s.cli = o.cli.empty() ? fs::read_symlink("/proc/self/exe", ec).string() : farmAbsolutePath(o.cli);
  if (s.cli.empty() || access(s.cli.c_str(), X_OK) != 0)
    return reportError(g, badInput("--cli '" + s.cli + "': not an executable noisestudio-cli"));
  s.slurm = o.slurm;
  auto plan = farm::planBatch(*spec, s);
  if (!plan.ok()) return reportError(g, plan.error());
  if (!s.slurm.partition.empty())
    if (auto ok = slurm.checkPartition(s.slurm.partition); !ok.ok()) return reportError(g, ok.error());
  if (fs::exists(plan->planPath(), ec) || fs::exists(fs::path(plan->farmDir()) / "settings.json", ec))
    return reportError(g, badInput(plan->outDir + ": already holds a farm job (farm/); use 'farm status', "
                                                  "'farm resume' or another -o"));
  for (int j = 0; j < int(plan->spec.jobs.size()); ++j)
    if (fs::exists(plan->jobDir(j), ec))
      return reportError(g, badInput(plan->jobDir(j) + ": already exists (job \"" + plan->spec.jobs[size_t(j)].name +
                                     "\" writes there); use another -o"));
  bool createdOut = false;
  if (auto w = checkWritableFolder(plan->outDir, createdOut); !w.ok()) return reportError(g, w.error());

  // The job folder. On any failure below it is removed again, so a refused submit leaves nothing.
  auto fail = [&](const Error& e) {
    std::error_code ig;
    fs::remove_all(plan->farmDir(), ig);
    if (createdOut) fs::remove(plan->outDir, ig);
    return reportError(g, e);
  };
  fs::create_directories(plan->logsDir(), ec);
  if (!ec) fs::create_directories(fs::path(plan->farmDir()) / "projects", ec);
  if (ec) return fail(makeError(ErrorKind::Io, plan->farmDir() + ": cannot create: " + ec.message()));
  std::vector<int> gatherJobs;
  for (int j = 0; j < int(plan->spec.jobs.size()); ++j) {
    const auto& job = plan->spec.jobs[size_t(j)];
    if (job.kind == BatchKind::Render) {
      auto project = Project::open(job.project);
      if (!project.ok()) return fail(project.error());
      if (auto w = farm::writeTextFile(plan->projectCopyPath(j), projectCopyText(*project)); !w.ok()) return fail(w.error());
    }
    if (plan->gatherFor(j)) {
      if (auto w = farm::writeTextFile(plan->gatherScriptPath(j), plan->gatherScript(j), 0755); !w.ok()) return fail(w.error());
      gatherJobs.push_back(j);
    }
  }
  if (auto w = farm::writeTextFile(plan->planPath(), plan->toJson()); !w.ok()) return fail(w.error());
  if (auto w = farm::writeTextFile(plan->taskScriptPath(), plan->taskScript(), 0755); !w.ok()) return fail(w.error());

  std::vector<int> all;
  for (const auto& t : plan->tasks) all.push_back(t.index);
  auto sub = submitBatch(*plan, all, gatherJobs, {});
  if (!sub.ok()) return fail(sub.error());
  FarmState state;
  state.submissions.push_back(*sub);
  if (auto w = state.save(plan->statePath()); !w.ok()) {
    (void)slurm.cancel(state.allJobIds());
    return fail(w.error());
  }
  return printBatchSubmission(g, *plan, *sub, "submitted");
}

int runBatchStatus(const GlobalOptions& g, const std::string& out) {
  auto plan = BatchPlan::load(out);
  if (!plan.ok()) return reportError(g, plan.error());
  auto state = FarmState::load(plan->statePath());
  if (!state.ok()) return reportError(g, state.error());
  auto tasks = queryBatch(*state);
  // Without Slurm here the folder alone still tells which outputs are done.
  if (!tasks.ok()) std::cerr << "note: " << tasks.error().message << "\n";
  const auto st = farm::computeBatchStatus(*plan, *state, tasks.ok() ? *tasks : std::vector<farm::SlurmTask>{});
  std::cout << (g.json ? st.toJson() + "\n" : st.toText()) << std::flush;
  return int(kExitOk);
}

int runBatchResume(const GlobalOptions& g, const std::string& out) {
  auto plan = BatchPlan::load(out);
  if (!plan.ok()) return reportError(g, plan.error());
  auto state = FarmState::load(plan->statePath());
  if (!state.ok()) return reportError(g, state.error());
  auto tasks = queryBatch(*state);
  if (!tasks.ok()) return reportError(g, tasks.error());
  const auto st = farm::computeBatchStatus(*plan, *state, *tasks);
  if (st.state == "done") {
    std::cout << (g.json ? json{{"ok", true}, {"state", "done"}, {"submitted", false}}.dump(2)
                         : plan->outDir + ": complete, nothing to resume")
              << std::endl;
    return int(kExitOk);
  }
  const std::vector<int> redo = st.tasksToResubmit();
  // Arrays with tasks still queued or running keep going; new gathers wait for them too.
  std::vector<std::string> active;
  for (const auto& t : *tasks) {
    bool isGather = false;
    for (const auto& s : state->submissions)
      for (const auto& gj : s.gathers) isGather |= gj.second == t.jobId;
    if (!isGather && !SlurmClient::isFinished(t.state) && std::find(active.begin(), active.end(), t.jobId) == active.end())
      active.push_back(t.jobId);
  }
  // A job gets a new gather when its result is missing and its gather is not queued, or when some
  // of its tasks are resubmitted (its queued gather would not wait for them: cancelled first).
  std::vector<int> gathers;
  std::vector<std::string> staleGathers;
  for (int j : st.gathersToSubmit()) {
    const auto& js = st.jobs[size_t(j)];
    const bool live = js.gather == "waiting" || js.gather == "running";
    bool redone = false;
    for (int t : redo) redone |= plan->tasks[size_t(t)].job == j;
    if (live && !redone) continue;
    if (live) staleGathers.push_back(js.gatherJob);
    gathers.push_back(j);
  }
  if (redo.empty() && gathers.empty()) {
    std::cout << (g.json ? json{{"ok", true}, {"state", st.state}, {"submitted", false}}.dump(2)
                         : "nothing to resume: every task is done or under way and the gathers are queued")
              << std::endl;
    return int(kExitOk);
  }
  SlurmClient slurm;
  if (!staleGathers.empty())
    if (auto c = slurm.cancel(staleGathers); !c.ok()) return reportError(g, c.error());
  auto sub = submitBatch(*plan, redo, gathers, active);
  if (!sub.ok()) return reportError(g, sub.error());
  state->submissions.push_back(*sub);
  state->cancelled = false;
  if (auto w = state->save(plan->statePath()); !w.ok()) return reportError(g, w.error());
  return printBatchSubmission(g, *plan, *sub, "resubmitted");
}

int runBatchCancel(const GlobalOptions& g, const std::string& out) {
  auto plan = BatchPlan::load(out);
  if (!plan.ok()) return reportError(g, plan.error());
  auto state = FarmState::load(plan->statePath());
  if (!state.ok()) return reportError(g, state.error());
  const auto ids = state->allJobIds();
  if (auto c = cancelAndWait(ids, plan->outDir); !c.ok()) return reportError(g, c.error());
  state->cancelled = true;
  if (auto w = state->save(plan->statePath()); !w.ok()) return reportError(g, w.error());
  // No partial output: every job's folder goes (frames, parts, results); OUT/farm stays with the
  // logs and the cancel mark, so `farm resume` can start over.
  std::error_code ec;
  uintmax_t removed = 0;
  for (int j = 0; j < int(plan->spec.jobs.size()); ++j) {
    removed += fs::remove_all(plan->jobDir(j), ec);
    if (ec) return reportError(g, makeError(ErrorKind::Io, plan->jobDir(j) + ": cannot remove: " + ec.message()));
  }
  if (g.json)
    std::cout << json{{"ok", true}, {"cancelled", ids}, {"removed_files", removed}}.dump(2) << std::endl;
  else {
    std::string list;
    for (const auto& id : ids) list += (list.empty() ? "" : ", ") + id;
    std::cout << "cancelled jobs " << (list.empty() ? "(none)" : list) << "; removed the outputs of "
              << plan->spec.jobs.size() << " job(s) in " << plan->outDir << std::endl;
  }
  return int(kExitOk);
}

int runBatchGather(const GlobalOptions& g, const std::string& out, const std::string& name) {
  auto plan = BatchPlan::load(out);
  if (!plan.ok()) return reportError(g, plan.error());
  int j = -1;
  for (int k = 0; k < int(plan->spec.jobs.size()); ++k)
    if (plan->spec.jobs[size_t(k)].name == name) j = k;
  if (j < 0) return reportError(g, badInput(plan->planPath() + ": the batch has no job \"" + name + "\""));
  const auto& job = plan->spec.jobs[size_t(j)];
  std::vector<std::string> written;
  if (job.kind == BatchKind::Render) {
    const std::string framesDir = (fs::path(plan->jobDir(j)) / "frames").string();
    auto merged = mergeFramesToVideo([&](int f) { return plan->framePath(j, f); }, job.frames, job.fps, framesDir,
                                     plan->videoPath(j));
    if (!merged.ok()) return reportError(g, merged.error());
    written.push_back(plan->videoPath(j));
  } else {
    auto r = farm::gatherBatchJob(*plan, j);
    if (!r.ok()) return reportError(g, r.error());
    written = *r;
  }
  if (g.json)
    std::cout << json{{"ok", true}, {"job", name}, {"written", written}}.dump(2) << std::endl;
  else
    for (const auto& w : written) std::cout << w << "\n";
  return int(kExitOk);
}

}  // namespace ns::cli
