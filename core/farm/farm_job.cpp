#include "core/farm/farm_job.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "core/farm/slurm_resources_json.h"
#include "core/farm/text_file.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace ns::farm {

namespace {

std::string join(const std::string& dir, const std::string& name) { return (fs::path(dir) / name).string(); }

// A value that goes into an #SBATCH line or an argument: no whitespace, quotes or shell syntax.
bool plainToken(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ':' || c == '.' || c == ',' ||
           c == '+';
  });
}

// A name for a comment line of a script: no line breaks or control characters.
std::string commentSafe(std::string s) {
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return s;
}

}  // namespace

std::pair<int, int> FarmJob::chunkRange(int i) const {
  const int b = i * chunk;
  return {b, std::min(frames, b + chunk)};
}

std::string FarmJob::farmDir() const { return join(outDir, "farm"); }
std::string FarmJob::settingsPath() const { return join(farmDir(), "settings.json"); }
std::string FarmJob::projectCopyPath() const { return join(farmDir(), "project.nsproj"); }
std::string FarmJob::chunkScriptPath() const { return join(farmDir(), "chunk.sbatch"); }
std::string FarmJob::mergeScriptPath() const { return join(farmDir(), "merge.sbatch"); }
std::string FarmJob::statePath() const { return join(farmDir(), "state.json"); }
std::string FarmJob::logsDir() const { return join(farmDir(), "logs"); }
std::string FarmJob::chunkLogPath(int i) const { return join(logsDir(), "chunk_" + std::to_string(i) + ".log"); }
std::string FarmJob::mergeLogPath() const { return join(logsDir(), "merge.log"); }
std::string FarmJob::framesDir() const { return join(outDir, "frames"); }
std::string FarmJob::framePattern() const { return join(framesDir(), "frame.png"); }
std::string FarmJob::framePath(int f) const {
  char name[32];
  std::snprintf(name, sizeof(name), "frame_%04d.png", f);
  return join(framesDir(), name);
}
std::string FarmJob::videoPath() const { return join(outDir, name + ".mp4"); }

Result<void> FarmJob::validate() const {
  auto bad = [](const std::string& what) { return makeError(ErrorKind::BadInput, what); };
  if (chunk < 1) return bad("--chunk: a chunk must hold at least 1 frame (got " + std::to_string(chunk) + ")");
  if (frames < 1) return bad(sourceProject + ": the project has no frames to render");
  if (outDir.empty() || !fs::path(outDir).is_absolute()) return bad("output folder '" + outDir + "' is not absolute");
  if (cli.empty() || !fs::path(cli).is_absolute()) return bad("noisestudio-cli path '" + cli + "' is not absolute");
  if (!model.empty() && !fs::path(model).is_absolute()) return bad("--model '" + model + "' is not absolute");
  if (name.empty()) return bad("the project has no name");
  if (auto r = validateSlurmResources(slurm); !r.ok()) return r;
  if (device != "cpu" && device != "cuda") return bad("--device '" + device + "' is not cpu or cuda");
  return {};
}

Result<void> validateSlurmResources(const SlurmResources& slurm) {
  auto bad = [](const std::string& what) { return makeError(ErrorKind::BadInput, what); };
  if (!plainToken(slurm.partition)) return bad("--partition '" + slurm.partition + "' is not a partition name");
  if (!plainToken(slurm.mem)) return bad("--mem '" + slurm.mem + "' is not a Slurm size (e.g. 8G)");
  if (!plainToken(slurm.time)) return bad("--time '" + slurm.time + "' is not a Slurm time (e.g. 02:00:00)");
  if (slurm.cpusPerTask < 0 || slurm.gpusPerTask < 0 || slurm.maxParallel < 0)
    return bad("--cpus-per-task, --gpus-per-task and --max-parallel must not be negative");
  return {};
}

