// Tests the CLI's side of core/media's one door (issue 18 item 3) through the binary: `info`
// tells pictures from clips with the same extension list as the window's drop (every listed
// extension, .m4v a clip), and the CLI's writes are atomic: a sequence that cannot be completed
// leaves the old frames exactly as they were, with no staging folder left behind.
#include "tests/support/ns_test.h"

#include "tests/app/cli_test_util.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/media/media_kind.h"

namespace fs = std::filesystem;

namespace {

using clitest::q;
using clitest::Run;
using clitest::runCli;

std::string doorTemp() { return (fs::temp_directory_path() / ("ns_tst_cli_door_" + std::to_string(::getpid()))).string(); }
std::string example(const char* name) { return (fs::path(NS_SOURCE_DIR) / "examples" / name).string(); }
std::string readBytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

class TstCliMediaDoor : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { fs::create_directories(doorTemp()); }
  void cleanupTestCase() { fs::remove_all(doorTemp()); }
  void infoUsesTheMediaExtensionList();
  void failedSequenceWriteKeepsTheOldFrames();
};

void TstCliMediaDoor::infoUsesTheMediaExtensionList() {
  const std::string png = nstest::dataDir() + "/astronaut_64.png";
  int checked = 0;
  for (const auto* list : {&ns::media::imageExtensions(), &ns::media::videoExtensions()}) {
    const bool video = list == &ns::media::videoExtensions();
    for (const std::string& e : *list) {
      // A picture's bytes under every name: the extension alone decides what `info` looks for.
      const std::string f = doorTemp() + "/sample" + e;
      fs::copy_file(png, f, fs::copy_options::overwrite_existing);
      Run r = runCli({"info", q(f), "--json"});
      QVERIFY2(r.code == 0, (e + ": exit " + std::to_string(r.code) + ": " + r.err).c_str());
      const auto j = nlohmann::json::parse(r.out);
      QVERIFY2(j["image"]["kind"] == (video ? "video" : "image"), (e + ": " + r.out).c_str());
      ++checked;
    }
  }
  QVERIFY(checked >= 15);
}

void TstCliMediaDoor::failedSequenceWriteKeepsTheOldFrames() {
  const std::string dir = doorTemp() + "/frames";
  Run r = runCli({"sketch", q(example("red_ball_on_grass.nsproj")), "-o", q(dir + "/frame.png")});
  QVERIFY2(r.code == 0, r.err.c_str());
  QVERIFY(fs::exists(dir + "/frame_0015.png"));
  std::vector<std::string> before;
  for (int i = 0; i < 9; ++i) before.push_back(readBytes(dir + "/frame_000" + std::to_string(i) + ".png"));
  // Frame 9's name taken by a folder: the new sketch (another plan, other pixels) cannot complete.
  fs::remove(dir + "/frame_0009.png");
  fs::create_directories(dir + "/frame_0009.png");
  r = runCli({"sketch", q(example("box_and_star_on_the_sea.nsproj")), "-o", q(dir + "/frame.png")});
  QVERIFY2(r.code != 0, "the write should have failed");
  QVERIFY2(r.err.find("frame_0009.png") != std::string::npos, r.err.c_str());
  for (int i = 0; i < 9; ++i)
    QVERIFY2(readBytes(dir + "/frame_000" + std::to_string(i) + ".png") == before[size_t(i)],
             ("frame " + std::to_string(i) + " was replaced by a write that failed").c_str());
  for (const auto& e : fs::directory_iterator(dir))
    QVERIFY2(e.path().filename().string().rfind(".ns-export-", 0) != 0, e.path().c_str());
  // With the name free again the whole new sequence goes in.
  fs::remove(dir + "/frame_0009.png");
  r = runCli({"sketch", q(example("box_and_star_on_the_sea.nsproj")), "-o", q(dir + "/frame.png")});
  QVERIFY2(r.code == 0, r.err.c_str());
  QVERIFY(readBytes(dir + "/frame_0000.png") != before[0]);
}

NS_REGISTER_TEST(TstCliMediaDoor, initTestCase, cleanupTestCase, infoUsesTheMediaExtensionList,
                 failedSequenceWriteKeepsTheOldFrames)
#ifdef NS_HAVE_QTEST
#include "tst_cli_media_door.moc"
#endif
