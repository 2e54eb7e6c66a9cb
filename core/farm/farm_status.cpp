#include "core/farm/farm_status.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <sstream>

#include "core/farm/text_file.h"

namespace fs = std::filesystem;

namespace ns::farm {

const char* chunkStateName(ChunkState s) {
  switch (s) {
    case ChunkState::Pending: return "pending";
    case ChunkState::Running: return "running";
    case ChunkState::Done: return "done";
    case ChunkState::Failed: return "failed";
    case ChunkState::NotSubmitted: return "not submitted";
  }
  return "?";
}

std::string lastProgress(const std::string& text) {
  static const std::string kTag = "progress: ";
  const auto at = text.rfind(kTag);
  if (at == std::string::npos) return {};
  const auto end = text.find_first_of("\r\n", at);
  std::string line = text.substr(at + kTag.size(), end == std::string::npos ? std::string::npos : end - at - kTag.size());
  return line.substr(0, line.find(" at "));  // the wall-clock stamp is for measurements, not people
}

namespace {

bool isRunningState(const std::string& s) {
  return s == "RUNNING" || s == "CONFIGURING" || s == "COMPLETING" || s == "SUSPENDED" || s == "SIGNALING" ||
         s == "STAGE_OUT";
}

bool fileExists(const std::string& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec) && fs::file_size(path, ec) > 0;
}

}  // namespace

bool isRunningSlurmState(const std::string& s) { return isRunningState(s); }

ChunkState classifyTask(bool complete, const std::string& taskId, const SlurmTask* t) {
  if (complete) return ChunkState::Done;
  if (taskId.empty()) return ChunkState::NotSubmitted;
  if (t && t->state == "PENDING") return ChunkState::Pending;
  if (t && isRunningState(t->state)) return ChunkState::Running;
  // Ended without all its outputs (FAILED, CANCELLED, TIMEOUT, OUT_OF_MEMORY, NODE_FAIL, or
  // COMPLETED with outputs gone since), or aged out of Slurm's memory before finishing.
  return ChunkState::Failed;
}

FarmStatus computeFarmStatus(const FarmJob& job, const FarmState& state, const std::vector<SlurmTask>& tasks,
                             int tailLines) {
  std::map<std::string, const SlurmTask*> byId;
  for (const auto& t : tasks) byId[t.id] = &t;
  FarmStatus st;
  st.frames = job.frames;
  bool anyFailed = false, anyRunning = false, anyPending = false;
  for (int i = 0; i < job.chunkCount(); ++i) {
    ChunkStatus c;
    c.index = i;
    std::tie(c.begin, c.end) = job.chunkRange(i);
    for (int f = c.begin; f < c.end; ++f) c.framesDone += fileExists(job.framePath(f)) ? 1 : 0;
    st.framesDone += c.framesDone;
    const std::string arrayId = state.arrayJobFor(i);
    if (!arrayId.empty()) c.task = arrayId + "_" + std::to_string(i);
    const auto it = byId.find(c.task);
    if (it != byId.end()) c.slurmState = it->second->state + " " + it->second->reason;
    c.state = classifyTask(c.framesDone == c.end - c.begin, c.task, it != byId.end() ? it->second : nullptr);
    if (c.state == ChunkState::Running) c.progress = lastProgress(tailOfFile(job.chunkLogPath(i), 40));
    if (c.state == ChunkState::Failed) {
      if (c.slurmState.empty()) c.slurmState = "ended (no longer in squeue)";
      c.logTail = tailOfFile(job.chunkLogPath(i), tailLines);
    }
    anyFailed |= c.state == ChunkState::Failed || c.state == ChunkState::NotSubmitted;
    anyRunning |= c.state == ChunkState::Running;
    anyPending |= c.state == ChunkState::Pending;
    st.chunks.push_back(c);
  }
  st.videoPresent = fileExists(job.videoPath());
  const std::string mergeId = state.submissions.empty() ? std::string() : state.submissions.back().mergeJobId;
  const auto m = mergeId.empty() ? byId.end() : byId.find(mergeId);
  if (st.videoPresent) {
    st.mergeState = "done";
  } else if (mergeId.empty()) {
    st.mergeState = "not submitted";
  } else if (m != byId.end() && m->second->state == "PENDING") {
    st.mergeState = "waiting";
  } else if (m != byId.end() && isRunningState(m->second->state)) {
    st.mergeState = "running";
  } else if (m != byId.end() && m->second->reason == "DependencyNeverSatisfied") {
    st.mergeState = "not run (a chunk failed)";
  } else {
    st.mergeState = anyFailed ? "not run (a chunk failed)" : "failed";
    if (!anyFailed) st.mergeLogTail = tailOfFile(job.mergeLogPath(), tailLines);
  }
  if (state.cancelled) st.state = "cancelled";
  else if (st.videoPresent && st.framesDone == st.frames) st.state = "done";
  else if (anyRunning) st.state = "running";
  else if (anyFailed || st.mergeState == "failed") st.state = "failed";
  else if (anyPending) st.state = "pending";
  else st.state = "merging";
  return st;
}

std::vector<int> FarmStatus::chunksToResubmit() const {
  std::vector<int> out;
  for (const auto& c : chunks)
    if (c.state == ChunkState::Failed || c.state == ChunkState::NotSubmitted) out.push_back(c.index);
  return out;
}

std::string FarmStatus::toJson() const {
  nlohmann::json cs = nlohmann::json::array();
  for (const auto& c : chunks) {
    nlohmann::json j{{"chunk", c.index},          {"frames", {c.begin, c.end}}, {"frames_done", c.framesDone},
                     {"state", chunkStateName(c.state)}, {"task", c.task},         {"slurm", c.slurmState}};
    if (!c.progress.empty()) j["progress"] = c.progress;
    if (!c.logTail.empty()) j["log_tail"] = c.logTail;
    cs.push_back(j);
  }
  nlohmann::json j{{"ok", true},           {"state", state},   {"frames_done", framesDone}, {"frames", frames},
                   {"merge", mergeState}, {"video", videoPresent}, {"chunks", cs}};
  if (!mergeLogTail.empty()) j["merge_log_tail"] = mergeLogTail;
  return j.dump(2);
}

std::string FarmStatus::toText() const {
  std::ostringstream o;
  o << state << ": " << framesDone << "/" << frames << " frames, merge " << mergeState << "\n";
  for (const auto& c : chunks) {
    o << "  chunk " << c.index << " (frames " << c.begin << ":" << c.end << ")  " << chunkStateName(c.state);
    if (c.state != ChunkState::Done) o << "  " << c.framesDone << "/" << (c.end - c.begin) << " frames";
    if (!c.task.empty()) o << "  [" << c.task << (c.slurmState.empty() ? "" : " " + c.slurmState) << "]";
    if (!c.progress.empty()) o << "  " << c.progress;
    o << "\n";
    if (!c.logTail.empty()) {
      std::istringstream in(c.logTail);
      for (std::string l; std::getline(in, l);) o << "      | " << l << "\n";
    }
  }
  if (!mergeLogTail.empty()) {
    o << "  merge log:\n";
    std::istringstream in(mergeLogTail);
    for (std::string l; std::getline(in, l);) o << "      | " << l << "\n";
  }
  return o.str();
}

}  // namespace ns::farm
