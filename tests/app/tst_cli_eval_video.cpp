// `noisestudio-cli eval video` (issue 16 item 6): on a tiny run (the tiny SD 1.5 fixture with a
// tiny AnimateDiff module: 1 clip, 2/3 frames, windows of 2 overlapping by 1, 1 step) --json
// prints {"rows":[{"setting","frames","layout_iou","flicker","identity"}, ...]} with the five
// settings in order, numbers in range, the long rows at --long-frames; --settings picks rows; the
// image model alone runs the image rows; bad settings and window options exit 2 naming them.
#include "tests/support/ns_test.h"

#include "tests/app/cli_test_util.h"

#include <nlohmann/json.hpp>

namespace {
std::string sdData(const std::string& n) { return nstest::dataDir() + "/sd/" + n; }
std::string motionData(const std::string& n) { return nstest::dataDir() + "/motion/" + n; }
using clitest::q;
using clitest::Run;
using clitest::runCli;

QStringList tinyModel(bool withMotion) {
  QStringList a{"--model", q(sdData("sd1_tiny.safetensors")), "--unet-heads", "2", "--text-heads", "2",
                "--tokenizer", q(sdData("tokenizer_tiny"))};
  if (withMotion) a << "--motion-module" << q(motionData("mm_tiny_v2.safetensors"));
  return a;
}
// Small enough for the QtTest watchdog on a loaded 2-core machine.
const QStringList kTinyRun{"eval", "video", "--clips", "1", "--frames", "2", "--long-frames", "3",
                           "--context-length", "2", "--context-overlap", "1", "--steps", "1"};
bool contains(const std::string& s, const std::string& p) { return s.find(p) != std::string::npos; }
}  // namespace

class TstCliEvalVideo : public QObject {
  Q_OBJECT
 private slots:
  void jsonHasOneRowPerSetting();
  void imageRowsNeedNoMotionModule();
  void badOptionsExitTwo();
};

void TstCliEvalVideo::jsonHasOneRowPerSetting() {
  Run r = runCli(QStringList{"--json"} + tinyModel(true) + kTinyRun, QProcessEnvironment::systemEnvironment(), 600000);
  QVERIFY2(r.code == 0, r.err + r.out);
  const auto j = nlohmann::json::parse(r.out);
  QVERIFY(j.at("ok").get<bool>());
  const auto& rows = j.at("rows");
  QCOMPARE(rows.size(), size_t(5));
  const std::vector<std::string> names{"image_random", "image_warped", "video", "video_windows_48", "video_freenoise_48"};
  const std::vector<int> frames{2, 2, 2, 3, 3};
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    QCOMPARE(row.at("setting").get<std::string>(), names[i]);
    QCOMPARE(row.at("frames").get<int>(), frames[i]);
    const double iou = row.at("layout_iou").get<double>(), flicker = row.at("flicker").get<double>();
    QVERIFY2(iou >= 0 && iou <= 1, row.dump());
    // The tiny model paints noise-like frames: they flicker, and by less than the whole range.
    QVERIFY2(flicker > 0 && flicker < 1, row.dump());
    QCOMPARE(row.at("identity").get<double>(), -1.0);  // the SD fixture has no shapes classifier
  }
  // The noise recipes as documented.
  QCOMPARE(rows[0].at("noise").get<std::string>(), std::string("random"));
  QCOMPARE(rows[1].at("noise").get<std::string>(), std::string("warped"));
  QCOMPARE(rows[4].at("noise").get<std::string>(), std::string("freenoise"));
  // Different models / noises give different clips.
  QVERIFY(rows[0].at("flicker").get<double>() != rows[1].at("flicker").get<double>());
  QVERIFY(rows[1].at("flicker").get<double>() != rows[2].at("flicker").get<double>());
  QVERIFY(rows[3].at("flicker").get<double>() != rows[4].at("flicker").get<double>());
}

void TstCliEvalVideo::imageRowsNeedNoMotionModule() {
  Run r = runCli(QStringList{"--json"} + tinyModel(false) + kTinyRun +
                     QStringList{"--settings", "image_warped,image_random"},
                 QProcessEnvironment::systemEnvironment(), 300000);
  QVERIFY2(r.code == 0, r.err + r.out);
  const auto rows = nlohmann::json::parse(r.out).at("rows");
  QCOMPARE(rows.size(), size_t(2));
  QCOMPARE(rows[0].at("setting").get<std::string>(), std::string("image_warped"));
  QCOMPARE(rows[1].at("setting").get<std::string>(), std::string("image_random"));
  // A video row without a video model is refused, saying what is missing.
  r = runCli(tinyModel(false) + kTinyRun + QStringList{"--settings", "video"});
  QVERIFY(r.code != 0);
  QVERIFY2(contains(r.err, "video model"), r.err);
}

void TstCliEvalVideo::badOptionsExitTwo() {
  Run r = runCli(tinyModel(false) + kTinyRun + QStringList{"--settings", "image_random,video_sideways"});
  QCOMPARE(r.code, 2);
  QVERIFY2(contains(r.err, "video_sideways"), r.err);
  r = runCli(tinyModel(false) + QStringList{"eval", "video", "--context-length", "4", "--context-overlap", "4"});
  QCOMPARE(r.code, 2);
  QVERIFY2(contains(r.err, "--context-overlap 4"), r.err);
  r = runCli(tinyModel(false) + QStringList{"eval", "video", "--frames", "8", "--long-frames", "6", "--settings", "image_random"});
  QCOMPARE(r.code, 2);
  QVERIFY2(contains(r.err, "6 frames"), r.err);
}

NS_REGISTER_TEST(TstCliEvalVideo, jsonHasOneRowPerSetting, imageRowsNeedNoMotionModule, badOptionsExitTwo)
#ifdef NS_HAVE_QTEST
#include "tst_cli_eval_video.moc"
#endif
