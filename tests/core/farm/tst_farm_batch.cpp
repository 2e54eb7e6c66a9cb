// Tests farm batch files without a cluster: the parser (every key checked, unknown keys refused,
// errors naming the file, the entry and the key), the planner (task list, array indices, what
// each task runs, gather dependencies), the task script run by bash with a stand-in CLI (atomic
// stdout files, skipping complete tasks), the status from outputs + squeue + logs, and the
// gathers' arithmetic. The real cluster runs in tests/app/slow_farm_batch.sh.
#include "tests/support/ns_test.h"

#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/farm/batch_gather.h"
#include "core/farm/batch_status.h"
#include "core/farm/farm_batch.h"
#include "core/farm/process_runner.h"
#include "core/farm/text_file.h"

namespace fs = std::filesystem;
using namespace ns::farm;

namespace {

std::string tempRoot() { return (fs::temp_directory_path() / ("ns_tst_farm_batch_" + std::to_string(::getpid()))).string(); }

const char* kBatch = R"({
  "version": 1,
  "jobs": [
    {"name": "ball", "kind": "render", "project": "projects/ball.nsproj", "chunk": 4, "steps": 6, "ratio": 0.7},
    {"name": "clips", "kind": "invert", "inputs": ["a.mp4", "/data/b.png"], "prompt": "-a dog", "steps": 10},
    {"name": "sweep", "kind": "eval-layout", "ratios": [0.5, 0.7, 0.9], "layouts": 2, "frames": 2},
    {"name": "best", "kind": "search", "prompt": "a red ball", "candidates": 10, "per_task": 4, "seed": 7}
  ]
})";

BatchSettings settings(const std::string& out) {
  BatchSettings s;
  s.outDir = out;
  s.sourceBatch = "/b/batch.json";
  s.cli = "/usr/bin/noisestudio-cli";
  return s;
}

[[noreturn]] void fatal(const std::string& why) {
  std::fprintf(stderr, "sample batch refused: %s\n", why.c_str());
  std::abort();
}

BatchPlan samplePlan(const std::string& out) {
  auto spec = parseBatch(kBatch, "batch.json", "/b");
  if (!spec.ok()) fatal(spec.error().message);
  spec->jobs[0].frames = 10;  // what the submitter reads from the project
  spec->jobs[0].fps = 12;
  auto plan = planBatch(*spec, settings(out));
  if (!plan.ok()) fatal(plan.error().message);
  return *plan;
}

void touch(const std::string& path, const std::string& text = "x") {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
}

std::string errorOf(const std::string& text) {
  auto r = parseBatch(text, "my batch.json", "/b");
  return r.ok() ? std::string("(accepted)") : r.error().message;
}

std::string job(const std::string& fields) { return R"({"version": 1, "jobs": [)" + fields + "]}"; }

}  // namespace

class TstFarmBatch : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { fs::create_directories(tempRoot()); }
  void cleanupTestCase() { fs::remove_all(tempRoot()); }
  void parsesEveryKindAndResolvesPaths();
  void badFilesNameFileEntryAndKey();
  void planListsTasksAndGathers();
  void gatherDependsOnItsJobsTasksOnly();
  void planRoundTripsAndRefusesTooManyTasks();
  void taskScriptRunsTheTaskAtomically();
  void statusPerTaskAndJob();
  void searchGatherKeepsFirstStrictMaximum();
  void evalGatherBuildsTheTable();
};

