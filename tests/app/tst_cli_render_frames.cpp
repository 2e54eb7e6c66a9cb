// Tests `noisestudio-cli render PROJECT --frames A:B` (app/cli/cmd_plan.cpp, the farm's chunk
// render) through the binary: frames 4..7 rendered alone are byte-for-byte the files of the full
// render (warped noise, and FreeNoise, both computed over the whole clip and sliced), frames
// already complete are skipped and a missing one is redone alone, and bad ranges exit 2.
#include "tests/support/ns_test.h"

#include "tests/app/cli_test_util.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace fs = std::filesystem;

namespace {

using clitest::Run;
using clitest::runCli;
using clitest::q;

std::string framesTemp() {
  return (fs::temp_directory_path() / ("ns_tst_cli_frames_" + std::to_string(::getpid()))).string();
}
std::string example(const char* name) { return (fs::path(NS_SOURCE_DIR) / "examples" / name).string(); }
std::string bytesOf(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
std::string frameFile(const std::string& dir, int f) {
  char name[32];
  std::snprintf(name, sizeof(name), "frame_%04d.png", f);
  return dir + "/" + name;
}

// Renders `project` whole and as frames 4:8 alone; every file of the chunk must equal the full one.
void checkChunkEqualsFull(const std::string& project, const std::string& tag) {
  const std::string full = framesTemp() + "/" + tag + "_full", part = framesTemp() + "/" + tag + "_part";
  Run r = runCli({"render", q(project), "--steps", "4", "-o", q(full + "/frame.png")});
  QVERIFY2(r.code == 0, "full render: exit " + std::to_string(r.code) + ": " + r.err);
  r = runCli({"--json", "render", q(project), "--steps", "4", "--frames", "4:8", "-o", q(part + "/frame.png")});
  QVERIFY2(r.code == 0, "frames 4:8: exit " + std::to_string(r.code) + ": " + r.err);
  auto j = nlohmann::json::parse(r.out);
  QCOMPARE(int(j["written"].size()), 4);
  QCOMPARE(j["skipped"].get<int>(), 0);
  int files = 0;
  for (const auto& e : fs::directory_iterator(part)) files += e.path().extension() == ".png" ? 1 : 0;
  QCOMPARE(files, 4);
  for (int f = 4; f < 8; ++f) {
    const std::string a = bytesOf(frameFile(full, f)), b = bytesOf(frameFile(part, f));
    QVERIFY2(!a.empty() && a == b, tag + ": frame " + std::to_string(f) + " of the chunk differs from the full render");
  }
  // Neighbouring frames differ (the comparison above is not comparing constant pictures).
  QVERIFY(bytesOf(frameFile(full, 4)) != bytesOf(frameFile(full, 5)));
}

}  // namespace

class TstCliRenderFrames : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { fs::create_directories(framesTemp()); }
  void cleanupTestCase() { fs::remove_all(framesTemp()); }
  void chunkEqualsFullRenderWarped();
  void chunkEqualsFullRenderFreeNoise();
  void completeFramesAreSkipped();
  void badRangesExitTwo();
};

void TstCliRenderFrames::chunkEqualsFullRenderWarped() {
  checkChunkEqualsFull(example("red_ball_on_grass.nsproj"), "warped");
}

void TstCliRenderFrames::chunkEqualsFullRenderFreeNoise() {
  std::ifstream in(example("ring_in_the_night_sky.nsproj"));
  nlohmann::json p = nlohmann::json::parse(in);
  p["noise"]["kind"] = "freenoise";
  p["noise"]["window"] = 4;
  p["noise"]["stride"] = 2;
  p["frames"] = 10;
  for (auto& o : p["objects"])
    for (auto& k : o["trajectory"]["keyframes"]) k["frame"] = std::min(k["frame"].get<int>(), 9);
  const std::string path = framesTemp() + "/ring_freenoise.nsproj";
  std::ofstream(path) << p.dump(2);
  checkChunkEqualsFull(path, "freenoise");
}

void TstCliRenderFrames::completeFramesAreSkipped() {
  const std::string dir = framesTemp() + "/skip";
  const std::string project = example("box_and_star_on_the_sea.nsproj");
  Run r = runCli({"render", q(project), "--steps", "3", "--frames", "2:5", "-o", q(dir + "/frame.png")});
  QVERIFY2(r.code == 0, r.err);
  const std::string f3 = bytesOf(frameFile(dir, 3));
  const auto t2 = fs::last_write_time(frameFile(dir, 2));
  // Frame 3 lost, and a stray temp file of a killed write beside it: only frame 3 is rendered again.
  fs::remove(frameFile(dir, 3));
  std::ofstream(frameFile(dir, 3) + ".tmp") << "half a png";
  r = runCli({"--json", "render", q(project), "--steps", "3", "--frames", "2:5", "-o", q(dir + "/frame.png")});
  QVERIFY2(r.code == 0, r.err);
  auto j = nlohmann::json::parse(r.out);
  QCOMPARE(j["skipped"].get<int>(), 2);
  QCOMPARE(int(j["written"].size()), 1);
  QCOMPARE(j["written"][0].get<std::string>(), frameFile(dir, 3));
  QVERIFY(bytesOf(frameFile(dir, 3)) == f3);
  QVERIFY(fs::last_write_time(frameFile(dir, 2)) == t2);
  // A truncated frame is not "complete": it is redone.
  const std::string f4 = bytesOf(frameFile(dir, 4));
  std::ofstream(frameFile(dir, 4), std::ios::trunc) << f4.substr(0, 20);
  // Everything there: nothing rendered (and no model needed).
  r = runCli({"--json", "render", q(project), "--steps", "3", "--frames", "2:5", "-o", q(dir + "/frame.png")});
  QVERIFY2(r.code == 0, r.err);
  j = nlohmann::json::parse(r.out);
  QCOMPARE(j["skipped"].get<int>(), 2);
  QVERIFY(bytesOf(frameFile(dir, 4)) == f4);
  r = runCli({"--json", "render", q(project), "--steps", "3", "--frames", "2:5", "-o", q(dir + "/frame.png")});
  j = nlohmann::json::parse(r.out);
  QCOMPARE(j["skipped"].get<int>(), 3);
  QCOMPARE(int(j["written"].size()), 0);
}

void TstCliRenderFrames::badRangesExitTwo() {
  const std::string project = example("red_ball_on_grass.nsproj");
  const std::string out = framesTemp() + "/bad/frame.png";
  for (const char* range : {"8:4", "0:17", "3", "a:b", "4:4"}) {
    Run r = runCli({"render", q(project), "--frames", range, "-o", q(out)});
    QVERIFY2(r.code == 2, std::string(range) + ": exit " + std::to_string(r.code) + ": " + r.err);
    QVERIFY2(r.err.find("--frames") != std::string::npos, r.err);
  }
  Run r = runCli({"render", q(project), "--frames", "0:2", "-o", q(framesTemp() + "/bad/clip.mp4")});
  QCOMPARE(r.code, 2);
  QVERIFY2(r.err.find("one image per frame") != std::string::npos, r.err);
  QVERIFY(!fs::exists(framesTemp() + "/bad"));
}

NS_REGISTER_TEST(TstCliRenderFrames, initTestCase, chunkEqualsFullRenderWarped, chunkEqualsFullRenderFreeNoise,
                 completeFramesAreSkipped, badRangesExitTwo, cleanupTestCase)
#ifdef NS_HAVE_QTEST
#include "tst_cli_render_frames.moc"
#endif
