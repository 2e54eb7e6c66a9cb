// The video verbs on the command line (issue 16 item 4): render / invert / edit / interpolate take
// --context-length/--context-overlap/--context-stride/--context-fusion/--context-loop and they reach
// the engine. With the tiny SD 1.x model + tiny v3 motion module: a render in windows of 4 differs
// from the one-window render, FreeNoise from averaging, looping from not; settings no window can
// have are refused naming the field (exit 2) by render and invert. With the built-in model: a clip
// inverts and edits back, and interpolating two clips writes steps x frames images (clip_frames).
#include "tests/support/ns_test.h"

#include "tests/app/cli_test_util.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/media/image_io.h"
#include "core/media/video_codec.h"
#include "core/media/video_io.h"

namespace fs = std::filesystem;

namespace {
std::string tempRoot() {
  return (fs::temp_directory_path() / ("ns_tst_cli_video_verbs_" + std::to_string(::getpid()))).string();
}
std::string sdData(const std::string& n) { return nstest::dataDir() + "/sd/" + n; }
std::string motionData(const std::string& n) { return nstest::dataDir() + "/motion/" + n; }
using clitest::q;
using clitest::Run;
using clitest::runCli;

QStringList tinyVideo() {
  return {"--unet-heads", "2", "--text-heads", "2", "--tokenizer", q(sdData("tokenizer_tiny")), "--motion-module",
          q(motionData("mm_tiny_v3.safetensors")), "--model", q(sdData("sd1_tiny.safetensors"))};
}
bool contains(const std::string& s, const std::string& p) { return s.find(p) != std::string::npos; }

// 6 frames of a ball moving right, 32x32, 3 steps: small enough for a quick CPU run.
std::string writeProject() {
  const std::string path = tempRoot() + "/ball.nsproj";
  std::ofstream(path) << R"({"schema_version": 1, "canvas": {"width": 32, "height": 32}, "fps": 8, "frames": 6,
    "prompt": "a red ball", "seed": 3, "model": "builtin", "background": {"kind": "colour", "colour": "#80a060"},
    "objects": [{"id": "ball", "prompt": "a red ball", "z": 0, "source": {"kind": "shape", "shape": "ball", "colour": "red"},
      "trajectory": {"interpolation": "linear", "keyframes": [{"frame": 0, "box": [0.05, 0.3, 0.4, 0.7]},
                                                              {"frame": 5, "box": [0.55, 0.3, 0.9, 0.7]}]}}],
    "render": {"steps": 3, "cfg": 2.0, "noise_ratio": 0.7}})";
  return path;
}

at::Tensor readFrames(const std::string& stem, int count) {
  std::vector<at::Tensor> frames;
  for (int f = 0; f < count; ++f) {
    char name[64];
    std::snprintf(name, sizeof name, "_%04d.png", f);
    auto img = ns::media::readImage(stem + name);
    if (!img.ok()) throw std::runtime_error(img.error().message);
    frames.push_back(*img);
  }
  return at::stack(frames);
}

// A lossless 4-frame clip (a gradient drifting by 2 px per frame) for invert / interpolate.
std::string writeClip(const std::string& name, double phase) {
  const std::string path = tempRoot() + "/" + name;
  const at::Tensor x = at::linspace(-1, 1, 48).reshape({1, 1, 1, 48});
  std::vector<at::Tensor> frames;
  for (int f = 0; f < 4; ++f)
    frames.push_back(at::cat({at::sin(x * 3 + phase + 0.2 * f).expand({1, 1, 48, 48}), x.transpose(2, 3).expand({1, 1, 48, 48}),
                              at::cos(x * 2 - phase).expand({1, 1, 48, 48})}, 1));
  auto w = ns::media::writeVideo(path, at::cat(frames).clamp(-1, 1), 8.0, nullptr, ns::media::VideoCodec::Ffv1);
  if (!w.ok()) throw std::runtime_error(w.error().message);
  return path;
}
}  // namespace

class TstCliVideoVerbs : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase();
  void cleanupTestCase() { fs::remove_all(tempRoot()); }
  void renderTakesContextWindowFlags();
  void invertEditAndInterpolateClips();
};

void TstCliVideoVerbs::initTestCase() {
  fs::remove_all(tempRoot());
  fs::create_directories(tempRoot());
}

