// Tests core/plan/project.h: JSON round trip through files, the v0 -> v1 migration, every kind of
// validation error with its field path, atomic save with backup and an interrupted save, a failed
// load that leaves the document untouched, relative paths, prompt and layout helpers.
#include "tests/support/ns_test.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/plan/project.h"
#include "core/util/atomic_file.h"

namespace fs = std::filesystem;

namespace {

ns::Keyframe key(int frame, float x0, float y0, float x1, float y1, double rot = 0,
                 ns::Easing e = ns::Easing::Linear) {
  ns::Keyframe k;
  k.frame = frame;
  k.box = ns::NormBox{x0, y0, x1, y1};
  k.rotationDeg = rot;
  k.easing = e;
  return k;
}

ns::Project sampleProject() {
  ns::Project p;
  p.width = 64;
  p.height = 48;
  p.fps = 12;
  p.frames = 24;
  p.prompt = "on grass";
  p.negativePrompt = "blurry";
  p.seed = 12345678901234ull;
  p.model = "builtin";
  p.background.kind = ns::BackgroundKind::Gradient;
  p.background.colour = ns::Rgb8{0x33, 0xaa, 0x55};
  p.background.colour2 = ns::Rgb8{0x10, 0x20, 0x30};
  p.background.direction = ns::GradientDirection::Horizontal;
  ns::ProjectObject ball;
  ball.id = "ball";
  ball.prompt = "a red ball";
  ball.z = 1;
  ball.source.kind = ns::SourceKind::BuiltinShape;
  ball.source.shape = "ball";
  ball.source.colour = "red";
  ball.trajectory.setInterpolation(ns::Interpolation::CatmullRom);
  ball.trajectory.setKey(key(0, 0.1f, 0.5f, 0.3f, 0.7f, 0, ns::Easing::EaseInOut));
  ball.trajectory.setKey(key(12, 0.4f, 0.3f, 0.6f, 0.5f, 180));
  ball.trajectory.setKey(key(23, 0.7f, 0.5f, 0.9f, 0.7f, 360, ns::Easing::EaseOut));
  ns::ProjectObject cat;
  cat.id = "cat";
  cat.prompt = "";
  cat.z = 0;
  cat.source.kind = ns::SourceKind::CutOut;
  cat.source.path = "media/cat.png";
  cat.source.sourceBox = ns::NormBox{0.25f, 0.125f, 0.75f, 0.9f};
  cat.trajectory.setKey(key(5, 0.2f, 0.2f, 0.5f, 0.5f, -12.5));
  p.objects = {ball, cat};
  p.noise.kind = ns::NoiseKind::FreeNoise;
  p.noise.degradation = 0.25;
  p.noise.window = 8;
  p.noise.stride = 2;
  p.render.steps = 40;
  p.render.cfg = 5.5;
  p.render.noiseRatio = 0.65;
  p.render.method = ns::InitMethod::DdimInversion;
  p.inversion.skip = 10;
  p.inversion.cfgSource = 2;
  p.inversion.cfgTarget = 9;
  return p;
}

std::string tempDir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("ns_tst_project_" + std::to_string(::getpid())) / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d.string();
}

void writeText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string readText(const std::string& path) {
  auto r = ns::readFileBytes(path);
  return r.ok() ? r.value() : std::string("<unreadable: ") + r.error().message + ">";
}

// A valid current-schema project text with one object, used to inject single errors.
const char* kValid = R"({
  "schema_version": 1,
  "canvas": {"width": 64, "height": 64},
  "fps": 8,
  "frames": 24,
  "prompt": "on grass",
  "seed": 7,
  "model": "builtin",
  "background": {"kind": "colour", "colour": "#3a8f3a"},
  "objects": [
    {"id": "a", "source": {"kind": "shape", "shape": "box", "colour": "blue"},
     "trajectory": {"keyframes": [{"frame": 0, "box": [0.1, 0.1, 0.3, 0.3]}]}},
    {"id": "b", "prompt": "a red ball", "source": {"kind": "shape", "shape": "ball", "colour": "red"},
     "trajectory": {"interpolation": "catmull_rom", "keyframes": [
        {"frame": 0, "box": [0.1, 0.5, 0.3, 0.7]},
        {"frame": 10, "box": [0.4, 0.5, 0.6, 0.7], "easing": "ease_in"},
        {"frame": 20, "box": [0.7, 0.5, 0.9, 0.7], "rotation_deg": 90}]}}
  ]
})";

