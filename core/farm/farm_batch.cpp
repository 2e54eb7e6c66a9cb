#include "core/farm/farm_batch.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <set>

#include "core/farm/slurm_resources_json.h"
#include "core/farm/text_file.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace ns::farm {

const char* batchKindName(BatchKind k) {
  switch (k) {
    case BatchKind::Render: return "render";
    case BatchKind::Invert: return "invert";
    case BatchKind::EvalLayout: return "eval-layout";
    case BatchKind::Search: return "search";
  }
  return "?";
}

namespace {

// What a key of a job entry holds. Pass-through keys (flag != nullptr) become one CLI option of
// every task of the job; the others shape the tasks (project, chunk, inputs, ratios, candidates).
enum class Type { String, Int, Number, Path, PathList, NumberList };

struct Key {
  const char* name;
  Type type;
  const char* flag;  // nullptr: structural, not passed on
  bool required;
  double lo, hi;     // Int/Number/NumberList: the allowed range (lo exclusive when loOpen)
  bool loOpen;
  const char* choices;  // String: "a|b" or nullptr for any text
};

constexpr double kBig = 9007199254740992.0;  // 2^53: integers a JSON double holds exactly

// The ranges are those of the CLI verbs, so a bad value is refused at submit, not on the farm.
const std::vector<Key>& keysOf(BatchKind k) {
  static const std::vector<Key> render{
      {"project", Type::Path, nullptr, true, 0, 0, false, nullptr},
      {"chunk", Type::Int, nullptr, true, 1, 100000, false, nullptr},
      {"steps", Type::Int, "--steps", false, 1, 1000, false, nullptr},
      {"ratio", Type::Number, "--ratio", false, 0, 1, true, nullptr}};
  static const std::vector<Key> invert{
      {"inputs", Type::PathList, nullptr, true, 0, 0, false, nullptr},
      {"prompt", Type::String, "--prompt", true, 0, 0, false, nullptr},
      {"steps", Type::Int, "--steps", false, 1, 1000, false, nullptr},
      {"cfg_src", Type::Number, "--cfg-src", false, 0, 50, false, nullptr},
      {"eta", Type::Number, "--eta", false, 0, 1, false, nullptr},
      {"method", Type::String, "--method", false, 0, 0, false, "edit-friendly|ddim"},
      {"seed", Type::Int, "--seed", false, 0, kBig, false, nullptr},
      {"max_frames", Type::Int, "--max-frames", false, 1, 512, false, nullptr}};
  static const std::vector<Key> eval{
      {"ratios", Type::NumberList, nullptr, true, 0, 1, true, nullptr},
      {"layouts", Type::Int, "--layouts", false, 1, 10000, false, nullptr},
      {"frames", Type::Int, "--frames", false, 2, 256, false, nullptr},
      {"steps", Type::Int, "--steps", false, 1, 1000, false, nullptr},
      {"cfg", Type::Number, "--cfg", false, 0, 100, false, nullptr},
      {"seed", Type::Int, "--seed", false, 0, kBig, false, nullptr}};
  static const std::vector<Key> search{
      {"prompt", Type::String, "--prompt", true, 0, 0, false, nullptr},
      {"negative", Type::String, "--negative", false, 0, 0, false, nullptr},
      {"candidates", Type::Int, "--candidates", true, 1, 4096, false, nullptr},
      {"per_task", Type::Int, nullptr, true, 1, 4096, false, nullptr},
      {"steps", Type::Int, "--steps", false, 1, 1000, false, nullptr},
      {"cfg", Type::Number, "--cfg", false, 0, 100, false, nullptr},
      {"seed", Type::Int, "--seed", false, 0, kBig, false, nullptr}};
  switch (k) {
    case BatchKind::Render: return render;
    case BatchKind::Invert: return invert;
    case BatchKind::EvalLayout: return eval;
    case BatchKind::Search: return search;
  }
  return render;
}

bool kindFromName(const std::string& s, BatchKind& out) {
  for (BatchKind k : {BatchKind::Render, BatchKind::Invert, BatchKind::EvalLayout, BatchKind::Search})
    if (s == batchKindName(k)) {
      out = k;
      return true;
    }
  return false;
}

// OUT/<name> must be one plain folder name, and "farm" is the job folder's own.
bool goodJobName(const std::string& s) {
  if (s.empty() || s.size() > 64 || s == "farm" || s[0] == '.' || s[0] == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

std::string keyList(BatchKind k) {
  std::string s = "name, kind";
  for (const auto& key : keysOf(k)) s += std::string(", ") + key.name;
  return s;
}

std::string absoluteFrom(const std::string& base, const std::string& p) {
  fs::path path(p);
  if (path.is_relative()) path = fs::path(base) / path;
  return path.lexically_normal().string();
}

bool inRange(const Key& k, double v) { return std::isfinite(v) && (k.loOpen ? v > k.lo : v >= k.lo) && v <= k.hi; }

std::string rangeText(const Key& k) {
  return std::string(k.loOpen ? "(" : "[") + exactNumber(k.lo) + ", " + exactNumber(k.hi) + "]";
}

// Validates one job entry; `where` is "FILE: jobs[i]" for errors.
Result<BatchJob> parseJob(const json& e, const std::string& where, const std::string& baseDir) {
  auto bad = [&](const std::string& what) { return makeError(ErrorKind::BadInput, where + ": " + what); };
  if (!e.is_object()) return bad("a job must be an object {\"name\": …, \"kind\": …}");
  BatchJob job;
  if (!e.contains("name") || !e["name"].is_string()) return bad("\"name\" (a text) is missing");
  job.name = e["name"].get<std::string>();
  const std::string at = where + " (\"" + job.name + "\")";
  auto badAt = [&](const std::string& what) { return makeError(ErrorKind::BadInput, at + ": " + what); };
  if (!goodJobName(job.name))
    return badAt("\"name\" must be 1-64 letters, digits, '-', '_' or '.', not start with '.' or '-', and not be \"farm\"");
  if (!e.contains("kind") || !e["kind"].is_string()) return badAt("\"kind\" is missing (render, invert, eval-layout or search)");
  if (!kindFromName(e["kind"].get<std::string>(), job.kind))
    return badAt("\"kind\": " + e["kind"].dump() + " is not render, invert, eval-layout or search");
  const auto& keys = keysOf(job.kind);
  for (const auto& item : e.items()) {
    const std::string k = item.key();  // a copy: lambdas cannot capture structured bindings in C++17
    if (k == "name" || k == "kind") continue;
    if (std::none_of(keys.begin(), keys.end(), [&](const Key& key) { return k == key.name; }))
      return badAt("unknown key \"" + k + "\" (a " + batchKindName(job.kind) + " job takes: " + keyList(job.kind) + ")");
  }
  json canon{{"name", job.name}, {"kind", batchKindName(job.kind)}};
  for (const Key& key : keys) {
    if (!e.contains(key.name)) {
      if (key.required) return badAt("\"" + std::string(key.name) + "\" is missing");
      continue;
    }
    const json& v = e[key.name];
    const std::string kq = "\"" + std::string(key.name) + "\"";
    std::string text;  // the value as the CLI option gets it
    switch (key.type) {
      case Type::String: {
        if (!v.is_string()) return badAt(kq + " must be a text");
        text = v.get<std::string>();
        if (text.find('\0') != std::string::npos) return badAt(kq + " contains a NUL character");
        if (key.choices) {
          bool ok = false;
          std::string c = key.choices;
          for (size_t b = 0; b <= c.size();) {
            const size_t bar = std::min(c.find('|', b), c.size());
            ok |= c.substr(b, bar - b) == text;
            b = bar + 1;
          }
          if (!ok) return badAt(kq + ": \"" + text + "\" is not one of " + key.choices);
        }
        canon[key.name] = text;
        break;
      }
      case Type::Int: {
        if (!v.is_number_integer()) return badAt(kq + " must be a whole number");
        const double d = v.is_number_unsigned() ? double(v.get<uint64_t>()) : double(v.get<int64_t>());
        if (!inRange(key, d)) return badAt(kq + ": " + v.dump() + " is outside " + rangeText(key));
        text = v.dump();
        canon[key.name] = v;
        if (std::string(key.name) == "chunk") job.chunk = v.get<int>();
        if (std::string(key.name) == "candidates") job.candidates = v.get<int>();
        if (std::string(key.name) == "per_task") job.perTask = v.get<int>();
        break;
      }
      case Type::Number: {
        if (!v.is_number()) return badAt(kq + " must be a number");
        const double d = v.get<double>();
        if (!inRange(key, d)) return badAt(kq + ": " + v.dump() + " is outside " + rangeText(key));
        text = exactNumber(d);
        canon[key.name] = d;
        break;
      }
      case Type::Path: {
        if (!v.is_string() || v.get<std::string>().empty()) return badAt(kq + " must be a file path");
        const std::string p = v.get<std::string>();
        if (p.find('\0') != std::string::npos || p.find('\n') != std::string::npos) return badAt(kq + ": not a usable path");
        job.project = absoluteFrom(baseDir, p);
        canon[key.name] = job.project;
        break;
      }
      case Type::PathList: {
        if (!v.is_array() || v.empty()) return badAt(kq + " must be a non-empty list of file paths");
        std::set<std::string> stems;
        for (size_t i = 0; i < v.size(); ++i) {
          const std::string ki = std::string(key.name) + "[" + std::to_string(i) + "]";
          if (!v[i].is_string() || v[i].get<std::string>().empty()) return badAt(ki + " must be a file path");
          const std::string p = v[i].get<std::string>();
          if (p.find('\0') != std::string::npos || p.find('\n') != std::string::npos) return badAt(ki + ": not a usable path");
          job.inputs.push_back(absoluteFrom(baseDir, p));
          const std::string stem = fs::path(job.inputs.back()).stem().string();
          if (stem.empty() || stem == "." || stem == "..") return badAt(ki + ": \"" + p + "\" has no file name");
          // Each input's noise is OUT/<job>/<stem>.nsnoise: two inputs must not write the same file.
          if (!stems.insert(stem).second) return badAt(ki + ": another input is also named \"" + stem + "\" (outputs would collide)");
        }
        canon[key.name] = job.inputs;
        break;
      }
      case Type::NumberList: {
        if (!v.is_array() || v.empty()) return badAt(kq + " must be a non-empty list of numbers");
        for (size_t i = 0; i < v.size(); ++i) {
          const std::string ki = std::string(key.name) + "[" + std::to_string(i) + "]";
          if (!v[i].is_number()) return badAt(ki + " must be a number");
          const double d = v[i].get<double>();
          if (!inRange(key, d)) return badAt(ki + ": " + v[i].dump() + " is outside " + rangeText(key));
          if (std::find(job.ratios.begin(), job.ratios.end(), d) != job.ratios.end())
            return badAt(ki + ": " + v[i].dump() + " is listed twice");
          job.ratios.push_back(d);
        }
        canon[key.name] = job.ratios;
        break;
      }
    }
    if (key.flag) job.options.push_back({key.flag, text});
  }
  if (job.kind == BatchKind::Search && job.perTask > job.candidates)
    return badAt("\"per_task\" " + std::to_string(job.perTask) + " exceeds \"candidates\" " + std::to_string(job.candidates));
  job.canonicalJson = canon.dump();
  return job;
}

Result<BatchSpec> parseBatchJson(const json& j, const std::string& src, const std::string& baseDir) {
  auto bad = [&](const std::string& what) { return makeError(ErrorKind::BadInput, src + ": " + what); };
  if (!j.is_object()) return bad("a batch file is an object {\"version\": 1, \"jobs\": [...]}");
  for (const auto& [k, v] : j.items()) {
    (void)v;
    if (k != "version" && k != "jobs") return bad("unknown key \"" + k + "\" (a batch file has \"version\" and \"jobs\")");
  }
  if (!j.contains("version") || !j["version"].is_number_integer() || j["version"].get<int64_t>() != BatchSpec::kVersion)
    return bad("\"version\" must be " + std::to_string(BatchSpec::kVersion) +
               (j.contains("version") ? " (got " + j["version"].dump() + ")" : std::string(" (missing)")));
  if (!j.contains("jobs") || !j["jobs"].is_array() || j["jobs"].empty()) return bad("\"jobs\" must be a non-empty list");
  BatchSpec spec;
  std::set<std::string> names;
  for (size_t i = 0; i < j["jobs"].size(); ++i) {
    auto job = parseJob(j["jobs"][i], src + ": jobs[" + std::to_string(i) + "]", baseDir);
    if (!job.ok()) return job.error();
    if (!names.insert(job->name).second)
      return bad("jobs[" + std::to_string(i) + "]: the name \"" + job->name + "\" is used by an earlier job");
    spec.jobs.push_back(std::move(*job));
  }
  return spec;
}

std::string join(const std::string& dir, const std::string& name) { return (fs::path(dir) / name).string(); }

}  // namespace

Result<BatchSpec> parseBatch(const std::string& text, const std::string& src, const std::string& baseDir) {
  json j;
  try {
    j = json::parse(text);
  } catch (const std::exception& e) {
    return makeError(ErrorKind::BadInput, src + ": not JSON: " + e.what());
  }
  try {
    return parseBatchJson(j, src, baseDir);
  } catch (const std::exception& e) {  // a value out of int range in get<int>, and similar
    return makeError(ErrorKind::BadInput, src + ": " + e.what());
  }
}

Result<BatchSpec> loadBatchFile(const std::string& path) {
  auto text = readTextFile(path, size_t(4) << 20);
  if (!text.ok()) return text.error();
  const std::string base = fs::absolute(path).parent_path().string();
  return parseBatch(*text, path, base);
}

std::string BatchSpec::toJson() const {
  json jobsJson = json::array();
  for (const auto& job : jobs) jobsJson.push_back(json::parse(job.canonicalJson));
  return json{{"version", kVersion}, {"jobs", jobsJson}}.dump(2) + "\n";
}

// ---- the plan ----

std::string BatchPlan::farmDir() const { return join(outDir, "farm"); }
std::string BatchPlan::planPath() const { return join(farmDir(), "batch.json"); }
std::string BatchPlan::taskScriptPath() const { return join(farmDir(), "tasks.sbatch"); }
std::string BatchPlan::gatherScriptPath(int job) const { return join(farmDir(), "gather_" + spec.jobs[size_t(job)].name + ".sbatch"); }
std::string BatchPlan::statePath() const { return join(farmDir(), "state.json"); }
std::string BatchPlan::logsDir() const { return join(farmDir(), "logs"); }
std::string BatchPlan::taskLogPath(int t) const { return join(logsDir(), "task_" + std::to_string(t) + ".log"); }
std::string BatchPlan::gatherLogPath(int job) const { return join(logsDir(), "gather_" + spec.jobs[size_t(job)].name + ".log"); }
std::string BatchPlan::jobDir(int job) const { return join(outDir, spec.jobs[size_t(job)].name); }
std::string BatchPlan::projectCopyPath(int job) const {
  return join(join(farmDir(), "projects"), spec.jobs[size_t(job)].name + ".nsproj");
}
std::string BatchPlan::framePath(int job, int f) const {
  char name[32];
  std::snprintf(name, sizeof(name), "frame_%04d.png", f);
  return join(join(jobDir(job), "frames"), name);
}
std::string BatchPlan::videoPath(int job) const {
  return join(jobDir(job), fs::path(spec.jobs[size_t(job)].project).stem().string() + ".mp4");
}
std::string BatchPlan::searchPartStem(int job, int b, int e) const {
  return join(join(jobDir(job), "parts"), "range_" + std::to_string(b) + "_" + std::to_string(e));
}
std::string BatchPlan::evalPartPath(int job, int r) const {
  return join(join(jobDir(job), "parts"), "alpha_" + std::to_string(r) + ".json");
}
std::string BatchPlan::invertOutputPath(int job, int input) const {
  return join(jobDir(job), fs::path(spec.jobs[size_t(job)].inputs[size_t(input)]).stem().string() + ".nsnoise");
}
const BatchGather* BatchPlan::gatherFor(int job) const {
  for (const auto& g : gathers)
    if (g.job == job) return &g;
  return nullptr;
}

Result<BatchPlan> planBatch(const BatchSpec& spec, const BatchSettings& s) {
  auto bad = [](const std::string& what) { return makeError(ErrorKind::BadInput, what); };
  if (s.outDir.empty() || !fs::path(s.outDir).is_absolute()) return bad("output folder '" + s.outDir + "' is not absolute");
  if (s.cli.empty() || !fs::path(s.cli).is_absolute()) return bad("noisestudio-cli path '" + s.cli + "' is not absolute");
  if (!s.model.empty() && !fs::path(s.model).is_absolute()) return bad("--model '" + s.model + "' is not absolute");
  if (s.device != "cpu" && s.device != "cuda") return bad("--device '" + s.device + "' is not cpu or cuda");
  if (auto r = validateSlurmResources(s.slurm); !r.ok()) return r.error();
  if (spec.jobs.empty()) return bad(s.sourceBatch + ": the batch has no jobs");

  BatchPlan p;
  p.outDir = s.outDir;
  p.sourceBatch = s.sourceBatch;
  p.cli = s.cli;
  p.model = s.model;
  p.device = s.device;
  p.slurm = s.slurm;
  p.spec = spec;
  std::vector<std::string> global;
  if (!s.model.empty()) global.insert(global.end(), {"--model", s.model});
  if (s.device != "cpu") global.insert(global.end(), {"--device", s.device});
  auto add = [&](int job, int part, int b, int e, std::string what, std::vector<std::string> args, std::string out,
                 std::vector<std::string> outputs) {
    BatchTask t;
    t.index = int(p.tasks.size());
    t.job = job, t.part = part, t.begin = b, t.end = e;
    t.what = std::move(what);
    t.args = std::move(args);
    t.stdoutFile = std::move(out);
    t.outputs = std::move(outputs);
    p.tasks.push_back(std::move(t));
    return p.tasks.back().index;
  };
  for (int j = 0; j < int(spec.jobs.size()); ++j) {
    const BatchJob& job = spec.jobs[size_t(j)];
    std::vector<std::string> opts;
    // --flag=value: a prompt that starts with '-' must not read as an option.
    for (const auto& o : job.options) opts.push_back(o.flag + "=" + o.value);
    BatchGather g;
    g.job = j;
    switch (job.kind) {
      case BatchKind::Render: {
        if (job.frames < 1) return bad(s.sourceBatch + ": job \"" + job.name + "\": " + job.project + " has no frames to render");
        if (job.chunk < 1) return bad(s.sourceBatch + ": job \"" + job.name + "\": \"chunk\" must be at least 1");
        const std::string pattern = join(join(p.jobDir(j), "frames"), "frame.png");
        for (int c = 0, b = 0; b < job.frames; ++c, b += job.chunk) {
          const int e = std::min(job.frames, b + job.chunk);
          std::vector<std::string> a = global;
          a.insert(a.end(), {"render", p.projectCopyPath(j), "--frames", std::to_string(b) + ":" + std::to_string(e)});
          a.insert(a.end(), opts.begin(), opts.end());
          a.insert(a.end(), {"-o", pattern});
          std::vector<std::string> outs;
          for (int f = b; f < e; ++f) outs.push_back(p.framePath(j, f));
          g.tasks.push_back(add(j, c, b, e, "render " + job.name + " frames " + std::to_string(b) + ":" + std::to_string(e),
                                a, "", outs));
        }
        g.outputs = {p.videoPath(j)};
        p.gathers.push_back(g);
        break;
      }
      case BatchKind::Invert:
        for (int i = 0; i < int(job.inputs.size()); ++i) {
          std::vector<std::string> a = global;
          a.insert(a.end(), {"invert", job.inputs[size_t(i)]});
          a.insert(a.end(), opts.begin(), opts.end());
          a.insert(a.end(), {"-o", p.invertOutputPath(j, i)});
          add(j, i, i, i + 1, "invert " + job.name + " " + fs::path(job.inputs[size_t(i)]).filename().string(), a, "",
              {p.invertOutputPath(j, i)});
        }
        break;  // each clip's noise is the result: nothing to gather
      case BatchKind::EvalLayout:
        for (int r = 0; r < int(job.ratios.size()); ++r) {
          std::vector<std::string> a = global;
          a.insert(a.end(), {"--json", "eval", "layout"});
          a.insert(a.end(), opts.begin(), opts.end());
          a.insert(a.end(), {"--ratios", exactNumber(job.ratios[size_t(r)])});
          g.tasks.push_back(add(j, r, r, r + 1, "eval-layout " + job.name + " alpha " + exactNumber(job.ratios[size_t(r)]),
                                a, p.evalPartPath(j, r), {p.evalPartPath(j, r)}));
        }
        g.outputs = {join(p.jobDir(j), "table.json"), join(p.jobDir(j), "table.md")};
        p.gathers.push_back(g);
        break;
      case BatchKind::Search:
        if (job.perTask < 1 || job.candidates < 1) return bad(s.sourceBatch + ": job \"" + job.name + "\": no candidates");
        for (int c = 0, b = 0; b < job.candidates; ++c, b += job.perTask) {
          const int e = std::min(job.candidates, b + job.perTask);
          const std::string stem = p.searchPartStem(j, b, e);
          std::vector<std::string> a = global;
          a.insert(a.end(), {"--json", "search"});
          a.insert(a.end(), opts.begin(), opts.end());
          a.insert(a.end(), {"--method", "random", "--candidates-range", std::to_string(b) + ":" + std::to_string(e),
                             "-o", stem + ".png"});
          // The JSON is written after the PNG (and atomically): its presence means the part is complete.
          g.tasks.push_back(add(j, c, b, e, "search " + job.name + " candidates " + std::to_string(b) + ":" + std::to_string(e),
                                a, stem + ".json", {stem + ".png", stem + ".json"}));
        }
        g.outputs = {join(p.jobDir(j), "best.png"), join(p.jobDir(j), "best.json")};
        p.gathers.push_back(g);
        break;
    }
    if (int(p.tasks.size()) > BatchPlan::kMaxTasks)
      return bad(s.sourceBatch + ": the batch makes more than " + std::to_string(BatchPlan::kMaxTasks) +
                 " tasks (Slurm's default MaxArraySize is 1001): use larger chunks / per_task, or split the batch");
  }
  return p;
}

std::string BatchPlan::taskScript() const {
  std::string s = "#!/bin/bash\n";
  s += "# NoiseStudio farm batch (" + std::to_string(tasks.size()) + " tasks): array task i runs task i below.\n";
  s += "# A task whose outputs are already complete does nothing, so a requeued or resubmitted task is safe.\n";
  s += "# Rerun tasks by hand: sbatch --array=2,5 --output=" + shellQuote(logsDir() + "/task_%a.log") + " " +
       shellQuote(taskScriptPath()) + "\n";
  s += "#SBATCH --job-name=ns-batch\n#SBATCH --open-mode=append\n";
  s += sbatchResourceLines(slurm, true);
  s += "set -u\n";
  s += "i=${SLURM_ARRAY_TASK_ID:?submit this script with sbatch --array}\n";
  s += "export NS_THREADS=${SLURM_CPUS_PER_TASK:-1}\n";
  s += "export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}\n";
  // Every verb then logs "progress: stage i/n at t" lines, which `farm status` shows for running tasks.
  s += "export NS_PROGRESS_LINES=1\n";
  s += "cli=" + shellQuote(cli) + "\n";
  s += "echo \"farm: task $i job ${SLURM_JOB_ID:-?} on $(hostname) start $(date +%s.%N)\"\n";
  s += "# complete FILE...: true (and says so) when every output of the task is already there.\n";
  s += "complete() { for f in \"$@\"; do [ -s \"$f\" ] || return 1; done; echo \"farm: task $i already complete\"; }\n";
  s += "# to_file FILE CMD...: CMD's stdout becomes FILE only if CMD succeeds (temp name, then rename).\n";
  s += "to_file() {\n  local f=$1 rc; shift\n  \"$@\" >\"$f.tmp.$$\"; rc=$?\n"
       "  if [ $rc -eq 0 ]; then mv -f \"$f.tmp.$$\" \"$f\"; else rm -f \"$f.tmp.$$\"; fi\n  return $rc\n}\n";
  s += "case \"$i\" in\n";
  for (const auto& t : tasks) {
    std::string outs;
    for (const auto& o : t.outputs) outs += " " + shellQuote(o);
    std::string cmd = "\"$cli\"";
    for (const auto& a : t.args) cmd += " " + shellQuote(a);
    std::string what = t.what;
    for (char& c : what)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    s += "  " + std::to_string(t.index) + ")  # " + what + "\n";
    s += "    complete" + outs + " && exit 0\n";
    // Not every verb makes the folder of its -o (invert does not): the script does, for all.
    std::set<std::string> dirs;
    for (const auto& o : t.outputs) dirs.insert(fs::path(o).parent_path().string());
    std::string mk;
    for (const auto& d : dirs) mk += " " + shellQuote(d);
    s += "    mkdir -p" + mk + " || exit 1\n";
    if (t.stdoutFile.empty()) s += "    exec " + cmd + " ;;\n";
    else s += "    to_file " + shellQuote(t.stdoutFile) + " " + cmd + "; exit $? ;;\n";
  }
  s += "  *) echo \"farm: this batch has no task $i\" >&2; exit 2 ;;\nesac\n";
  return s;
}

std::string BatchPlan::gatherScript(int job) const {
  std::string name = spec.jobs[size_t(job)].name;
  std::string s = "#!/bin/bash\n";
  s += "# NoiseStudio farm gather of batch job " + name + ": runs after its tasks succeeded (afterok).\n";
  s += "#SBATCH --job-name=ns-gather\n#SBATCH --open-mode=append\n";
  s += sbatchResourceLines(slurm, false);
  s += "echo \"farm: gather " + name + " job ${SLURM_JOB_ID:-?} on $(hostname) start $(date +%s.%N)\"\n";
  s += "exec " + shellQuote(cli) + " farm gather " + shellQuote(outDir) + " " + shellQuote(name) + "\n";
  return s;
}

std::vector<std::string> BatchPlan::taskSubmitArgs(const std::vector<int>& ts) const {
  std::string array = arrayIndexList(ts);
  if (slurm.maxParallel > 0) array += "%" + std::to_string(slurm.maxParallel);
  return {"--array=" + array, "--output=" + logsDir() + "/task_%a.log", "--chdir=" + farmDir()};
}

std::vector<std::string> BatchPlan::gatherSubmitArgs(int job, const std::string& arrayJobId, const std::vector<int>& submitted,
                                                     const std::vector<std::string>& alsoAfter) const {
  std::string dep;
  if (const BatchGather* g = gatherFor(job); g && !arrayJobId.empty())
    for (int t : g->tasks)
      if (std::find(submitted.begin(), submitted.end(), t) != submitted.end())
        dep += (dep.empty() ? "afterok:" : ":") + arrayJobId + "_" + std::to_string(t);
  for (const auto& id : alsoAfter) dep += (dep.empty() ? "" : ",") + std::string("afterany:") + id;
  std::vector<std::string> args;
  if (!dep.empty()) args.push_back("--dependency=" + dep);
  args.push_back("--output=" + gatherLogPath(job));
  args.push_back("--chdir=" + farmDir());
  return args;
}

std::string BatchPlan::toJson() const {
  json frames = json::object();
  for (const auto& j : spec.jobs)
    if (j.kind == BatchKind::Render) frames[j.name] = {{"frames", j.frames}, {"fps", j.fps}};
  json j{{"version", kVersion},
         {"engine", "slurm"},
         {"kind", "batch"},
         {"out_dir", outDir},
         {"source_batch", sourceBatch},
         {"cli", cli},
         {"model", model},
         {"device", device},
         {"tasks", tasks.size()},
         {"render_frames", frames},
         {"slurm", slurmResourcesToJson(slurm)},
         {"batch", json::parse(spec.toJson())}};
  return j.dump(2) + "\n";
}

Result<BatchPlan> BatchPlan::fromJson(const std::string& text, const std::string& src) {
  try {
    const json j = json::parse(text);
    if (j.value("version", 0) != kVersion || j.value("kind", "") != "batch")
      return makeError(ErrorKind::BadInput, src + ": not a farm batch plan this program writes (version " +
                                                std::to_string(kVersion) + ")");
    BatchSettings s;
    s.outDir = j.at("out_dir").get<std::string>();
    s.sourceBatch = j.value("source_batch", "");
    s.cli = j.at("cli").get<std::string>();
    s.model = j.value("model", "");
    s.device = j.value("device", "cpu");
    s.slurm = slurmResourcesFromJson(j.at("slurm"));
    auto spec = parseBatch(j.at("batch").dump(), src, "/");
    if (!spec.ok()) return spec.error();
    const json& frames = j.at("render_frames");
    for (auto& job : spec->jobs)
      if (job.kind == BatchKind::Render) {
        job.frames = frames.at(job.name).at("frames").get<int>();
        job.fps = frames.at(job.name).at("fps").get<double>();
      }
    auto plan = planBatch(*spec, s);
    if (!plan.ok()) return makeError(ErrorKind::BadInput, src + ": " + plan.error().message);
    if (j.value("tasks", size_t(0)) != plan->tasks.size())
      return makeError(ErrorKind::BadInput, src + ": plans " + std::to_string(plan->tasks.size()) + " tasks, the file says " +
                                                j.value("tasks", json(0)).dump() + " (written by another version?)");
    return plan;
  } catch (const std::exception& e) {
    return makeError(ErrorKind::BadInput, src + ": not a farm batch plan: " + e.what());
  }
}

Result<BatchPlan> BatchPlan::load(const std::string& outDir) {
  const std::string path = (fs::path(outDir) / "farm" / "batch.json").string();
  std::error_code ec;
  if (!fs::exists(path, ec)) return makeError(ErrorKind::BadInput, outDir + ": not a farm batch folder (no farm/batch.json)");
  auto text = readTextFile(path);
  if (!text.ok()) return text.error();
  auto plan = fromJson(*text, path);
  if (!plan.ok()) return plan.error();
  // The folder may have moved (or be mounted elsewhere on this node): plan where it is now.
  std::string here = fs::absolute(outDir).lexically_normal().string();
  while (here.size() > 1 && here.back() == '/') here.pop_back();
  if (here == plan->outDir) return plan;
  BatchSettings s{here, plan->sourceBatch, plan->cli, plan->model, plan->device, plan->slurm};
  return planBatch(plan->spec, s);
}

}  // namespace ns::farm
