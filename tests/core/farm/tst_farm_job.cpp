// Tests core/farm without a cluster: chunk arithmetic, Slurm's --array lists, the sbatch scripts
// (run by bash with a stand-in CLI that prints its arguments, so quoting is checked for real),
// the job folder's JSON, squeue line parsing, the per-chunk status computed from frames + squeue +
// logs, and the process runner. The real cluster runs in tests/app/slow_farm_slurm.sh.
#include "tests/support/ns_test.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/farm/farm_job.h"
#include "core/farm/farm_status.h"
#include "core/farm/process_runner.h"
#include "core/farm/slurm_client.h"
#include "core/farm/text_file.h"

namespace fs = std::filesystem;
using namespace ns::farm;

namespace {

std::string tempRoot() { return (fs::temp_directory_path() / ("ns_tst_farm_" + std::to_string(::getpid()))).string(); }

FarmJob sampleJob(const std::string& out) {
  FarmJob j;
  j.outDir = out;
  j.name = "red ball";
  j.sourceProject = "/p/red ball.nsproj";
  j.frames = 17;
  j.fps = 8;
  j.chunk = 4;
  j.steps = 6;
  j.ratio = 0.7;
  j.cli = "/usr/bin/noisestudio-cli";
  return j;
}

void touch(const std::string& path, const std::string& text = "x") {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
}

}  // namespace

class TstFarmJob : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { fs::create_directories(tempRoot()); }
  void cleanupTestCase() { fs::remove_all(tempRoot()); }
  void chunksCoverFramesOnce();
  void arrayListsAreCompact();
  void validateNamesTheField();
  void settingsAndStateRoundTrip();
  void chunkScriptPassesPathsAsSingleArguments();
  void squeueLinesParse();
  void statusFromFramesQueueAndLogs();
  void processRunnerReportsExitAndMissingProgram();
  void tailOfFileSplitsCarriageReturns();
};

void TstFarmJob::chunksCoverFramesOnce() {
  FarmJob j = sampleJob("/out");
  QCOMPARE(j.chunkCount(), 5);  // 17 frames in chunks of 4: 4+4+4+4+1
  std::vector<int> seen(17, 0);
  for (int i = 0; i < j.chunkCount(); ++i) {
    auto [b, e] = j.chunkRange(i);
    QVERIFY(b < e);
    for (int f = b; f < e; ++f) ++seen[size_t(f)];
  }
  for (int f = 0; f < 17; ++f) QCOMPARE(seen[size_t(f)], 1);
  QCOMPARE(j.chunkRange(4), std::make_pair(16, 17));
  j.chunk = 17;
  QCOMPARE(j.chunkCount(), 1);
  j.chunk = 100;
  QCOMPARE(j.chunkCount(), 1);
  QCOMPARE(j.framePath(7), std::string("/out/frames/frame_0007.png"));
  QCOMPARE(j.videoPath(), std::string("/out/red ball.mp4"));
}

void TstFarmJob::arrayListsAreCompact() {
  QCOMPARE(arrayIndexList({0, 1, 2, 3}), std::string("0-3"));
  QCOMPARE(arrayIndexList({7, 0, 1, 2, 5, 8}), std::string("0-2,5,7-8"));
  QCOMPARE(arrayIndexList({3}), std::string("3"));
  FarmJob j = sampleJob("/out");
  j.slurm.maxParallel = 2;
  const auto args = j.chunkSubmitArgs({0, 1, 2, 3, 4});
  QCOMPARE(args.front(), std::string("--array=0-4%2"));
  QCOMPARE(args[1], std::string("--output=/out/farm/logs/chunk_%a.log"));
  QCOMPARE(j.mergeSubmitArgs("41").front(), std::string("--dependency=afterok:41"));
}

void TstFarmJob::validateNamesTheField() {
  FarmJob j = sampleJob("/out");
  QVERIFY(j.validate().ok());
  j.chunk = 0;
  auto v = j.validate();
  QVERIFY(!v.ok());
  QVERIFY2(v.error().message.find("--chunk") != std::string::npos, v.error().message);
  j = sampleJob("/out");
  j.slurm.partition = "gpu; rm -rf /";
  v = j.validate();
  QVERIFY(!v.ok() && v.error().message.find("--partition") != std::string::npos);
  j = sampleJob("relative/out");
  QVERIFY(!j.validate().ok());
}

