// Tests `noisestudio-cli info [FILE]` (issue #19 item 3): without a file it prints the versions;
// with a PNG the CLI wrote (sketch/render/generate) it prints the embedded project or recipe,
// and the project equals the one rendered; a video's sidecar is read the same way; a PNG without
// metadata says so; damaged metadata is a note with exit 0 and the image still described; an
// unreadable file exits 2.
#include "tests/support/ns_test.h"

#include "tests/app/cli_test_util.h"

#include <nlohmann/json.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/media/image_io.h"
#include "core/media/result_metadata.h"
#include "core/plan/project.h"

namespace fs = std::filesystem;

namespace {
std::string tempRoot() { return (fs::temp_directory_path() / ("ns_tst_cli_info_" + std::to_string(::getpid()))).string(); }
std::string tmp(const std::string& name) { return (fs::path(tempRoot()) / name).string(); }
std::string example() { return std::string(NS_SOURCE_DIR) + "/examples/red_ball_on_grass.nsproj"; }
bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
using clitest::Run;
using clitest::runCli;
using clitest::q;

std::string readAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The project JSON `info --json` printed, in the project file's own text.
std::string projectTextOf(const nlohmann::json& info) {
  auto p = ns::Project::fromJsonText(info.at("metadata").at("project").dump());
  return p.ok() ? p->toJsonText() : "invalid: " + p.error().message;
}
}  // namespace

class TstCliInfo : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase();
  void cleanupTestCase();
  void withoutAFileItPrintsVersions();
  void sketchPngsCarryTheProject();
  void renderedVideoHasASidecar();
  void generateRecipe();
  void plainAndDamagedMetadata();
  void unreadableFilesExitTwo();
};

void TstCliInfo::initTestCase() {
  fs::remove_all(tempRoot());
  fs::create_directories(tempRoot());
}

void TstCliInfo::cleanupTestCase() { fs::remove_all(tempRoot()); }

void TstCliInfo::withoutAFileItPrintsVersions() {
  Run r = runCli({"info"});
  QCOMPARE(r.code, 0);
  QVERIFY2(contains(r.out, "NoiseStudio ") && contains(r.out, "LibTorch"), r.out);
  r = runCli({"info", "--json"});
  QCOMPARE(r.code, 0);
  QVERIFY(nlohmann::json::parse(r.out).contains("torch"));
}

void TstCliInfo::sketchPngsCarryTheProject() {
  // `sketch` needs no model: every PNG of the sequence remembers the project and its frame.
  Run s = runCli({"sketch", q(example()), "-o", q(tmp("sk/frame.png"))});
  QVERIFY2(s.code == 0, s.err);
  auto expected = ns::Project::open(example());
  QVERIFY(expected.ok());
  const std::string want = ns::media::projectMetadata(*expected).json;
  for (int f : {0, 5}) {
    const std::string png = tmp(f == 0 ? "sk/frame_0000.png" : "sk/frame_0005.png");
    Run r = runCli({"info", q(png), "--json"});
    QVERIFY2(r.code == 0, r.out + r.err);
    const auto j = nlohmann::json::parse(r.out);
    QCOMPARE(j.at("metadata").at("kind").get<std::string>(), std::string("project"));
    QCOMPARE(j.at("metadata").at("frame").get<int>(), f);
    QCOMPARE(j.at("image").at("width").get<int>(), expected->width);
    QCOMPARE(projectTextOf(j), want);
    QVERIFY(j.at("notes").empty());
  }
  Run text = runCli({"info", q(tmp("sk/frame_0000.png"))});
  QCOMPARE(text.code, 0);
  QVERIFY2(contains(text.out, "PNG image, 64x64") && contains(text.out, "made by NoiseStudio: project") &&
               contains(text.out, "Seed: " + std::to_string(expected->seed)) &&
               contains(text.out, "\"schema_version\": 1"),
           text.out);
}

void TstCliInfo::renderedVideoHasASidecar() {
  Run r = runCli({"render", q(example()), "--steps", "2", "--ratio", "0.6", "-o", q(tmp("clip.mp4"))});
  QVERIFY2(r.code == 0, r.err);
  QVERIFY(fs::is_regular_file(tmp("clip.mp4.nsproj")));
  // The sidecar is a project file in its own right, with the command line's overrides in it.
  auto side = ns::Project::open(tmp("clip.mp4.nsproj"));
  QVERIFY2(side.ok(), side.ok() ? "" : side.error().message);
  QCOMPARE(side->render.steps, 2);
  QCOMPARE(side->render.noiseRatio, 0.6);
  Run info = runCli({"info", q(tmp("clip.mp4")), "--json"});
  QVERIFY2(info.code == 0, info.out + info.err);
  const auto j = nlohmann::json::parse(info.out);
  QCOMPARE(j.at("metadata").at("from").get<std::string>(), tmp("clip.mp4.nsproj"));
  QCOMPARE(projectTextOf(j), readAll(tmp("clip.mp4.nsproj")));
}