void TstFarmBatch::parsesEveryKindAndResolvesPaths() {
  auto spec = parseBatch(kBatch, "batch.json", "/b");
  QVERIFY2(spec.ok(), spec.ok() ? "" : spec.error().message.c_str());
  QCOMPARE(spec->jobs.size(), size_t(4));
  const BatchJob& r = spec->jobs[0];
  QCOMPARE(r.kind, BatchKind::Render);
  QCOMPARE(r.project, std::string("/b/projects/ball.nsproj"));
  QCOMPARE(r.chunk, 4);
  QCOMPARE(r.options.size(), size_t(2));
  QCOMPARE(r.options[1].flag, std::string("--ratio"));
  QCOMPARE(r.options[1].value, std::string("0.7"));
  QCOMPARE(spec->jobs[1].inputs, (std::vector<std::string>{"/b/a.mp4", "/data/b.png"}));
  QCOMPARE(spec->jobs[2].ratios, (std::vector<double>{0.5, 0.7, 0.9}));
  QCOMPARE(spec->jobs[3].candidates, 10);
  QCOMPARE(spec->jobs[3].perTask, 4);
  // The canonical form reads back to itself (paths absolute, so the base folder no longer matters).
  auto again = parseBatch(spec->toJson(), "batch.json", "/elsewhere");
  QVERIFY(again.ok());
  QCOMPARE(again->toJson(), spec->toJson());
}

void TstFarmBatch::badFilesNameFileEntryAndKey() {
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases{
      {"{not json", {"my batch.json", "not JSON"}},
      {R"({"version": 2, "jobs": []})", {"my batch.json", "\"version\" must be 1"}},
      {R"({"version": 1, "jobs": [], "extra": 1})", {"unknown key \"extra\""}},
      {R"({"version": 1, "jobs": []})", {"\"jobs\" must be a non-empty list"}},
      {job(R"({"name": "s", "kind": "eval-layout", "ratios": [0.5], "ratio": 0.5})"),
       {"my batch.json: jobs[0] (\"s\")", "unknown key \"ratio\"", "ratios"}},
      {job(R"({"name": "s", "kind": "paint"})"), {"jobs[0] (\"s\")", "\"kind\"", "paint"}},
      {job(R"({"kind": "render"})"), {"jobs[0]", "\"name\""}},
      {job(R"({"name": "farm", "kind": "render", "project": "p", "chunk": 1})"), {"\"name\""}},
      {job(R"({"name": "../x", "kind": "render", "project": "p", "chunk": 1})"), {"\"name\""}},
      {job(R"({"name": "r", "kind": "render", "chunk": 1})"), {"jobs[0] (\"r\")", "\"project\" is missing"}},
      {job(R"({"name": "r", "kind": "render", "project": "p", "chunk": 0})"), {"\"chunk\": 0 is outside"}},
      {job(R"({"name": "r", "kind": "render", "project": "p", "chunk": "4"})"), {"\"chunk\" must be a whole number"}},
      {job(R"({"name": "r", "kind": "render", "project": "p", "chunk": 2, "ratio": 0})"), {"\"ratio\": 0 is outside (0, 1]"}},
      {job(R"({"name": "s", "kind": "search", "prompt": "x", "candidates": 4, "per_task": 8})"), {"\"per_task\" 8 exceeds"}},
      {job(R"({"name": "s", "kind": "search", "prompt": "x", "candidates": 1e9, "per_task": 8})"), {"\"candidates\""}},
      {job(R"({"name": "i", "kind": "invert", "inputs": ["a/x.mp4", "b/x.png"], "prompt": ""})"),
       {"inputs[1]", "also named \"x\""}},
      {job(R"({"name": "i", "kind": "invert", "inputs": ["a.png"], "prompt": "", "method": "magic"})"),
       {"\"method\"", "edit-friendly|ddim"}},
      {job(R"({"name": "e", "kind": "eval-layout", "ratios": [0.5, 0.5]})"), {"ratios[1]", "listed twice"}},
      {job(R"({"name": "e", "kind": "eval-layout", "ratios": [0.5, 1.5]})"), {"ratios[1]", "outside"}},
      {job(R"({"name": "a", "kind": "eval-layout", "ratios": [0.5]}, {"name": "a", "kind": "eval-layout", "ratios": [0.6]})"),
       {"jobs[1]", "\"a\" is used by an earlier job"}},
  };
  for (const auto& [text, expected] : cases) {
    const std::string err = errorOf(text);
    for (const auto& e : expected) QVERIFY2(err.find(e) != std::string::npos, (text + "  ->  " + err).c_str());
    QVERIFY2(err.find("my batch.json") == 0, err.c_str());
  }
}

