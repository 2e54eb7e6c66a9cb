// Tests the planning verbs of noisestudio-cli (app/cli/cmd_plan.cpp) through the binary:
// sketch writes a video with the project's frame count, a corrupt .nsproj exits 2 naming the file,
// render on an example writes an mp4 (few steps), and eval layout prints its rows as JSON.
#include "tests/support/ns_test.h"

#include "tests/app/cli_test_util.h"

#include <unistd.h>

#include <QProcess>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/media/video_io.h"

namespace fs = std::filesystem;

namespace {

using clitest::Run;
using clitest::runCli;
using clitest::q;

std::string planTemp() { return (fs::temp_directory_path() / ("ns_tst_cli_plan_" + std::to_string(::getpid()))).string(); }
std::string example(const char* name) { return (fs::path(NS_SOURCE_DIR) / "examples" / name).string(); }

}  // namespace

class TstCliPlan : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { fs::create_directories(planTemp()); }
  void cleanupTestCase() { fs::remove_all(planTemp()); }
  void sketchWritesProjectFrameCount();
  void corruptProjectExitsTwoNamingFile();
  void renderWritesMp4();
  void evalLayoutPrintsRows();
};

void TstCliPlan::sketchWritesProjectFrameCount() {
  const std::string out = planTemp() + "/sketch.mp4";
  Run r = runCli({"sketch", q(example("box_and_star_on_the_sea.nsproj")), "-o", q(out)});
  QVERIFY2(r.code == 0, "exit " + std::to_string(r.code) + ": " + r.err);
  auto clip = ns::media::readVideo(out);
  QVERIFY2(clip.ok(), clip.ok() ? "" : clip.error().message);
  QCOMPARE(int(clip->frames.size(0)), 16);
  QCOMPARE(int(clip->frames.size(3)), 64);
  // PNG sequence output too: frame_0000.png … frame_0015.png
  const std::string dir = planTemp() + "/frames";
  r = runCli({"sketch", q(example("red_ball_on_grass.nsproj")), "-o", q(dir + "/frame.png")});
  QVERIFY2(r.code == 0, r.err);
  QVERIFY(fs::exists(dir + "/frame_0000.png") && fs::exists(dir + "/frame_0015.png") && !fs::exists(dir + "/frame_0016.png"));
}

void TstCliPlan::corruptProjectExitsTwoNamingFile() {
  const std::string bad = planTemp() + "/broken.nsproj";
  std::ofstream(bad) << "{\"schema_version\": 1, \"canvas\": {\"width\": 64,";
  Run r = runCli({"sketch", q(bad), "-o", q(planTemp() + "/x.mp4")});
  QVERIFY2(r.code == 2, "exit " + std::to_string(r.code) + ": " + r.err);
  QVERIFY2(r.err.find("broken.nsproj") != std::string::npos, "message: " + r.err);
  r = runCli({"render", q(planTemp() + "/missing.nsproj"), "-o", q(planTemp() + "/x.mp4")});
  QVERIFY2(r.code == 2 && r.err.find("missing.nsproj") != std::string::npos, r.err);
  QVERIFY(!fs::exists(planTemp() + "/x.mp4"));
}

void TstCliPlan::renderWritesMp4() {
  const std::string out = planTemp() + "/render.mp4", sk = planTemp() + "/render_sketch.mp4";
  Run r = runCli({"--json", "render", q(example("red_ball_on_grass.nsproj")), "-o", q(out), "--steps", "4",
                         "--ratio", "0.7", "--sketch-out", q(sk)});
  QVERIFY2(r.code == 0, "exit " + std::to_string(r.code) + ": " + r.err);
  auto j = nlohmann::json::parse(r.out);
  QCOMPARE(j["frames"].get<int>(), 16);
  QCOMPARE(j["steps"].get<int>(), 4);
  auto clip = ns::media::readVideo(out);
  QVERIFY2(clip.ok(), clip.ok() ? "" : clip.error().message);
  QCOMPARE(int(clip->frames.size(0)), 16);
  QVERIFY(fs::exists(sk));
}

void TstCliPlan::evalLayoutPrintsRows() {
  Run r = runCli({"--json", "eval", "layout", "--layouts", "1", "--frames", "2", "--steps", "3", "--ratios", "0.7"});
  QVERIFY2(r.code == 0, "exit " + std::to_string(r.code) + ": " + r.err);
  auto j = nlohmann::json::parse(r.out);
  QCOMPARE(int(j["rows"].size()), 2);
  QCOMPARE(j["rows"][0]["setting"].get<std::string>(), std::string("plain"));
  const int samples = j["rows"][1]["samples"].get<int>();
  QVERIFY2(samples >= 2 && samples <= 4, "1 layout × 2 frames × 1-2 objects, got " + std::to_string(samples));
  const double iou = j["rows"][1]["mean_iou"].get<double>();
  QVERIFY(iou >= 0.0 && iou <= 1.0);
  r = runCli({"eval", "layout", "--ratios", "0.7,abc"});
  QCOMPARE(r.code, 2);
}

NS_REGISTER_TEST(TstCliPlan, initTestCase, sketchWritesProjectFrameCount, corruptProjectExitsTwoNamingFile, renderWritesMp4,
                 evalLayoutPrintsRows, cleanupTestCase)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_cli_plan.moc"
#endif
