#include "core/farm/slurm_client.h"

#include <spdlog/spdlog.h>

#include <sstream>

#include "core/farm/process_runner.h"

namespace ns::farm {

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::string joined(const std::vector<std::string>& ids) {
  std::string s;
  for (const auto& id : ids) s += (s.empty() ? "" : ",") + id;
  return s;
}

// "sbatch failed (exit 1): sbatch: error: …" — Slurm's words, whichever stream it used.
Error failed(const std::string& program, const ProcessResult& r) {
  std::string msg = trim(r.err);
  if (msg.empty()) msg = trim(r.out);
  return makeError(ErrorKind::BadInput,
                   program + " failed (exit " + std::to_string(r.exitCode) + ")" + (msg.empty() ? "" : ": " + msg));
}

}  // namespace

Result<void> SlurmClient::checkInstalled() const {
  for (const char* p : {"sbatch", "squeue", "scancel", "scontrol"})
    if (findOnPath(p).empty())
      return makeError(ErrorKind::BadInput, std::string(p) +
                                                " not found on PATH: install Slurm's client (Debian: slurm-client) "
                                                "or load its environment module");
  return {};
}

Result<void> SlurmClient::checkPartition(const std::string& partition) const {
  auto r = runProcess({"scontrol", "show", "partition", partition}, 60);
  if (!r.ok()) return r.error();
  if (r->exitCode != 0 || r->out.find("PartitionName=" + partition) == std::string::npos) {
    Error e = failed("scontrol show partition " + partition, *r);
    e.message = "partition '" + partition + "' does not exist on this cluster (" + e.message + ")";
    return e;
  }
  return {};
}

Result<std::string> SlurmClient::submit(const std::vector<std::string>& args, const std::string& script) const {
  std::vector<std::string> argv{"sbatch", "--parsable"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(script);
  auto r = runProcess(argv, 120);
  if (!r.ok()) return r.error();
  if (r->exitCode != 0) return failed("sbatch", *r);
  std::string id = trim(r->out);
  id = id.substr(0, id.find(';'));
  if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
    return makeError(ErrorKind::Internal, "sbatch printed no job id (stdout: '" + trim(r->out) + "')");
  spdlog::info("farm: sbatch {} -> job {}", script, id);
  return id;
}

bool SlurmClient::parseTaskLine(const std::string& line, SlurmTask& t) {
  std::istringstream in(line);
  std::string id, state, reason;
  if (!std::getline(in, id, '|') || !std::getline(in, state, '|')) return false;
  std::getline(in, reason);
  t = SlurmTask{};
  t.id = trim(id);
  t.state = trim(state);
  t.reason = trim(reason);
  if (t.id.empty() || t.state.empty()) return false;
  const auto us = t.id.find('_');
  t.jobId = t.id.substr(0, us);
  if (us != std::string::npos) {
    const std::string idx = t.id.substr(us + 1);
    // A pending array still folded ("12_[3-5%2]") has no single index: callers expand with -r.
    if (idx.empty() || idx.find_first_not_of("0123456789") != std::string::npos) return false;
    t.arrayIndex = std::stoi(idx);
  }
  return true;
}

Result<std::vector<SlurmTask>> SlurmClient::query(const std::vector<std::string>& jobIds) const {
  std::vector<SlurmTask> tasks;
  if (jobIds.empty()) return tasks;
  auto r = runProcess({"squeue", "-h", "-r", "-t", "all", "-j", joined(jobIds), "-o", "%i|%T|%r"}, 60);
  if (!r.ok()) return r.error();
  // squeue fails with "Invalid job id specified" once every listed job has aged out of slurmctld
  // (MinJobAge): that is "Slurm remembers none of them", not an error.
  if (r->exitCode != 0) {
    if (r->err.find("Invalid job id") != std::string::npos) return tasks;
    return failed("squeue", *r);
  }
  std::istringstream in(r->out);
  std::string line;
  SlurmTask t;
  while (std::getline(in, line))
    if (parseTaskLine(line, t)) tasks.push_back(t);
  return tasks;
}

Result<void> SlurmClient::cancel(const std::vector<std::string>& jobIds) const {
  if (jobIds.empty()) return {};
  std::vector<std::string> argv{"scancel"};
  argv.insert(argv.end(), jobIds.begin(), jobIds.end());
  auto r = runProcess(argv, 60);
  if (!r.ok()) return r.error();
  if (r->exitCode != 0) return failed("scancel", *r);
  return {};
}

bool SlurmClient::isFinished(const std::string& s) {
  return !(s == "PENDING" || s == "RUNNING" || s == "CONFIGURING" || s == "COMPLETING" || s == "SUSPENDED" ||
           s == "REQUEUED" || s == "REQUEUE_HOLD" || s == "REQUEUE_FED" || s == "RESIZING" || s == "SIGNALING" ||
           s == "STAGE_OUT" || s == "STOPPED");
}

}  // namespace ns::farm