void TstFarmBatch::planListsTasksAndGathers() {
  const BatchPlan p = samplePlan("/out");
  // render: 10 frames in chunks of 4 -> 3 tasks; invert: 2 inputs; eval: 3 ratios; search: 10 in 4s -> 3.
  QCOMPARE(p.tasks.size(), size_t(3 + 2 + 3 + 3));
  for (size_t i = 0; i < p.tasks.size(); ++i) QCOMPARE(p.tasks[i].index, int(i));
  QCOMPARE(p.tasks[2].begin, 8);
  QCOMPARE(p.tasks[2].end, 10);
  QCOMPARE(p.tasks[2].outputs, (std::vector<std::string>{"/out/ball/frames/frame_0008.png", "/out/ball/frames/frame_0009.png"}));
  QCOMPARE(p.tasks[1].args, (std::vector<std::string>{"render", "/out/farm/projects/ball.nsproj", "--frames", "4:8",
                                                      "--steps=6", "--ratio=0.7", "-o", "/out/ball/frames/frame.png"}));
  // A prompt starting with '-' stays the option's value.
  QCOMPARE(p.tasks[3].args, (std::vector<std::string>{"invert", "/b/a.mp4", "--prompt=-a dog", "--steps=10", "-o",
                                                      "/out/clips/a.nsnoise"}));
  QCOMPARE(p.tasks[7].args.back(), std::string("0.9"));
  QCOMPARE(p.tasks[7].stdoutFile, std::string("/out/sweep/parts/alpha_2.json"));
  QCOMPARE(p.tasks[10].begin, 8);
  QCOMPARE(p.tasks[10].end, 10);
  QCOMPARE(p.tasks[10].args, (std::vector<std::string>{"--json", "search", "--prompt=a red ball", "--candidates=10",
                                                       "--seed=7", "--method", "random", "--candidates-range", "8:10",
                                                       "-o", "/out/best/parts/range_8_10.png"}));
  // Search ranges cover the candidates once, in order.
  int next = 0;
  for (const auto& t : p.tasks)
    if (t.job == 3) {
      QCOMPARE(t.begin, next);
      next = t.end;
    }
  QCOMPARE(next, 10);
  // Gathers: render (video), eval (table), search (best); the inversions have nothing to gather.
  QCOMPARE(p.gathers.size(), size_t(3));
  QVERIFY(p.gatherFor(1) == nullptr);
  QCOMPARE(p.gatherFor(0)->tasks, (std::vector<int>{0, 1, 2}));
  QCOMPARE(p.gatherFor(0)->outputs, std::vector<std::string>{"/out/ball/ball.mp4"});
  QCOMPARE(p.gatherFor(2)->tasks, (std::vector<int>{5, 6, 7}));
  QCOMPARE(p.gatherFor(3)->outputs, (std::vector<std::string>{"/out/best/best.png", "/out/best/best.json"}));
  // Global options go first; the model is passed to every task.
  BatchSettings s = settings("/out");
  s.model = "/models/sd 15";
  s.device = "cuda";
  auto withModel = planBatch(p.spec, s);
  QVERIFY(withModel.ok());
  QCOMPARE(std::vector<std::string>(withModel->tasks[9].args.begin(), withModel->tasks[9].args.begin() + 5),
           (std::vector<std::string>{"--model", "/models/sd 15", "--device", "cuda", "--json"}));
}