std::string replaced(std::string s, const std::string& from, const std::string& to) {
  const size_t at = s.find(from);
  if (at == std::string::npos) return "<pattern not found: " + from + ">";
  return s.replace(at, from.size(), to);
}

// Loads `text` and returns the error message ("" when it loaded).
std::string loadError(const std::string& text, const ns::ProjectLoadOptions& opt = {}) {
  auto r = ns::Project::fromJsonText(text, opt, "t.nsproj");
  return r.ok() ? std::string() : r.error().message;
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

}  // namespace

class TstProject : public QObject {
  Q_OBJECT
 private slots:
  void jsonRoundTripThroughFile();
  void migratesVersion0();
  void validationErrorsNameTheField();
  void unknownModelRefused();
  void saveKeepsBackupAndSurvivesInterruptedSave();
  void failedLoadLeavesProjectUntouched();
  void relativePathsFollowTheProjectFile();
  void promptsAndLayout();
};

void TstProject::jsonRoundTripThroughFile() {
  const std::string dir = tempDir("roundtrip");
  const std::string path = dir + "/p.nsproj";
  ns::Project p = sampleProject();
  const std::string before = p.toJsonText();
  auto saved = p.save(path);
  QVERIFY2(saved.ok(), saved.ok() ? "" : saved.error().message);
  QCOMPARE(readText(path), before);  // the file is exactly the JSON text
  ns::Project q;
  auto loaded = q.load(path);
  QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().message);
  QCOMPARE(q.toJsonText(), before);
  QCOMPARE(q.filePath, path);
  // Values survive, including a 64-bit seed, floats written in their shortest form and the enums.
  QVERIFY(q.seed == 12345678901234ull);
  QCOMPARE(q.objects.size(), size_t(2));
  QVERIFY(q.objects[0].trajectory == p.objects[0].trajectory);
  QVERIFY(q.objects[1].source.sourceBox.y0 == 0.125f);
  QVERIFY(q.background.direction == ns::GradientDirection::Horizontal);
  QVERIFY(q.render.method == ns::InitMethod::DdimInversion);
  QVERIFY2(contains(before, "0.125,") && contains(before, "0.1,") && !contains(before, "0.1000000"),
           "boxes are written in shortest float form");
  // Saving the loaded project again gives the same bytes.
  QVERIFY(q.save(path).ok());
  QCOMPARE(readText(path), before);
}

void TstProject::migratesVersion0() {
  // Version 0: no schema_version, canvas size and the noise ratio at the top level.
  const std::string v0 = R"({"width": 48, "height": 32, "ratio": 0.55, "fps": 8, "frames": 4,
    "prompt": "in the night sky", "seed": 3, "model": "builtin",
    "background": {"kind": "colour", "colour": "#101030"}, "objects": []})";
  const std::string dir = tempDir("migrate");
  writeText(dir + "/old.nsproj", v0);
  ns::Project p;
  auto r = p.load(dir + "/old.nsproj");
  QVERIFY2(r.ok(), r.ok() ? "" : r.error().message);
  QCOMPARE(p.width, 48);
  QCOMPARE(p.height, 32);
  QVERIFY2(std::fabs(p.render.noiseRatio - 0.55) < 1e-12, std::to_string(p.render.noiseRatio));
  QCOMPARE(p.render.steps, 30);  // defaults fill what v0 did not have
  const std::string text = p.toJsonText();
  QVERIFY(contains(text, "\"schema_version\": 1"));
  QVERIFY(!contains(text, "\"ratio\""));
  // A v0 file that already has the v1 field is contradictory and refused.
  const std::string clash = replaced(v0, "\"ratio\": 0.55", "\"ratio\": 0.55, \"render\": {\"noise_ratio\": 0.3}");
  QVERIFY2(contains(loadError(clash), "ratio: a version 0 file cannot have both"), loadError(clash));
  // Files from the future are refused with a clear message.
  const std::string future = replaced(kValid, "\"schema_version\": 1", "\"schema_version\": 7");
  QVERIFY2(contains(loadError(future), "schema_version: 7 is newer than this NoiseStudio understands (1)"), loadError(future));
}

