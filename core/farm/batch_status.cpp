#include "core/farm/batch_status.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <sstream>

#include "core/farm/text_file.h"

namespace fs = std::filesystem;

namespace ns::farm {

namespace {

bool nonEmptyFile(const std::string& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec) && fs::file_size(path, ec) > 0;
}

bool allExist(const std::vector<std::string>& paths) {
  for (const auto& p : paths)
    if (!nonEmptyFile(p)) return false;
  return true;
}

void indented(std::ostringstream& o, const std::string& text, const char* prefix) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) o << prefix << l << "\n";
}

}  // namespace

BatchStatus computeBatchStatus(const BatchPlan& plan, const FarmState& state, const std::vector<SlurmTask>& tasks,
                               int tailLines) {
  std::map<std::string, const SlurmTask*> byId;
  for (const auto& t : tasks) byId[t.id] = &t;
  auto lineFor = [&](const std::string& id) -> const SlurmTask* {
    const auto it = id.empty() ? byId.end() : byId.find(id);
    return it == byId.end() ? nullptr : it->second;
  };
  BatchStatus st;
  for (const auto& t : plan.tasks) {
    BatchTaskStatus ts;
    ts.index = t.index;
    ts.job = t.job;
    ts.what = t.what;
    const std::string arrayId = state.arrayJobFor(t.index);
    if (!arrayId.empty()) ts.task = arrayId + "_" + std::to_string(t.index);
    const SlurmTask* line = lineFor(ts.task);
    if (line) ts.slurmState = line->state + " " + line->reason;
    ts.state = classifyTask(allExist(t.outputs), ts.task, line);
    if (plan.spec.jobs[size_t(t.job)].kind == BatchKind::Render) {
      ts.frameBegin = t.begin, ts.frameEnd = t.end;
      for (const auto& o : t.outputs) ts.framesDone += nonEmptyFile(o) ? 1 : 0;
      st.frames += t.end - t.begin;
      st.framesDone += ts.framesDone;
    }
    if (ts.state == ChunkState::Running) ts.progress = lastProgress(tailOfFile(plan.taskLogPath(t.index), 40));
    if (ts.state == ChunkState::Failed) {
      if (ts.slurmState.empty()) ts.slurmState = "ended (no longer in squeue)";
      ts.logTail = tailOfFile(plan.taskLogPath(t.index), tailLines);
    }
    st.tasksDone += ts.state == ChunkState::Done ? 1 : 0;
    st.tasks.push_back(ts);
  }

  bool anyFailed = false, anyRunning = false, anyPending = false, allDone = true;
  int renderJobs = 0, videos = 0;
  for (int j = 0; j < int(plan.spec.jobs.size()); ++j) {
    const BatchJob& job = plan.spec.jobs[size_t(j)];
    BatchJobStatus js;
    js.name = job.name;
    js.kind = batchKindName(job.kind);
    bool taskFailed = false, taskRunning = false, taskPending = false;
    for (const auto& ts : st.tasks) {
      if (ts.job != j) continue;
      ++js.tasks;
      js.tasksDone += ts.state == ChunkState::Done ? 1 : 0;
      taskFailed |= ts.state == ChunkState::Failed || ts.state == ChunkState::NotSubmitted;
      taskRunning |= ts.state == ChunkState::Running;
      taskPending |= ts.state == ChunkState::Pending;
    }
    const BatchGather* g = plan.gatherFor(j);
    if (!g) {
      js.gather = "none";
      for (const auto& t : plan.tasks)
        if (t.job == j)
          for (const auto& o : t.outputs)
            if (nonEmptyFile(o)) js.results.push_back(o);
    } else {
      for (const auto& o : g->outputs)
        if (nonEmptyFile(o)) js.results.push_back(o);
      js.gatherJob = state.gatherJobFor(job.name);
      const SlurmTask* line = lineFor(js.gatherJob);
      if (allExist(g->outputs)) js.gather = "done";
      else if (js.gatherJob.empty()) js.gather = "not submitted";
      else if (line && line->reason == "DependencyNeverSatisfied") js.gather = "not run (a task failed)";
      else if (line && line->state == "PENDING") js.gather = "waiting";
      else if (line && isRunningSlurmState(line->state)) js.gather = "running";
      else if (taskFailed) js.gather = "not run (a task failed)";
      else {
        js.gather = "failed";
        js.gatherLogTail = tailOfFile(plan.gatherLogPath(j), tailLines);
      }
    }
    if (job.kind == BatchKind::Render) ++renderJobs, videos += js.gather == "done" ? 1 : 0;
    const bool gatherOk = js.gather == "none" || js.gather == "done";
    if (js.tasksDone == js.tasks && gatherOk) js.state = "done";
    else if (taskRunning || js.gather == "running") js.state = "running";
    else if (taskFailed || js.gather == "failed" || js.gather == "not submitted" || js.gather == "not run (a task failed)")
      js.state = "failed";
    else if (taskPending) js.state = "pending";
    else js.state = "gathering";
    anyFailed |= js.state == "failed";
    anyRunning |= js.state == "running";
    anyPending |= js.state == "pending";
    allDone &= js.state == "done";
    st.jobs.push_back(js);
  }
  st.videos = renderJobs > 0 && videos == renderJobs;
  if (state.cancelled) st.state = "cancelled";
  else if (allDone) st.state = "done";
  else if (anyRunning) st.state = "running";
  else if (anyFailed) st.state = "failed";
  else if (anyPending) st.state = "pending";
  else st.state = "gathering";
  return st;
}

