#include "core/farm/batch_gather.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "core/farm/text_file.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace ns::farm {

namespace {

Error bad(const std::string& what) { return makeError(ErrorKind::BadInput, what); }

}  // namespace

Result<SearchGather> gatherSearch(const std::vector<std::string>& parts, const std::vector<std::string>& names,
                                  const std::vector<std::pair<int, int>>& ranges, const std::string& bestPng) {
  if (parts.empty() || parts.size() != ranges.size() || names.size() != parts.size()) return bad("search gather: no parts");
  SearchGather out;
  json all = json::array(), notes = json::array();
  double bestScore = 0;
  int bestIndex = -1;
  std::string verifier;
  double firstScore = 0;
  int expectBegin = 0;
  for (size_t k = 0; k < parts.size(); ++k) {
    const std::string& who = names[k];
    try {
      const json p = json::parse(parts[k]);
      const auto [b, e] = ranges[k];
      if (b != expectBegin) return bad(who + ": ranges do not follow each other (" + std::to_string(b) + ")");
      expectBegin = e;
      if (p.at("first_index").get<int>() != b)
        return bad(who + ": first_index " + p.at("first_index").dump() + " is not the range's start " + std::to_string(b));
      const auto scores = p.at("scores").get<std::vector<double>>();
      if (int(scores.size()) != e - b)
        return bad(who + ": " + std::to_string(scores.size()) + " scores for candidates " + std::to_string(b) + ":" +
                   std::to_string(e));
      const double score = p.at("best_score").get<double>();
      const int index = p.at("best_index").get<int>();
      if (index < b || index >= e || scores[size_t(index - b)] != score)
        return bad(who + ": best_index " + std::to_string(index) + " is not the range's best");
      for (double s : scores) all.push_back(s);
      if (k == 0) {
        verifier = p.value("verifier", "");
        firstScore = p.at("first_score").get<double>();
      }
      if (p.contains("notes"))
        for (const auto& n : p.at("notes"))
          if (std::find(notes.begin(), notes.end(), n) == notes.end()) notes.push_back(n);
      // The first strict maximum in candidate order: what the full search keeps.
      if (bestIndex < 0 || score > bestScore) {
        bestScore = score;
        bestIndex = index;
        out.bestPart = int(k);
      }
    } catch (const std::exception& ex) {
      return bad(who + ": not a search --json answer: " + ex.what());
    }
  }
  json j{{"ok", true},           {"output", bestPng},     {"method", "random"},   {"verifier", verifier},
         {"scores", all},        {"best_index", bestIndex}, {"first_index", 0},   {"best_score", bestScore},
         {"first_score", firstScore}, {"notes", notes},   {"candidates", expectBegin}, {"parts", names}};
  out.bestJson = j.dump(2) + "\n";
  return out;
}