void TstProject::validationErrorsNameTheField() {
  QCOMPARE(loadError(kValid), std::string());
  struct Case {
    std::string from, to, expect;
  };
  const Case cases[] = {
      // missing field
      {"\"frames\": 24,", "", "t.nsproj: frames: missing"},
      {"{\"id\": \"a\", ", "{", "objects[0].id: missing"},
      // wrong type
      {"\"fps\": 8", "\"fps\": \"fast\"", "fps: expected a number, got the string \"fast\""},
      {"\"frames\": 24", "\"frames\": 2.5", "frames: expected a whole number, got the number 2.5"},
      {"\"box\": [0.1, 0.1, 0.3, 0.3]", "\"box\": [0.1, 0.1, 0.3]", "objects[0].trajectory.keyframes[0].box: expected [x0, y0, x1, y1]"},
      // frame out of range
      {"\"frame\": 20", "\"frame\": 40", "objects[1].trajectory.keyframes[2].frame: 40 is outside 0..23"},
      // keys out of order
      {"\"frame\": 10", "\"frame\": 0", "objects[1].trajectory.keyframes[1].frame: 0 must be greater than the previous keyframe's frame (0)"},
      // bad names and values
      {"\"easing\": \"ease_in\"", "\"easing\": \"bouncy\"", "objects[1].trajectory.keyframes[1].easing: \"bouncy\" is not one of"},
      {"\"shape\": \"box\"", "\"shape\": \"dragon\"", "objects[0].source.shape: \"dragon\" is not a built-in shape"},
      {"\"colour\": \"#3a8f3a\"", "\"colour\": \"green\"", "background.colour: \"green\" is not a colour like"},
      {"[0.4, 0.5, 0.6, 0.7]", "[0.6, 0.5, 0.4, 0.7]", "objects[1].trajectory.keyframes[1].box: x0 (0.6) must be less than x1 (0.4)"},
      {"\"id\": \"b\"", "\"id\": \"a\"", "objects[1].id: \"a\" is used by another object too"},
      {"\"width\": 64", "\"width\": 3", "canvas.width: 3 is outside 8..8192"},
      // unknown field (typo)
      {"\"seed\": 7", "\"seed\": 7, \"sede\": 8", "sede: unknown field"},
      {"\"keyframes\": [{\"frame\": 0,", "\"keyframes\": [{\"frme\": 0, \"frame\": 0,", "objects[0].trajectory.keyframes[0].frme: unknown field"},
      // not JSON at all
      {"\"seed\": 7,", "\"seed\": 7,,", "t.nsproj: not valid JSON"},
  };
  for (const Case& c : cases) {
    const std::string text = replaced(kValid, c.from, c.to);
    QVERIFY2(!contains(text, "<pattern not found"), text);
    const std::string err = loadError(text);
    QVERIFY2(contains(err, c.expect), "expected \"" + c.expect + "\" in \"" + err + "\"");
  }
  // Several problems are reported together.
  const std::string two = replaced(replaced(kValid, "\"fps\": 8", "\"fps\": null"), "\"seed\": 7", "\"seed\": -1");
  const std::string err = loadError(two);
  QVERIFY2(contains(err, "fps: expected a number, got null") && contains(err, "seed: -1 is negative"), err);
  // The same checks work on an edited Project value.
  ns::Project p = sampleProject();
  p.objects[0].trajectory.setKey(key(30, 0.1f, 0.1f, 0.2f, 0.2f));
  auto v = p.validate();
  QVERIFY(!v.ok());
  QVERIFY2(contains(v.error().message, "objects[0].trajectory.keyframes[3].frame: 30 is outside 0..23"), v.error().message);
  p = sampleProject();
  p.render.noiseRatio = 0;
  QVERIFY2(contains(p.validate().error().message, "render.noise_ratio: 0 is outside (0, 1]"), p.validate().error().message);
}