void TstFarmBatch::gatherDependsOnItsJobsTasksOnly() {
  BatchPlan p = samplePlan("/out");
  p.slurm.maxParallel = 3;
  std::vector<int> all;
  for (const auto& t : p.tasks) all.push_back(t.index);
  const auto arr = p.taskSubmitArgs(all);
  QCOMPARE(arr[0], std::string("--array=0-10%3"));
  QCOMPARE(arr[1], std::string("--output=/out/farm/logs/task_%a.log"));
  auto g = p.gatherSubmitArgs(3, "40", all, {});
  QCOMPARE(g[0], std::string("--dependency=afterok:40_8:40_9:40_10"));
  QCOMPARE(g[1], std::string("--output=/out/farm/logs/gather_best.log"));
  // Resume: only task 9 resubmitted (array 52), array 40 still running.
  g = p.gatherSubmitArgs(3, "52", {9, 1}, {"40"});
  QCOMPARE(g[0], std::string("--dependency=afterok:52_9,afterany:40"));
  // Nothing of the job resubmitted and nothing running: the gather runs at once.
  g = p.gatherSubmitArgs(0, "52", {9}, {});
  QCOMPARE(g[0], std::string("--output=/out/farm/logs/gather_ball.log"));
  QVERIFY(p.gatherScript(3).find("farm gather '/out' 'best'") != std::string::npos);
}

void TstFarmBatch::planRoundTripsAndRefusesTooManyTasks() {
  const BatchPlan p = samplePlan(tempRoot() + "/rt");
  auto back = BatchPlan::fromJson(p.toJson(), "batch.json");
  QVERIFY2(back.ok(), back.ok() ? "" : back.error().message.c_str());
  QCOMPARE(back->toJson(), p.toJson());
  QCOMPARE(back->taskScript(), p.taskScript());
  QCOMPARE(back->spec.jobs[0].frames, 10);
  // Loaded from where the folder is now.
  fs::create_directories(tempRoot() + "/moved/farm");
  touch(tempRoot() + "/moved/farm/batch.json", p.toJson());
  auto moved = BatchPlan::load(tempRoot() + "/moved");
  QVERIFY2(moved.ok(), moved.ok() ? "" : moved.error().message.c_str());
  QCOMPARE(moved->tasks[0].outputs[0], tempRoot() + "/moved/ball/frames/frame_0000.png");
  QVERIFY(!BatchPlan::fromJson("{\"version\": 1}", "x.json").ok());

  auto big = parseBatch(job(R"({"name": "s", "kind": "search", "prompt": "x", "candidates": 4096, "per_task": 1})"),
                        "big.json", "/b");
  QVERIFY(big.ok());
  auto plan = planBatch(*big, settings("/out"));
  QVERIFY(!plan.ok());
  QVERIFY2(plan.error().message.find("more than 1000 tasks") != std::string::npos, plan.error().message.c_str());
  auto spec = parseBatch(kBatch, "batch.json", "/b");
  QVERIFY(spec.ok());
  plan = planBatch(*spec, settings("/out"));  // render frames not filled in
  QVERIFY(!plan.ok() && plan.error().message.find("has no frames") != std::string::npos);
  BatchSettings s = settings("relative/out");
  spec->jobs[0].frames = 3;
  QVERIFY(!planBatch(*spec, s).ok());
  s = settings("/out");
  s.slurm.partition = "gpu; rm -rf /";
  plan = planBatch(*spec, s);
  QVERIFY(!plan.ok() && plan.error().message.find("--partition") != std::string::npos);
}

