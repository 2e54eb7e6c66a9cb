// File → Export…: every format, a frame range and a size, read back through core/media (OpenCV's
// FFmpeg decoder); the dialog refuses a reversed range and offers what FFmpeg can write.
#include "tests/support/ns_test.h"

#include <ATen/ATen.h>

#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTemporaryDir>

#include "core/media/image_io.h"
#include "core/media/video_codec.h"
#include "core/media/video_io.h"
#include "core/model/builtin_model.h"
#include "core/plan/project.h"
#include "core/util/frame_tensors.h"
#include "tests/ui/ui_test_util.h"
#include "ui/docks/model_dock.h"
#include "ui/export/export_dialog.h"
#include "ui/export/export_settings.h"
#include "ui/jobs/job_controller.h"
#include "ui/main_window.h"
#include "ui/widgets/error_banner.h"

using ns::ui::ExportFormat;
using ns::ui::ExportSettings;
using ns::ui::MainWindow;

namespace {

// Mean absolute difference in 8-bit levels between decoded frames [F,3,H,W] in [-1,1] and the
// expected frames; the worst frame.
double worstMeanDiff(const at::Tensor& decoded, const ns::FrameBuffer& expected) {
  const at::Tensor e = ns::framesToImages(expected);
  if (!decoded.sizes().equals(e.sizes())) return 1e9;
  return ((decoded - e).abs() * 127.5).mean({1, 2, 3}).max().item<double>();
}

bool fileContains(const QString& path, const QByteArray& what) {
  QFile f(path);
  return f.open(QIODevice::ReadOnly) && f.readAll().contains(what);
}

}  // namespace

class TstExportDialog : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { uitest::isolate(); }
  void dialogChecksAndFollowsTheFormat();
  void everyFormatReadsBackWithRangeAndSize();

 private:
  QTemporaryDir m_tmp;
};

void TstExportDialog::dialogChecksAndFollowsTheFormat() {
  ns::ui::ExportDialog d(16, 64, 48, m_tmp.path(), "ball");
  // The name follows the format; a PNG sequence is a folder.
  d.formatBox()->setCurrentIndex(d.formatBox()->findData(int(ExportFormat::MkvFfv1)));
  QCOMPARE(d.pathEdit()->text(), QDir(m_tmp.path()).filePath("ball.mkv"));
  d.formatBox()->setCurrentIndex(d.formatBox()->findData(int(ExportFormat::PngSequence)));
  QCOMPARE(d.pathEdit()->text(), QDir(m_tmp.path()).filePath("ball"));
  // Range and size reach the settings (the dialog counts frames from 1).
  d.firstBox()->setValue(3);
  d.lastBox()->setValue(6);
  d.sizeBox()->setCurrentIndex(1);  // half
  const ExportSettings s = d.settings();
  QCOMPARE(s.first, 2);
  QCOMPARE(s.last, 5);
  QCOMPARE(s.width, 32);
  QCOMPARE(s.height, 24);
  // A reversed range keeps the dialog open with the reason.
  d.firstBox()->setValue(9);
  d.accept();
  QCOMPARE(d.result(), int(QDialog::Rejected));
  QVERIFY2(d.problemLabel()->text().contains("comes after"), qPrintable(d.problemLabel()->text()));
  // FFV1 and PNG are always there; H.264 is offered exactly when FFmpeg can encode it.
  QVERIFY(ns::ui::exportFormatAvailable(ExportFormat::MkvFfv1));
  QVERIFY(ns::ui::exportFormatAvailable(ExportFormat::PngSequence));
  qInfo("H.264 encoder available here: %s",
        ns::media::videoCodecAvailable(ns::media::VideoCodec::H264, ".mp4") ? "yes" : "no");
}