void TstFarmJob::settingsAndStateRoundTrip() {
  FarmJob j = sampleJob(tempRoot() + "/rt");
  j.slurm.partition = "gpu";
  j.slurm.gpusPerTask = 1;
  j.slurm.mem = "8G";
  j.model = "/models/sd15";
  auto back = FarmJob::fromJson(j.toJson(), "settings.json");
  QVERIFY2(back.ok(), back.ok() ? "" : back.error().message);
  QCOMPARE(back->toJson(), j.toJson());
  auto bad = FarmJob::fromJson("{\"version\": 99}", "settings.json");
  QVERIFY(!bad.ok() && bad.error().message.find("settings.json") != std::string::npos);

  FarmState st;
  st.submissions.push_back({"10", "11", {0, 1, 2, 3, 4}, {}});
  st.submissions.push_back({"12", "13", {2, 4}, {}});
  QCOMPARE(st.arrayJobFor(1), std::string("10"));
  QCOMPARE(st.arrayJobFor(4), std::string("12"));  // the resubmission is the one that counts
  QCOMPARE(st.arrayJobFor(9), std::string());
  const std::string path = tempRoot() + "/state.json";
  QVERIFY(st.save(path).ok());
  auto loaded = FarmState::load(path);
  QVERIFY(loaded.ok());
  QCOMPARE(loaded->toJson(), st.toJson());
  QCOMPARE(loaded->allJobIds(), (std::vector<std::string>{"10", "11", "12", "13"}));
  auto none = FarmState::load(tempRoot() + "/nothing.json");
  QVERIFY(none.ok() && none->submissions.empty());
}

void TstFarmJob::chunkScriptPassesPathsAsSingleArguments() {
  // A stand-in CLI printing one argument per line: each path must arrive whole, quotes and spaces included.
  const std::string cli = tempRoot() + "/print args";
  QVERIFY(writeTextFile(cli, "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n", 0755).ok());
  FarmJob j = sampleJob(tempRoot() + "/it's a \"job\" $HOME");
  j.cli = cli;
  j.model = tempRoot() + "/my model";
  fs::create_directories(j.farmDir());
  QVERIFY(writeTextFile(j.chunkScriptPath(), j.chunkScript(), 0755).ok());
  for (const auto& [task, range] : {std::make_pair("1", "4:8"), std::make_pair("4", "16:17")}) {
    auto r = runProcess({"env", std::string("SLURM_ARRAY_TASK_ID=") + task, "bash", j.chunkScriptPath()});
    QVERIFY(r.ok());
    QVERIFY2(r->exitCode == 0, r->err);
    const std::string expected = "farm: chunk " + std::string(task) + " frames " + range;
    QVERIFY2(r->out.find(expected) != std::string::npos, r->out);
    const std::string args = r->out.substr(r->out.find('\n') + 1);
    QCOMPARE(args, "--model\n" + j.model + "\nrender\n" + j.projectCopyPath() + "\n--frames\n" + range +
                       "\n--steps\n6\n--ratio\n0.7\n-o\n" + j.framePattern() + "\n");
  }
  // Without an array task id the script refuses instead of rendering something arbitrary.
  auto r = runProcess({"bash", j.chunkScriptPath()});
  QVERIFY(r.ok() && r->exitCode != 0);
  QVERIFY(j.mergeScript().find("farm merge " + shellQuote(j.outDir)) != std::string::npos);
}

void TstFarmJob::squeueLinesParse() {
  SlurmTask t;
  QVERIFY(SlurmClient::parseTaskLine("12_3|RUNNING|None", t));
  QCOMPARE(t.jobId, std::string("12"));
  QCOMPARE(t.arrayIndex, 3);
  QCOMPARE(t.state, std::string("RUNNING"));
  QVERIFY(SlurmClient::parseTaskLine("13|CANCELLED|DependencyNeverSatisfied", t));
  QCOMPARE(t.arrayIndex, -1);
  QCOMPARE(t.reason, std::string("DependencyNeverSatisfied"));
  QVERIFY(!SlurmClient::parseTaskLine("12_[3-5%2]|PENDING|JobArrayTaskLimit", t));
  QVERIFY(!SlurmClient::parseTaskLine("garbage", t));
  QVERIFY(SlurmClient::isFinished("FAILED") && SlurmClient::isFinished("COMPLETED") && SlurmClient::isFinished("TIMEOUT"));
  QVERIFY(!SlurmClient::isFinished("PENDING") && !SlurmClient::isFinished("RUNNING"));
}