void TstProject::unknownModelRefused() {
  ns::ProjectLoadOptions opt;
  opt.knownModels = {"builtin", "sd15"};
  QCOMPARE(loadError(kValid, opt), std::string());
  const std::string other = replaced(kValid, "\"model\": \"builtin\"", "\"model\": \"sd-xl\"");
  const std::string err = loadError(other, opt);
  QVERIFY2(contains(err, "model: \"sd-xl\" is not an installed model (installed: builtin, sd15)"), err);
  QCOMPARE(loadError(other), std::string());  // no list given: any id is accepted
}

void TstProject::saveKeepsBackupAndSurvivesInterruptedSave() {
  const std::string dir = tempDir("atomic");
  const std::string path = dir + "/p.nsproj";
  ns::Project p = sampleProject();
  p.prompt = "on grass first";
  QVERIFY(p.save(path).ok());
  QVERIFY(!fs::exists(ns::backupPath(path)));  // nothing to back up the first time
  p.prompt = "on grass second";
  QVERIFY(p.save(path).ok());
  QVERIFY2(contains(readText(ns::backupPath(path)), "on grass first"), "backup holds the previous version");
  QVERIFY(contains(readText(path), "on grass second"));
  QVERIFY(!fs::exists(ns::atomicTempPath(path)));

  // A save interrupted after writing (part of) the temp file and before the rename.
  p.prompt = "on grass third";
  const std::string full = p.toJsonText();
  writeText(ns::atomicTempPath(path), full.substr(0, full.size() / 2));
  ns::Project q;
  auto r = q.load(path);
  QVERIFY2(r.ok(), r.ok() ? "" : r.error().message);
  QCOMPARE(q.prompt, std::string("on grass second"));
  // The next save replaces the stray temp file and succeeds.
  QVERIFY(p.save(path).ok());
  QVERIFY(!fs::exists(ns::atomicTempPath(path)));
  QVERIFY(contains(readText(path), "on grass third"));
  QVERIFY(contains(readText(ns::backupPath(path)), "on grass second"));
  // Invalid projects are not written.
  p.frames = 0;
  auto bad = p.save(path);
  QVERIFY(!bad.ok());
  QVERIFY2(contains(bad.error().message, "frames: 0 is outside 1..100000"), bad.error().message);
  QVERIFY(contains(readText(path), "on grass third"));
}

void TstProject::failedLoadLeavesProjectUntouched() {
  const std::string dir = tempDir("failed");
  ns::Project p = sampleProject();
  QVERIFY(p.save(dir + "/good.nsproj").ok());
  const std::string before = p.toJsonText();
  const std::string beforePath = p.filePath;
  // Valid JSON whose last object is broken: parsing got far before failing.
  writeText(dir + "/bad.nsproj", replaced(kValid, "\"frame\": 20", "\"frame\": 99"));
  auto r = p.load(dir + "/bad.nsproj");
  QVERIFY(!r.ok());
  QVERIFY2(contains(r.error().message, dir + "/bad.nsproj: objects[1].trajectory.keyframes[2].frame: 99"), r.error().message);
  QCOMPARE(p.toJsonText(), before);
  QCOMPARE(p.filePath, beforePath);
  auto missing = p.load(dir + "/nope.nsproj");
  QVERIFY(!missing.ok());
  QVERIFY2(contains(missing.error().message, "nope.nsproj: file not found"), missing.error().message);
  QCOMPARE(p.toJsonText(), before);
}

void TstProject::relativePathsFollowTheProjectFile() {
  const std::string dir = tempDir("paths");
  ns::Project p = sampleProject();  // cat.png is "media/cat.png"
  QVERIFY(p.save(dir + "/a.nsproj").ok());
  QCOMPARE(p.resolvePath(p.objects[1].source.path), (fs::path(dir) / "media/cat.png").string());
  QCOMPARE(p.resolvePath("/abs/x.png"), std::string("/abs/x.png"));
  // Save into a sub folder: the stored path changes so it still names the same file.
  fs::create_directories(dir + "/sub");
  QVERIFY(p.save(dir + "/sub/b.nsproj").ok());
  QCOMPARE(p.objects[1].source.path, std::string("../media/cat.png"));
  QCOMPARE(p.resolvePath(p.objects[1].source.path), (fs::path(dir) / "media/cat.png").string());
  ns::Project q;
  QVERIFY(q.load(dir + "/sub/b.nsproj").ok());
  QCOMPARE(q.resolvePath(q.objects[1].source.path), (fs::path(dir) / "media/cat.png").string());
  // An absolute path inside the project folder is stored relative (the folder stays portable).
  q.background.kind = ns::BackgroundKind::ImageFile;
  q.background.path = dir + "/sub/bg/sky.png";
  QVERIFY(q.save(dir + "/sub/b.nsproj").ok());
  QCOMPARE(q.background.path, std::string("bg/sky.png"));
  QVERIFY(contains(readText(dir + "/sub/b.nsproj"), "\"path\": \"bg/sky.png\""));
  // Absolute paths outside the folder stay absolute.
  q.background.path = "/elsewhere/sky.png";
  QVERIFY(q.save(dir + "/sub/b.nsproj").ok());
  QCOMPARE(q.background.path, std::string("/elsewhere/sky.png"));
}