void TstExportDialog::everyFormatReadsBackWithRangeAndSize() {
  if (ns::findBuiltinModelDir().empty()) QSKIP("the shipped built-in model is not available");
  auto plan = ns::Project::open(NS_SOURCE_DIR "/examples/red_ball_on_grass.nsproj");
  QVERIFY(plan.ok());
  plan->render.steps = 2;
  const QString projectPath = QDir(m_tmp.path()).filePath("ball.nsproj");
  QVERIFY(plan->save(projectPath.toStdString()).ok());
  MainWindow w(nullptr, uitest::testOptions(m_tmp.path()));
  w.show();
  QVERIFY(QTest::qWaitForWindowExposed(&w));
  QVERIFY(w.openProject(projectPath));
  w.modelDock()->loadButton()->click();
  QTRY_VERIFY_WITH_TIMEOUT(w.modelDock()->status().startsWith("Loaded"), 60000);
  w.render();
  QTRY_VERIFY_WITH_TIMEOUT(w.resultFrames().count == plan->frames, 120000);
  const ns::FrameBuffer result = w.resultFrames();
  QCOMPARE(result.width, 64);

  // Frames 3..6 (0-based 2..5) at double size, in every format this system writes.
  ExportSettings s;
  s.first = 2;
  s.last = 5;
  s.width = 128;
  s.height = 128;
  auto expected = ns::ui::framesForExport(result, s);
  QVERIFY2(expected.ok(), expected.ok() ? "" : expected.error().message);
  QCOMPARE(expected->count, 4);
  // The range is the result's frames (same pixels at the result's size).
  ExportSettings own = s;
  own.width = own.height = 0;
  auto same = ns::ui::framesForExport(result, own);
  QVERIFY(same.ok());
  QVERIFY(std::abs(same->at(0, 1, 10, 20) - result.at(2, 1, 10, 20)) < 1e-6f);

  // PNG sequence: exact 8-bit pixels.
  s.format = ExportFormat::PngSequence;
  s.path = QDir(m_tmp.path()).filePath("seq");
  QVERIFY(w.exportWith(s));
  const QString last = QDir(s.path).filePath("ball_0003.png");
  QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(last), 30000);
  QVERIFY(!QFile::exists(QDir(s.path).filePath("ball_0004.png")));
  auto png = ns::media::readImage(last.toStdString());
  QVERIFY2(png.ok(), png.ok() ? "" : png.error().message);
  QCOMPARE(png->size(2), int64_t(128));
  ns::FrameBuffer lastFrame = ns::imagesToFrames(ns::framesToImages(*expected).narrow(0, 3, 1).contiguous());
  QVERIFY2(worstMeanDiff(png->unsqueeze(0), lastFrame) < 0.51, "PNG differs from the exported frames");

  // FFV1 (lossless): the same pixels after the video round trip.
  s.format = ExportFormat::MkvFfv1;
  s.path = QDir(m_tmp.path()).filePath("ball.mkv");
  QVERIFY(w.exportWith(s));
  QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(s.path), 30000);
  auto ffv1 = ns::media::readVideo(s.path.toStdString());
  QVERIFY2(ffv1.ok(), ffv1.ok() ? "" : ffv1.error().message);
  QCOMPARE(ffv1->frames.sizes().vec(), (std::vector<int64_t>{4, 3, 128, 128}));
  QVERIFY2(worstMeanDiff(ffv1->frames, *expected) < 0.51, "FFV1 is not lossless");

  // MP4s (lossy): 4 frames of the right size, close to the pixels.
  for (ExportFormat format : {ExportFormat::Mp4Mpeg4, ExportFormat::Mp4H264}) {
    if (!ns::ui::exportFormatAvailable(format)) {
      qInfo("%s: not available on this system", qPrintable(ns::ui::exportFormatLabel(format)));
      continue;
    }
    s.format = format;
    s.path = QDir(m_tmp.path()).filePath(format == ExportFormat::Mp4H264 ? "ball_h264.mp4" : "ball_mpeg4.mp4");
    QVERIFY(w.exportWith(s));
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(s.path), 30000);
    auto clip = ns::media::readVideo(s.path.toStdString());
    QVERIFY2(clip.ok(), clip.ok() ? "" : clip.error().message);
    QCOMPARE(clip->frames.sizes().vec(), (std::vector<int64_t>{4, 3, 128, 128}));
    const double worst = worstMeanDiff(clip->frames, *expected);
    // The sample description names the codec: avc1 (H.264) or mp4v (MPEG-4 part 2).
    const QByteArray tag = format == ExportFormat::Mp4H264 ? "avc1" : "mp4v";
    qInfo("%s: mean difference %.2f levels (worst frame)", qPrintable(ns::ui::exportFormatLabel(format)), worst);
    QVERIFY2(fileContains(s.path, tag), qPrintable("no " + tag + " sample description in " + s.path));
    QVERIFY2(worst < 8.0, "the MP4 does not show the exported frames");
  }
  QVERIFY2(w.errorBanner()->isHidden(), qPrintable(w.errorBanner()->message()));

  // A range outside the result is refused in the banner; nothing is written.
  s.first = 10;
  s.last = 40;
  s.path = QDir(m_tmp.path()).filePath("none.mkv");
  s.format = ExportFormat::MkvFfv1;
  QVERIFY(!w.exportWith(s));
  QVERIFY(!w.errorBanner()->isHidden());
  QVERIFY(!QFile::exists(s.path));
}

NS_REGISTER_TEST(TstExportDialog, initTestCase, dialogChecksAndFollowsTheFormat, everyFormatReadsBackWithRangeAndSize)
#ifdef NS_HAVE_QTEST
#include "tst_export_dialog.moc"
#endif