std::vector<int> BatchStatus::tasksToResubmit() const {
  std::vector<int> out;
  for (const auto& t : tasks)
    if (t.state == ChunkState::Failed || t.state == ChunkState::NotSubmitted) out.push_back(t.index);
  return out;
}

std::vector<int> BatchStatus::gathersToSubmit() const {
  std::vector<int> out;
  for (int j = 0; j < int(jobs.size()); ++j)
    if (jobs[size_t(j)].gather != "none" && jobs[size_t(j)].gather != "done") out.push_back(j);
  return out;
}

std::string BatchStatus::toJson() const {
  using nlohmann::json;
  json ts = json::array(), chunks = json::array();
  for (const auto& t : tasks) {
    json j{{"task_index", t.index}, {"job", jobs.empty() ? std::string() : jobs[size_t(t.job)].name},
           {"what", t.what},        {"state", chunkStateName(t.state)},
           {"task", t.task},        {"slurm", t.slurmState}};
    if (!t.progress.empty()) j["progress"] = t.progress;
    if (!t.logTail.empty()) j["log_tail"] = t.logTail;
    ts.push_back(j);
    // The shape of a project job's chunks[], for readers of those (the window's Jobs dock).
    json c{{"chunk", t.index},           {"frames", {t.frameBegin, t.frameEnd}}, {"frames_done", t.framesDone},
           {"state", chunkStateName(t.state)}, {"task", t.task},                    {"slurm", t.slurmState}};
    if (!t.progress.empty()) c["progress"] = t.progress;
    if (!t.logTail.empty()) c["log_tail"] = t.logTail;
    chunks.push_back(c);
  }
  json js = json::array();
  std::string merge = "done";
  for (const auto& j : jobs) {
    json o{{"name", j.name},   {"kind", j.kind},         {"state", j.state},       {"tasks_done", j.tasksDone},
           {"tasks", j.tasks}, {"gather", j.gather},     {"gather_job", j.gatherJob}, {"results", j.results}};
    if (!j.gatherLogTail.empty()) o["gather_log_tail"] = j.gatherLogTail;
    js.push_back(o);
    if (j.gather != "none" && j.gather != "done" && merge == "done") merge = j.gather;
  }
  json out{{"ok", true},     {"kind", "batch"}, {"state", state},  {"tasks_done", tasksDone}, {"task_count", tasks.size()},
           {"jobs", js},     {"tasks", ts},     {"chunks", chunks}, {"merge", merge},
           {"frames", frames}, {"frames_done", framesDone}, {"video", videos}};
  return out.dump(2);
}

std::string BatchStatus::toText() const {
  std::ostringstream o;
  o << state << ": " << tasksDone << "/" << tasks.size() << " tasks done, " << jobs.size() << " job(s)\n";
  for (int j = 0; j < int(jobs.size()); ++j) {
    const auto& js = jobs[size_t(j)];
    o << "  job " << js.name << " (" << js.kind << ")  " << js.state << "  " << js.tasksDone << "/" << js.tasks
      << " tasks";
    if (js.gather != "none") o << ", gather " << js.gather << (js.gatherJob.empty() ? "" : " [" + js.gatherJob + "]");
    o << "\n";
    for (const auto& t : tasks) {
      if (t.job != j) continue;
      o << "    task " << t.index << " " << t.what << "  " << chunkStateName(t.state);
      if (!t.task.empty() && t.state != ChunkState::Done)
        o << "  [" << t.task << (t.slurmState.empty() ? "" : " " + t.slurmState) << "]";
      if (!t.progress.empty()) o << "  " << t.progress;
      o << "\n";
      if (!t.logTail.empty()) indented(o, t.logTail, "        | ");
    }
    if (!js.gatherLogTail.empty()) {
      o << "    gather log:\n";
      indented(o, js.gatherLogTail, "        | ");
    }
    for (const auto& r : js.results) o << "    -> " << r << "\n";
  }
  return o.str();
}

}  // namespace ns::farm