void TstProject::promptsAndLayout() {
  ns::Project p = sampleProject();
  p.objects.resize(1);  // the red ball
  QCOMPARE(ns::fullPrompt(p), std::string("a red ball on grass"));
  ns::ProjectObject box = p.objects[0];
  box.id = "box";
  box.prompt = "";
  box.source.shape = "box";
  box.source.colour = "blue";
  box.z = 5;
  p.objects.push_back(box);
  QCOMPARE(ns::objectPrompt(p.objects[1]), std::string("a blue box"));
  QCOMPARE(ns::fullPrompt(p), std::string("a red ball and a blue box on grass"));
  p.objects[1].z = -1;  // now behind the ball: back-to-front order changes
  QCOMPARE(ns::fullPrompt(p), std::string("a blue box and a red ball on grass"));
  p.prompt = "a sunny day";
  QCOMPARE(ns::fullPrompt(p), std::string("a blue box and a red ball, a sunny day"));
  p.prompt = "a red ball bouncing on grass";
  QCOMPARE(ns::fullPrompt(p), std::string("a blue box, a red ball bouncing on grass"));

  // layoutAt: back to front, boxes from the trajectories (rotation 0 keeps the box itself).
  ns::Project l = sampleProject();
  l.objects[0].trajectory = ns::Trajectory();
  l.objects[0].trajectory.setKey(key(0, 0.1f, 0.2f, 0.3f, 0.4f));
  l.objects[0].trajectory.setKey(key(10, 0.5f, 0.2f, 0.7f, 0.4f));
  auto layout = l.layoutAt(5);
  QCOMPARE(layout.size(), size_t(2));
  QCOMPARE(layout[1].shape, std::string("ball"));  // z=1: in front, listed last
  QCOMPARE(layout[1].colour, std::string("red"));
  QVERIFY2(std::fabs(layout[1].box.x0 - 0.3f) < 1e-6 && std::fabs(layout[1].box.x1 - 0.5f) < 1e-6,
           std::to_string(layout[1].box.x0) + ".." + std::to_string(layout[1].box.x1));
  // A 90° turn of a 0.2×0.2 box on a 64×48 canvas: 12.8×9.6 px becomes 9.6 wide, 12.8 tall.
  l.objects[0].trajectory = ns::Trajectory();
  l.objects[0].trajectory.setKey(key(0, 0.4f, 0.4f, 0.6f, 0.6f, 90));
  const ns::NormBox b = l.layoutAt(0)[1].box;
  QVERIFY2(std::fabs(b.width() * 64 - 9.6) < 1e-3 && std::fabs(b.height() * 48 - 12.8) < 1e-3,
           std::to_string(b.width() * 64) + " x " + std::to_string(b.height() * 48));
  // Off-canvas objects are left out.
  l.objects[0].trajectory = ns::Trajectory();
  l.objects[0].trajectory.setKey(key(0, 1.2f, 0.4f, 1.4f, 0.6f));
  QCOMPARE(l.layoutAt(0).size(), size_t(1));
}

NS_REGISTER_TEST(TstProject, jsonRoundTripThroughFile, migratesVersion0, validationErrorsNameTheField,
                 unknownModelRefused, saveKeepsBackupAndSurvivesInterruptedSave, failedLoadLeavesProjectUntouched,
                 relativePathsFollowTheProjectFile, promptsAndLayout)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_project.moc"
#endif