// The shortest text that reads back as the same double: the chunks must render with exactly the
// ratio of a local render.
std::string exactNumber(double v) {
  char buf[40];
  for (int digits = 6; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof(buf), "%.*g", digits, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::string sbatchResourceLines(const SlurmResources& slurm, bool perTask) {
  std::string s;
  if (!slurm.partition.empty()) s += "#SBATCH --partition=" + slurm.partition + "\n";
  if (perTask && slurm.cpusPerTask > 0) s += "#SBATCH --cpus-per-task=" + std::to_string(slurm.cpusPerTask) + "\n";
  if (!slurm.mem.empty()) s += "#SBATCH --mem=" + slurm.mem + "\n";
  if (!slurm.time.empty()) s += "#SBATCH --time=" + slurm.time + "\n";
  if (perTask && slurm.gpusPerTask > 0) s += "#SBATCH --gpus-per-task=" + std::to_string(slurm.gpusPerTask) + "\n";
  return s;
}

std::string FarmJob::toJson() const {
  json j{{"version", kVersion},
         {"engine", "slurm"},
         {"out_dir", outDir},
         {"name", name},
         {"source_project", sourceProject},
         {"frames", frames},
         {"fps", fps},
         {"chunk", chunk},
         {"chunks", chunkCount()},
         {"steps", steps},
         {"ratio", ratio},
         {"cli", cli},
         {"model", model},
         {"device", device},
         {"slurm", slurmResourcesToJson(slurm)}};
  return j.dump(2) + "\n";
}

Result<FarmJob> FarmJob::fromJson(const std::string& text, const std::string& src) {
  try {
    const json j = json::parse(text);
    if (j.value("version", 0) != kVersion)
      return makeError(ErrorKind::BadInput, src + ": version " + j.value("version", json(0)).dump() +
                                                " is not a farm job this program writes (" + std::to_string(kVersion) + ")");
    FarmJob f;
    f.outDir = j.at("out_dir").get<std::string>();
    f.name = j.at("name").get<std::string>();
    f.sourceProject = j.value("source_project", "");
    f.frames = j.at("frames").get<int>();
    f.fps = j.at("fps").get<double>();
    f.chunk = j.at("chunk").get<int>();
    f.steps = j.value("steps", 0);
    f.ratio = j.value("ratio", -1.0);
    f.cli = j.at("cli").get<std::string>();
    f.model = j.value("model", "");
    f.device = j.value("device", "cpu");
    f.slurm = slurmResourcesFromJson(j.at("slurm"));
    if (auto v = f.validate(); !v.ok()) return makeError(ErrorKind::BadInput, src + ": " + v.error().message);
    return f;
  } catch (const std::exception& e) {
    return makeError(ErrorKind::BadInput, src + ": not a farm settings file: " + e.what());
  }
}

Result<FarmJob> FarmJob::load(const std::string& outDir) {
  const std::string path = (fs::path(outDir) / "farm" / "settings.json").string();
  std::error_code ec;
  if (!fs::exists(path, ec))
    return makeError(ErrorKind::BadInput, outDir + ": not a farm job folder (no farm/settings.json)");
  auto text = readTextFile(path);
  if (!text.ok()) return text.error();
  auto job = fromJson(*text, path);
  if (!job.ok()) return job.error();
  // The folder may have moved (or be mounted elsewhere on this node): trust where it is now.
  job->outDir = fs::absolute(outDir).lexically_normal().string();
  while (job->outDir.size() > 1 && job->outDir.back() == '/') job->outDir.pop_back();
  return job;
}

std::string shellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string arrayIndexList(const std::vector<int>& chunks) {
  const std::set<int> sorted(chunks.begin(), chunks.end());
  std::string out;
  for (auto it = sorted.begin(); it != sorted.end();) {
    const int first = *it;
    int last = first;
    while (++it != sorted.end() && *it == last + 1) last = *it;
    out += (out.empty() ? "" : ",") + std::to_string(first) + (last > first ? "-" + std::to_string(last) : "");
  }
  return out;
}

std::string FarmJob::chunkScript() const {
  std::string s = "#!/bin/bash\n";
  s += "# NoiseStudio farm render of " + commentSafe(name) + ": array task i renders chunk i, frames [i*" + std::to_string(chunk) +
       ", min((i+1)*" + std::to_string(chunk) + ", " + std::to_string(frames) + ")).\n";
  s += "# Frames already complete are skipped, so a requeued or resubmitted task only does what is missing.\n";
  s += commentSafe("# Rerun chunks by hand: sbatch --array=2,5 --output=" + shellQuote(logsDir() + "/chunk_%a.log") +
                   " " + shellQuote(chunkScriptPath())) + "\n";
  s += "#SBATCH --job-name=ns-render\n#SBATCH --open-mode=append\n";
  s += sbatchResourceLines(slurm, true);
  s += "set -u\n";
  s += "i=${SLURM_ARRAY_TASK_ID:?submit this script with sbatch --array}\n";
  s += "a=$(( i * " + std::to_string(chunk) + " )); b=$(( a + " + std::to_string(chunk) + " ))\n";
  s += "[ \"$b\" -gt " + std::to_string(frames) + " ] && b=" + std::to_string(frames) + "\n";
  // The start line carries a wall-clock stamp: docs/farm.md's start-up figure is its distance to
  // the first progress line.
  // LibTorch would start a thread per core of the node; a task uses the CPUs it was given.
  s += "export NS_THREADS=${SLURM_CPUS_PER_TASK:-1}\n";
  // Spinning OpenMP threads on a node that other tasks share made a 2-thread chunk 5x slower than
  // a 1-thread one here (docs/farm.md); passive waiting costs nothing when the node is idle.
  s += "export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}\n";
  s += "echo \"farm: chunk $i frames $a:$b job ${SLURM_JOB_ID:-?} on $(hostname) start $(date +%s.%N)\"\n";
  s += "exec " + shellQuote(cli);
  if (!model.empty()) s += " --model " + shellQuote(model);
  if (device != "cpu") s += " --device " + device;
  s += " render " + shellQuote(projectCopyPath()) + " --frames \"$a:$b\"";
  if (steps > 0) s += " --steps " + std::to_string(steps);
  if (ratio > 0) s += " --ratio " + exactNumber(ratio);
  s += " -o " + shellQuote(framePattern()) + "\n";
  return s;
}

std::string FarmJob::mergeScript() const {
  std::string s = "#!/bin/bash\n";
  s += "# NoiseStudio farm merge of " + commentSafe(name) + ": runs after every chunk succeeded (afterok), checks that all " +
       std::to_string(frames) + " frames are there and writes " + commentSafe(name) + ".mp4.\n";
  s += "#SBATCH --job-name=ns-merge\n#SBATCH --open-mode=append\n";
  s += sbatchResourceLines(slurm, false);
  s += "echo \"farm: merge job ${SLURM_JOB_ID:-?} on $(hostname) start $(date +%s.%N)\"\n";
  s += "exec " + shellQuote(cli) + " farm merge " + shellQuote(outDir) + "\n";
  return s;
}

std::vector<std::string> FarmJob::chunkSubmitArgs(const std::vector<int>& chunks) const {
  std::string array = arrayIndexList(chunks);
  if (slurm.maxParallel > 0) array += "%" + std::to_string(slurm.maxParallel);
  return {"--array=" + array, "--output=" + logsDir() + "/chunk_%a.log", "--chdir=" + farmDir()};
}

std::vector<std::string> FarmJob::mergeSubmitArgs(const std::string& arrayJobId) const {
  return {"--dependency=afterok:" + arrayJobId, "--output=" + mergeLogPath(), "--chdir=" + farmDir()};
}

std::string FarmState::arrayJobFor(int chunk) const {
  for (auto it = submissions.rbegin(); it != submissions.rend(); ++it)
    if (std::find(it->chunks.begin(), it->chunks.end(), chunk) != it->chunks.end()) return it->arrayJobId;
  return {};
}

std::string FarmState::gatherJobFor(const std::string& name) const {
  for (auto it = submissions.rbegin(); it != submissions.rend(); ++it)
    for (const auto& [job, id] : it->gathers)
      if (job == name) return id;
  return {};
}

std::vector<std::string> FarmState::allJobIds() const {
  std::vector<std::string> ids;
  for (const auto& s : submissions) {
    if (!s.arrayJobId.empty()) ids.push_back(s.arrayJobId);
    if (!s.mergeJobId.empty()) ids.push_back(s.mergeJobId);
    for (const auto& g : s.gathers) ids.push_back(g.second);
  }
  return ids;
}

std::string FarmState::toJson() const {
  json subs = json::array();
  for (const auto& s : submissions) {
    json sub{{"array", s.arrayJobId}, {"merge", s.mergeJobId}, {"chunks", s.chunks}};
    if (!s.gathers.empty()) {
      json g = json::array();
      for (const auto& [job, id] : s.gathers) g.push_back({{"job", job}, {"id", id}});
      sub["gathers"] = g;
    }
    subs.push_back(sub);
  }
  return json{{"submissions", subs}, {"cancelled", cancelled}}.dump(2) + "\n";
}

Result<FarmState> FarmState::fromJson(const std::string& text, const std::string& src) {
  try {
    const json j = json::parse(text);
    FarmState st;
    st.cancelled = j.value("cancelled", false);
    for (const auto& s : j.at("submissions")) {
      FarmSubmission sub;
      sub.arrayJobId = s.value("array", "");
      sub.mergeJobId = s.value("merge", "");
      sub.chunks = s.at("chunks").get<std::vector<int>>();
      if (s.contains("gathers"))
        for (const auto& g : s.at("gathers")) sub.gathers.emplace_back(g.at("job").get<std::string>(), g.at("id").get<std::string>());
      st.submissions.push_back(sub);
    }
    return st;
  } catch (const std::exception& e) {
    return makeError(ErrorKind::BadInput, src + ": not a farm state file: " + e.what());
  }
}

Result<FarmState> FarmState::load(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return FarmState{};
  auto text = readTextFile(path);
  if (!text.ok()) return text.error();
  return fromJson(*text, path);
}

Result<void> FarmState::save(const std::string& path) const { return writeTextFile(path, toJson()); }

}  // namespace ns::farm