void TstFarmBatch::taskScriptRunsTheTaskAtomically() {
  // A stand-in CLI printing its arguments one a line; it fails when an argument is "fail".
  const std::string cli = tempRoot() + "/fake cli";
  QVERIFY(writeTextFile(cli, "#!/bin/sh\nfor a in \"$@\"; do [ \"$a\" = fail ] && exit 3; printf '%s\\n' \"$a\"; done\n", 0755).ok());
  auto spec = parseBatch(job(R"({"name": "s", "kind": "search", "prompt": "it's \"x\" $HOME", "candidates": 4, "per_task": 2},
                               {"name": "e", "kind": "eval-layout", "ratios": [0.5], "layouts": 1})"),
                         "b.json", "/b");
  QVERIFY(spec.ok());
  BatchSettings s = settings(tempRoot() + "/script out");
  s.cli = cli;
  auto plan = planBatch(*spec, s);
  QVERIFY(plan.ok());
  fs::create_directories(plan->farmDir());
  QVERIFY(writeTextFile(plan->taskScriptPath(), plan->taskScript(), 0755).ok());
  auto run = [&](int task) { return runProcess({"env", "SLURM_ARRAY_TASK_ID=" + std::to_string(task), "bash", plan->taskScriptPath()}); };
  auto r = run(1);
  QVERIFY(r.ok());
  QVERIFY2(r->exitCode == 0, r->err.c_str());
  // The task's stdout went to its JSON file, the arguments arrived whole.
  auto text = readTextFile(plan->tasks[1].stdoutFile);
  QVERIFY(text.ok());
  QCOMPARE(*text, std::string("--json\nsearch\n--prompt=it's \"x\" $HOME\n--candidates=4\n--method\nrandom\n"
                              "--candidates-range\n2:4\n-o\n") + plan->tasks[1].outputs[0] + "\n");
  // Complete outputs: the task does nothing (a requeue is safe).
  touch(plan->tasks[1].outputs[0], "png");
  r = run(1);
  QVERIFY(r.ok() && r->exitCode == 0 && r->out.find("already complete") != std::string::npos);
  // A failing command leaves no output file and fails the task with its exit code.
  BatchPlan failing = *plan;
  failing.tasks[2].args.push_back("fail");
  QVERIFY(writeTextFile(plan->taskScriptPath(), failing.taskScript(), 0755).ok());
  r = run(2);
  QVERIFY(r.ok());
  QCOMPARE(r->exitCode, 3);
  QVERIFY(!fs::exists(plan->tasks[2].stdoutFile));
  QVERIFY(fs::is_empty(fs::path(plan->tasks[2].stdoutFile).parent_path()));  // no temp file left either
  r = run(7);  // no such task
  QVERIFY(r.ok() && r->exitCode == 2);
  r = runProcess({"bash", plan->taskScriptPath()});  // not an array task
  QVERIFY(r.ok() && r->exitCode != 0);
}