Result<EvalTable> gatherEval(const std::vector<std::string>& parts, const std::vector<std::string>& names,
                             const std::vector<double>& ratios) {
  if (parts.empty() || parts.size() != ratios.size() || names.size() != parts.size()) return bad("eval gather: no parts");
  json rows = json::array(), notes = json::array(), head;
  double seconds = 0;
  double plainIou = 0;
  for (size_t k = 0; k < parts.size(); ++k) {
    try {
      const json p = json::parse(parts[k]);
      const json& r = p.at("rows");
      if (!r.is_array() || r.size() != 2 || r[0].at("setting") != "plain")
        return bad(names[k] + ": expected the plain row and one α row");
      if (r[1].at("ratio").get<double>() != ratios[k])
        return bad(names[k] + ": its row is α = " + r[1].at("ratio").dump() + ", the batch asked for " + exactNumber(ratios[k]));
      if (k == 0) {
        head = {{"layouts", p.at("layouts")}, {"frames", p.at("frames")}, {"steps", p.at("steps")},
                {"seed", p.at("seed")},       {"cfg", p.at("cfg")}};
        rows.push_back(r[0]);
        plainIou = r[0].at("mean_iou").get<double>();
      } else {
        for (const char* f : {"layouts", "frames", "steps", "seed", "cfg"})
          if (p.at(f) != head.at(f)) return bad(names[k] + ": \"" + f + "\" differs from the first part's");
        if (r[0].at("mean_iou").get<double>() != plainIou)
          notes.push_back(names[k] + ": its plain baseline differs from the first part's (" + r[0].at("mean_iou").dump() +
                          " vs " + json(plainIou).dump() + "): different nodes or thread counts?");
      }
      rows.push_back(r[1]);
      seconds += p.at("seconds").get<double>();
    } catch (const std::exception& ex) {
      return bad(names[k] + ": not an eval layout --json answer: " + ex.what());
    }
  }
  json j{{"ok", true},     {"layouts", head["layouts"]}, {"frames", head["frames"]}, {"steps", head["steps"]},
         {"seed", head["seed"]}, {"cfg", head["cfg"]},   {"seconds", seconds},       {"rows", rows},
         {"notes", notes}, {"parts", names}};
  EvalTable t;
  t.json = j.dump(2) + "\n";
  t.markdown = "| setting | mean IoU | objects found | samples | seconds |\n|---|---|---|---|---|\n";
  for (const auto& r : rows) {
    char line[256];
    std::snprintf(line, sizeof(line), "| %s | %.3f | %.3f | %d | %.1f |\n", r.at("setting").get<std::string>().c_str(),
                  r.at("mean_iou").get<double>(), r.at("found").get<double>(), r.at("samples").get<int>(),
                  r.at("seconds").get<double>());
    t.markdown += line;
  }
  return t;
}

Result<std::vector<std::string>> gatherBatchJob(const BatchPlan& plan, int job) {
  if (job < 0 || job >= int(plan.spec.jobs.size())) return bad("no such job in the batch");
  const BatchJob& spec = plan.spec.jobs[size_t(job)];
  const BatchGather* g = plan.gatherFor(job);
  if (!g) return bad("job \"" + spec.name + "\" (" + batchKindName(spec.kind) + ") has nothing to gather");
  std::vector<std::string> parts, names, missing;
  std::vector<std::pair<int, int>> ranges;
  for (int t : g->tasks) {
    const BatchTask& task = plan.tasks[size_t(t)];
    names.push_back(task.stdoutFile);
    ranges.emplace_back(task.begin, task.end);
    std::error_code ec;
    bool complete = true;
    for (const auto& o : task.outputs) complete &= fs::is_regular_file(o, ec);
    if (!complete) {
      missing.push_back("task " + std::to_string(t));
      continue;
    }
    auto text = readTextFile(task.stdoutFile);
    if (!text.ok()) return text.error();
    parts.push_back(*text);
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    return bad("job \"" + spec.name + "\": " + std::to_string(missing.size()) + " of " + std::to_string(g->tasks.size()) +
               " parts missing (" + list + "); nothing gathered");
  }
  if (spec.kind == BatchKind::Search) {
    const std::string png = plan.jobDir(job) + "/best.png", js = plan.jobDir(job) + "/best.json";
    auto r = gatherSearch(parts, names, ranges, png);
    if (!r.ok()) return r.error();
    // The best range's PNG is the full search's best image, byte for byte: copy it as it is.
    auto bytes = readTextFile(plan.tasks[size_t(g->tasks[size_t(r->bestPart)])].outputs.front(), size_t(256) << 20);
    if (!bytes.ok()) return bytes.error();
    if (auto w = writeTextFile(png, *bytes); !w.ok()) return w.error();
    if (auto w = writeTextFile(js, r->bestJson); !w.ok()) return w.error();
    return std::vector<std::string>{png, js};
  }
  if (spec.kind == BatchKind::EvalLayout) {
    const std::string js = plan.jobDir(job) + "/table.json", md = plan.jobDir(job) + "/table.md";
    auto t = gatherEval(parts, names, spec.ratios);
    if (!t.ok()) return t.error();
    if (auto w = writeTextFile(md, t->markdown); !w.ok()) return w.error();
    if (auto w = writeTextFile(js, t->json); !w.ok()) return w.error();
    return std::vector<std::string>{md, js};
  }
  return bad("job \"" + spec.name + "\": a " + std::string(batchKindName(spec.kind)) + " gather is the CLI's (it writes a video)");
}

}  // namespace ns::farm