void TstFarmJob::statusFromFramesQueueAndLogs() {
  FarmJob j = sampleJob(tempRoot() + "/status");
  j.frames = 16;  // chunks 0..3 of 4 frames
  for (int f = 0; f < 4; ++f) touch(j.framePath(f));  // chunk 0 complete
  touch(j.framePath(4));                               // chunk 1: 1 of 4 so far
  touch(j.chunkLogPath(1), "farm: chunk 1 frames 4:8\nprogress: denoise 3/20 at 1.0\rprogress: denoise 9/20 at 2.0\n");
  std::string failLog = "farm: chunk 2 frames 8:12\n";
  for (int i = 0; i < 30; ++i) failLog += "line " + std::to_string(i) + "\n";
  failLog += "noisestudio-cli: error: /in/bg.png: file not found\n";
  touch(j.chunkLogPath(2), failLog);
  FarmState st;
  st.submissions.push_back({"20", "21", {0, 1, 2, 3}, {}});
  std::vector<SlurmTask> tasks;
  for (const char* line : {"20_0|COMPLETED|None", "20_1|RUNNING|None", "20_2|FAILED|NonZeroExitCode",
                           "20_3|PENDING|JobArrayTaskLimit", "21|PENDING|Dependency"}) {
    SlurmTask t;
    QVERIFY(SlurmClient::parseTaskLine(line, t));
    tasks.push_back(t);
  }
  FarmStatus s = computeFarmStatus(j, st, tasks, 5);
  QCOMPARE(s.state, std::string("running"));
  QCOMPARE(s.framesDone, 5);
  QCOMPARE(s.chunks[0].state, ChunkState::Done);
  QCOMPARE(s.chunks[1].state, ChunkState::Running);
  QCOMPARE(s.chunks[1].progress, std::string("denoise 9/20"));
  QCOMPARE(s.chunks[2].state, ChunkState::Failed);
  QCOMPARE(s.chunks[2].slurmState, std::string("FAILED NonZeroExitCode"));
  QVERIFY2(s.chunks[2].logTail.find("bg.png: file not found") != std::string::npos, s.chunks[2].logTail);
  QVERIFY(s.chunks[2].logTail.find("line 25") == std::string::npos);  // 5 lines only
  QCOMPARE(s.chunks[3].state, ChunkState::Pending);
  QCOMPARE(s.mergeState, std::string("waiting"));
  QCOMPARE(s.chunksToResubmit(), std::vector<int>{2});
  QVERIFY(s.toText().find("chunk 2 (frames 8:12)  failed") != std::string::npos);

  // Once Slurm forgot the tasks (MinJobAge) and the array ended, unfinished chunks count as failed.
  s = computeFarmStatus(j, st, {}, 5);
  QCOMPARE(s.state, std::string("failed"));
  QCOMPARE(s.chunksToResubmit(), (std::vector<int>{1, 2, 3}));
  // All frames and the video: done, whatever squeue says.
  for (int f = 0; f < 16; ++f) touch(j.framePath(f));
  touch(j.videoPath());
  s = computeFarmStatus(j, st, tasks, 5);
  QCOMPARE(s.state, std::string("done"));
  QVERIFY(s.chunksToResubmit().empty());
}

void TstFarmJob::processRunnerReportsExitAndMissingProgram() {
  auto r = runProcess({"sh", "-c", "echo out; echo err >&2; exit 3"});
  QVERIFY(r.ok());
  QCOMPARE(r->exitCode, 3);
  QCOMPARE(r->out, std::string("out\n"));
  QCOMPARE(r->err, std::string("err\n"));
  auto missing = runProcess({"ns-no-such-program-xyz", "--help"});
  QVERIFY(!missing.ok());
  QVERIFY2(missing.error().message.find("ns-no-such-program-xyz: not found on PATH") != std::string::npos,
           missing.error().message);
  QVERIFY(findOnPath("sh").find("/sh") != std::string::npos);
  auto slow = runProcess({"sleep", "5"}, 0.3);
  QVERIFY(slow.ok());
  QCOMPARE(slow->exitCode, 128 + 9);
}

void TstFarmJob::tailOfFileSplitsCarriageReturns() {
  const std::string path = tempRoot() + "/tail.log";
  touch(path, "a\nb\rc\nd\n\n");
  QCOMPARE(tailOfFile(path, 2), std::string("c\nd"));
  QCOMPARE(tailOfFile(path, 10), std::string("a\nb\nc\nd"));
  QCOMPARE(tailOfFile(tempRoot() + "/none.log", 3), std::string());
  QCOMPARE(lastProgress("progress: sketch 0/1\nprogress: denoise 4/8 at 17.5\nframe 3 written\n"), std::string("denoise 4/8"));
}

NS_REGISTER_TEST(TstFarmJob, initTestCase, chunksCoverFramesOnce, arrayListsAreCompact, validateNamesTheField,
                 settingsAndStateRoundTrip, chunkScriptPassesPathsAsSingleArguments, squeueLinesParse,
                 statusFromFramesQueueAndLogs, processRunnerReportsExitAndMissingProgram,
                 tailOfFileSplitsCarriageReturns, cleanupTestCase)
#ifdef NS_HAVE_QTEST
#include "tst_farm_job.moc"
#endif