void TstFarmBatch::statusPerTaskAndJob() {
  const BatchPlan p = samplePlan(tempRoot() + "/status");
  // Render: tasks 0-2 done; invert: task 3 done, 4 running; eval: 5 done, 6 failed, 7 never ran;
  // search: all done and gathered.
  for (int t : {0, 1, 2, 3, 5, 8, 9, 10})
    for (const auto& o : p.tasks[size_t(t)].outputs) touch(o);
  for (const auto& o : p.gatherFor(3)->outputs) touch(o);
  touch(p.taskLogPath(4), "farm: task 4\nprogress: invert 3/10 at 5.0\n");
  touch(p.taskLogPath(6), "farm: task 6\nnoisestudio-cli: error: out of memory\n");
  FarmState st;
  FarmSubmission sub{"30", "", {0, 1, 2, 3, 4, 5, 6, 8, 9, 10}, {{"ball", "31"}, {"sweep", "32"}, {"best", "33"}}};
  st.submissions.push_back(sub);
  QCOMPARE(st.gatherJobFor("sweep"), std::string("32"));
  QCOMPARE(st.allJobIds(), (std::vector<std::string>{"30", "31", "32", "33"}));
  auto saved = FarmState::fromJson(st.toJson(), "state.json");
  QVERIFY(saved.ok());
  QCOMPARE(saved->toJson(), st.toJson());
  std::vector<SlurmTask> tasks;
  for (const char* line : {"30_4|RUNNING|None", "30_6|FAILED|NonZeroExitCode", "31|RUNNING|None",
                           "32|CANCELLED|DependencyNeverSatisfied", "33|COMPLETED|None"}) {
    SlurmTask t;
    QVERIFY(SlurmClient::parseTaskLine(line, t));
    tasks.push_back(t);
  }
  BatchStatus s = computeBatchStatus(p, st, tasks, 5);
  QCOMPARE(s.state, std::string("running"));
  QCOMPARE(s.tasksDone, 8);
  QCOMPARE(s.tasks[4].state, ChunkState::Running);
  QCOMPARE(s.tasks[4].progress, std::string("invert 3/10"));
  QCOMPARE(s.tasks[6].state, ChunkState::Failed);
  QVERIFY(s.tasks[6].logTail.find("out of memory") != std::string::npos);
  QCOMPARE(s.tasks[7].state, ChunkState::NotSubmitted);
  QCOMPARE(s.jobs[0].gather, std::string("running"));
  QCOMPARE(s.jobs[1].gather, std::string("none"));
  QCOMPARE(s.jobs[1].state, std::string("running"));
  QCOMPARE(s.jobs[1].results, std::vector<std::string>{p.tasks[3].outputs[0]});
  QCOMPARE(s.jobs[2].state, std::string("failed"));
  QCOMPARE(s.jobs[2].gather, std::string("not run (a task failed)"));
  QCOMPARE(s.jobs[3].state, std::string("done"));
  QCOMPARE(s.tasksToResubmit(), (std::vector<int>{6, 7}));
  QCOMPARE(s.gathersToSubmit(), (std::vector<int>{0, 2}));
  const std::string text = s.toText();
  QVERIFY2(text.find("task 6 eval-layout sweep alpha 0.7  failed  [30_6 FAILED NonZeroExitCode]") != std::string::npos,
           text.c_str());
  QVERIFY(text.find("| noisestudio-cli: error: out of memory") != std::string::npos);
  const std::string json = s.toJson();
  for (const char* field : {"\"kind\": \"batch\"", "\"log_tail\"", "\"chunks\"", "\"gather\": \"none\"", "\"merge\""})
    QVERIFY2(json.find(field) != std::string::npos, field);
  // A project job's reader finds its fields: frames over the render job, chunks with frame ranges.
  const auto j = nlohmann::json::parse(json);
  QCOMPARE(j["frames"].get<int>(), 10);
  QCOMPARE(j["frames_done"].get<int>(), 10);
  QCOMPARE(j["video"].get<bool>(), false);  // the render's gather is still running
  QCOMPARE(j["chunks"][2]["frames"], nlohmann::json({8, 10}));
  QCOMPARE(j["chunks"][2]["frames_done"].get<int>(), 2);
  QCOMPARE(j["chunks"][6]["frames"], nlohmann::json({0, 0}));
  QCOMPARE(j["chunks"][6]["log_tail"].get<std::string>().find("out of memory") != std::string::npos, true);
  // Slurm forgot everything and the running ones ended without outputs: the rest failed; cancel mark wins.
  s = computeBatchStatus(p, st, {}, 5);
  QCOMPARE(s.state, std::string("failed"));
  QCOMPARE(s.tasksToResubmit(), (std::vector<int>{4, 6, 7}));
  QCOMPARE(s.jobs[0].gather, std::string("failed"));  // tasks done, gather ended without its video
  st.cancelled = true;
  QCOMPARE(computeBatchStatus(p, st, {}, 5).state, std::string("cancelled"));
}