void TstCliInfo::generateRecipe() {
  Run g = runCli({"generate", "-p", "a red ball on grass", "--steps", "2", "--seed", "11", "--cfg", "3.5", "-o", q(tmp("g.png"))});
  QVERIFY2(g.code == 0, g.err);
  Run r = runCli({"info", q(tmp("g.png")), "--json"});
  QVERIFY2(r.code == 0, r.out + r.err);
  const auto j = nlohmann::json::parse(r.out);
  const auto& recipe = j.at("metadata").at("recipe");
  QCOMPARE(recipe.at("verb").get<std::string>(), std::string("generate"));
  QCOMPARE(recipe.at("prompt").get<std::string>(), std::string("a red ball on grass"));
  QCOMPARE(recipe.at("seed").get<int>(), 11);
  QCOMPARE(recipe.at("steps").get<int>(), 2);
  QCOMPARE(recipe.at("cfg").get<double>(), 3.5);
  QVERIFY2(contains(j.at("parameters").get<std::string>(), "Seed: 11"), r.out);
}

void TstCliInfo::plainAndDamagedMetadata() {
  at::manual_seed(0);
  const std::string plain = tmp("plain.png");
  QVERIFY(ns::media::writeImage(plain, at::rand({3, 16, 24}) * 2 - 1).ok());
  Run r = runCli({"info", q(plain)});
  QCOMPARE(r.code, 0);
  QVERIFY2(contains(r.out, "PNG image, 24x16") && contains(r.out, "no NoiseStudio metadata"), r.out);
  r = runCli({"info", q(plain), "--json"});
  QVERIFY(r.code == 0 && nlohmann::json::parse(r.out).at("metadata").is_null());

  // One bit flipped inside the NoiseStudio chunk: CRC mismatch -> a note, the image described.
  Run sk = runCli({"sketch", q(example()), "-o", q(tmp("one/frame.png"))});
  QVERIFY2(sk.code == 0, sk.err);
  std::string bytes = readAll(tmp("one/frame_0000.png"));
  const size_t at = bytes.find("iTXtNoiseStudio");
  QVERIFY(at != std::string::npos);
  bytes[at + 60] ^= 0x04;
  const std::string damaged = tmp("damaged.png");
  std::ofstream(damaged, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
  r = runCli({"info", q(damaged)});
  QCOMPARE(r.code, 0);
  QVERIFY2(contains(r.out, "PNG image, 64x64") && contains(r.out, "no readable NoiseStudio metadata"), r.out);
  QVERIFY2(contains(r.err, "note: ") && contains(r.err, damaged) && contains(r.err, "CRC mismatch"), r.err);
  r = runCli({"info", q(damaged), "--json"});
  QCOMPARE(r.code, 0);
  const auto j = nlohmann::json::parse(r.out);
  QVERIFY(j.at("metadata").is_null());
  QCOMPARE(int(j.at("notes").size()), 1);
}

void TstCliInfo::unreadableFilesExitTwo() {
  std::ofstream(tmp("junk.png"), std::ios::binary) << "this is not an image";
  Run r = runCli({"info", q(tmp("junk.png"))});
  QCOMPARE(r.code, 2);
  QVERIFY2(contains(r.err, tmp("junk.png")), r.err);
  r = runCli({"info", q(tmp("missing.png"))});
  QCOMPARE(r.code, 2);
  QVERIFY2(contains(r.err, tmp("missing.png")), r.err);
  r = runCli({"info", q(tmp("junk.png")), "--json"});
  QCOMPARE(r.code, 2);
  QCOMPARE(nlohmann::json::parse(r.out).at("ok").get<bool>(), false);
}

NS_REGISTER_TEST(TstCliInfo, initTestCase, withoutAFileItPrintsVersions, sketchPngsCarryTheProject, renderedVideoHasASidecar,
                 generateRecipe, plainAndDamagedMetadata, unreadableFilesExitTwo, cleanupTestCase)
#ifdef NS_HAVE_QTEST
#include "tst_cli_info.moc"
#endif