void TstCliVideoVerbs::renderTakesContextWindowFlags() {
  const std::string project = writeProject();
  auto render = [&](const std::string& name, const QStringList& flags) {
    return runCli(tinyVideo() + QStringList{"--json", "render", q(project), "-o", q(tempRoot() + "/" + name + ".png")} + flags);
  };
  Run plain = render("plain", {});
  QVERIFY2(plain.code == 0, plain.err.c_str());
  QCOMPARE(nlohmann::json::parse(plain.out).at("frames").get<int>(), 6);
  Run freeNoise = render("freenoise", {"--context-length", "4", "--context-overlap", "2"});
  QVERIFY2(freeNoise.code == 0, freeNoise.err.c_str());
  Run average = render("average", {"--context-length", "4", "--context-overlap", "2", "--context-fusion", "average"});
  QVERIFY2(average.code == 0, average.err.c_str());
  Run looped = render("loop", {"--context-length", "4", "--context-stride", "2", "--context-loop"});
  QVERIFY2(looped.code == 0, looped.err.c_str());
  const at::Tensor a = readFrames(tempRoot() + "/plain", 6), b = readFrames(tempRoot() + "/freenoise", 6),
                   c = readFrames(tempRoot() + "/average", 6), d = readFrames(tempRoot() + "/loop", 6);
  const double windowsVsPlain = (a - b).abs().max().item<double>(), fusionVsAverage = (b - c).abs().max().item<double>();
  const double loopVsOpen = (d - b).abs().max().item<double>();
  qInfo("8-bit frames: windows vs one window %.3g, FreeNoise vs averaging %.3g, looping vs not %.3g", windowsVsPlain,
        fusionVsAverage, loopVsOpen);
  QVERIFY(windowsVsPlain > 0.0);
  QVERIFY(fusionVsAverage > 0.0);
  QVERIFY(loopVsOpen > 0.0);
  // Settings no window can have: exit 2 naming the project field, no frames written.
  Run bad = render("bad", {"--context-length", "4", "--context-overlap", "4"});
  QCOMPARE(bad.code, 2);
  QVERIFY2(contains(bad.err, "render.context_windows.overlap"), bad.err.c_str());
  QVERIFY(!fs::exists(tempRoot() + "/bad_0000.png"));
  Run badFusion = render("badfusion", {"--context-fusion", "mean"});
  QCOMPARE(badFusion.code, 1);
}

void TstCliVideoVerbs::invertEditAndInterpolateClips() {
  if (!ns::media::videoCodecAvailable(ns::media::VideoCodec::Ffv1, ".mkv")) QSKIP("FFmpeg cannot write FFV1 here");
  const std::string clipA = writeClip("a.mkv", 0.0), clipB = writeClip("b.mkv", 1.5);
  // The flags reach invert and edit with the video model: windows no clip can have are refused
  // before any work, naming the setting (exit 2). (A full SD-size inversion is too slow here; the
  // joint inversion is tested in tst_video_verbs.)
  Run inv = runCli(tinyVideo() + QStringList{"invert", q(clipA), "-p", "a ball", "--steps", "2", "--context-length", "3",
                                             "--context-overlap", "3", "-o", q(tempRoot() + "/bad.nsnoise")});
  QCOMPARE(inv.code, 2);
  QVERIFY2(contains(inv.err, "overlap 3 must be in [0, window length 3)"), inv.err.c_str());
  QVERIFY(!fs::exists(tempRoot() + "/bad.nsnoise"));
  // The built-in (image) model: invert a clip, edit it back, interpolate two clips with the flags
  // given (accepted; an image model has no windows).
  const std::string noise = tempRoot() + "/a.nsnoise";
  Run ok = runCli({"--json", "invert", q(clipA), "-p", "a ball", "--steps", "3", "--context-length", "3",
                   "--context-overlap", "1", "-o", q(noise)});
  QVERIFY2(ok.code == 0, ok.err.c_str());
  QCOMPARE(nlohmann::json::parse(ok.out).at("frames").get<int>(), 4);
  Run ed = runCli({"edit", q(noise), "--context-fusion", "average", "-o", q(tempRoot() + "/edit.png")});
  QVERIFY2(ed.code == 0, ed.err.c_str());
  QVERIFY(fs::exists(tempRoot() + "/edit_0003.png"));
  Run interp = runCli({"--json", "interpolate", q(clipA), q(clipB), "--frames", "3", "--steps", "3", "--method", "lerp",
                       "--context-length", "2", "--context-overlap", "1", "-o", q(tempRoot() + "/mix.png")});
  QVERIFY2(interp.code == 0, interp.err.c_str());
  const auto j = nlohmann::json::parse(interp.out);
  QCOMPARE(j.at("frames").get<int>(), 12);
  QCOMPARE(j.at("clip_frames").get<int>(), 4);
  QVERIFY(fs::exists(tempRoot() + "/mix_0011.png"));
  // A still and a clip: refused naming both lengths.
  const std::string still = tempRoot() + "/still.png";
  QVERIFY(ns::media::writeImage(still, at::zeros({3, 48, 48})).ok());
  Run mixed = runCli({"interpolate", q(clipA), q(still), "-o", q(tempRoot() + "/mixed.png")});
  QCOMPARE(mixed.code, 2);
  QVERIFY2(contains(mixed.err, "same length (got 4 and 1 frames)"), mixed.err.c_str());
}

NS_REGISTER_TEST(TstCliVideoVerbs, initTestCase, renderTakesContextWindowFlags, invertEditAndInterpolateClips,
                 cleanupTestCase)
#ifdef NS_HAVE_QTEST
#include "tst_cli_video_verbs.moc"
#endif