void TstFarmBatch::searchGatherKeepsFirstStrictMaximum() {
  auto part = [](int first, std::vector<double> scores) {
    int best = 0;
    for (size_t i = 1; i < scores.size(); ++i)
      if (scores[i] > scores[size_t(best)]) best = int(i);
    nlohmann::json j{{"scores", scores}, {"first_index", first}, {"best_index", first + best},
                     {"best_score", scores[size_t(best)]}, {"first_score", scores[0]}, {"verifier", "v"}};
    return j.dump();
  };
  // Candidates 1 and 4 tie at 0.5: the earlier one wins, as in the full search.
  auto g = gatherSearch({part(0, {0.1, 0.5}), part(2, {-1, 0.2}), part(4, {0.5})}, {"a", "b", "c"},
                        {{0, 2}, {2, 4}, {4, 5}}, "/o/best.png");
  QVERIFY(g.ok());
  QCOMPARE(g->bestPart, 0);
  const auto j = nlohmann::json::parse(g->bestJson);
  QCOMPARE(j["best_index"].get<int>(), 1);
  QCOMPARE(j["best_score"].get<double>(), 0.5);
  QCOMPARE(j["scores"].size(), size_t(5));
  QCOMPARE(j["candidates"].get<int>(), 5);
  g = gatherSearch({part(0, {0.1, 0.5}), part(2, {-1, 0.7})}, {"a", "b"}, {{0, 2}, {2, 4}}, "x");
  QVERIFY(g.ok() && g->bestPart == 1);
  // A part that is not the range it claims, or has too few scores: refused, naming it.
  g = gatherSearch({part(0, {0.1, 0.5}), part(3, {0.2})}, {"a", "part b"}, {{0, 2}, {2, 3}}, "x");
  QVERIFY(!g.ok() && g.error().message.find("part b") == 0);
  g = gatherSearch({part(0, {0.1})}, {"a"}, {{0, 2}}, "x");
  QVERIFY(!g.ok() && g.error().message.find("1 scores") != std::string::npos);
  g = gatherSearch({"{}"}, {"a"}, {{0, 2}}, "x");
  QVERIFY(!g.ok());
}

void TstFarmBatch::evalGatherBuildsTheTable() {
  auto part = [](double ratio, double iou, double plainIou) {
    nlohmann::json rows = nlohmann::json::array();
    rows.push_back({{"setting", "plain"}, {"ratio", 1.0}, {"mean_iou", plainIou}, {"found", 1.0}, {"samples", 4}, {"seconds", 1.0}});
    char name[32];
    std::snprintf(name, sizeof(name), "alpha=%.2f", ratio);
    rows.push_back({{"setting", name}, {"ratio", ratio}, {"mean_iou", iou}, {"found", 0.5}, {"samples", 4}, {"seconds", 2.0}});
    return nlohmann::json{{"layouts", 1}, {"frames", 2}, {"steps", 4}, {"seed", 1}, {"cfg", 4.0}, {"seconds", 3.0}, {"rows", rows}}
        .dump();
  };
  auto t = gatherEval({part(0.5, 0.6, 0.1), part(0.9, 0.3, 0.1)}, {"a", "b"}, {0.5, 0.9});
  QVERIFY2(t.ok(), t.ok() ? "" : t.error().message.c_str());
  const auto j = nlohmann::json::parse(t->json);
  QCOMPARE(j["rows"].size(), size_t(3));
  QCOMPARE(j["rows"][0]["setting"].get<std::string>(), std::string("plain"));
  QCOMPARE(j["rows"][2]["mean_iou"].get<double>(), 0.3);
  QCOMPARE(j["seconds"].get<double>(), 6.0);
  QVERIFY(j["notes"].empty());
  QVERIFY2(t->markdown.find("| alpha=0.90 | 0.300 | 0.500 | 4 | 2.0 |") != std::string::npos, t->markdown.c_str());
  // A part of another α than the batch asked for is refused; a differing plain baseline is noted.
  QVERIFY(!gatherEval({part(0.5, 0.6, 0.1), part(0.8, 0.3, 0.1)}, {"a", "b"}, {0.5, 0.9}).ok());
  t = gatherEval({part(0.5, 0.6, 0.1), part(0.9, 0.3, 0.2)}, {"a", "b"}, {0.5, 0.9});
  QVERIFY(t.ok() && nlohmann::json::parse(t->json)["notes"].size() == 1);
}

NS_REGISTER_TEST(TstFarmBatch, initTestCase, parsesEveryKindAndResolvesPaths, badFilesNameFileEntryAndKey,
                 planListsTasksAndGathers, gatherDependsOnItsJobsTasksOnly, planRoundTripsAndRefusesTooManyTasks,
                 taskScriptRunsTheTaskAtomically, statusPerTaskAndJob, searchGatherKeepsFirstStrictMaximum,
                 evalGatherBuildsTheTable, cleanupTestCase)
#ifdef NS_HAVE_QTEST
#include "tst_farm_batch.moc"
#endif
