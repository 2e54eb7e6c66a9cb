// The walk of docs/user-guide.md, driven with QTest events on the real window and the shipped
// model: start screen -> plan (a box from the hint's button, a keyframed path, a prompt) -> render
// -> a photo inverted, a mask painted and a colour edit re-rendered -> export. Each step checks
// what the guide says happens. With NS_SCREENSHOT_DIR set it saves the window at each step
// (01_start.png … 06_export.png); docs/images/ holds the PNGs of such a run:
//   NS_SCREENSHOT_DIR=$PWD/docs/images NS_TEST_CLASSES=TstUserGuide xvfb-run -a -s "-screen 0 1600x1200x24" ./build-test/tests/tst_ui
#include "tests/support/ns_test.h"

#include <QDir>
#include <QDoubleSpinBox>
#include <QImage>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>

#include <algorithm>
#include <cmath>

#include "core/util/frame_tensors.h"
#include "core/engine/layout_eval.h"
#include "core/model/builtin_model.h"
#include "tests/ui/ui_test_util.h"
#include "ui/canvas/canvas_scene.h"
#include "ui/canvas/empty_plan_hint.h"
#include "ui/docks/inversion_dock.h"
#include "ui/docks/mask_brush_panel.h"
#include "ui/docks/model_dock.h"
#include "ui/docks/properties_dock.h"
#include "ui/export/export_dialog.h"
#include "ui/export/export_settings.h"
#include "ui/jobs/job_controller.h"
#include "ui/project_document.h"
#include "ui/widgets/error_banner.h"
#include "ui/widgets/timeline_widget.h"

using ns::ui::CanvasTool;
using ns::ui::MainWindow;
using ns::ui::SaveAnswer;

namespace {
// Saves `w` as NS_SCREENSHOT_DIR/<name> when that is set (the user guide's pictures). Grabs are
// scaled to at most 1200 px wide so each PNG stays well under 300 kB.
void shot(QWidget& w, const char* name) {
  const QString dir = qEnvironmentVariable("NS_SCREENSHOT_DIR");
  if (dir.isEmpty()) return;
  QTest::qWait(150);  // let queued repaints land
  QImage img = w.grab().toImage();
  if (img.width() > 1200) img = img.scaledToWidth(1200, Qt::SmoothTransformation);
  QDir().mkpath(dir);
  const QString out = QDir(dir).filePath(QString::fromLatin1(name));
  if (!img.save(out)) qWarning("could not write %s", qPrintable(out));
}

// Press at a, move in steps to b, release (canvas pixels), on the canvas view.
void drag(MainWindow& w, QPointF a, QPointF b, int steps = 6) {
  QWidget* vp = w.canvasView()->viewport();
  QTest::mousePress(vp, Qt::LeftButton, Qt::NoModifier, uitest::viewPos(w, a));
  for (int i = 1; i <= steps; ++i) QTest::mouseMove(vp, uitest::viewPos(w, a + (b - a) * (double(i) / steps)));
  QTest::mouseRelease(vp, Qt::LeftButton, Qt::NoModifier, uitest::viewPos(w, b));
}

// Replaces a spin box's text by typing, as a user does.
void typeInto(QAbstractSpinBox* box, const QString& text) {
  box->setFocus();
  box->selectAll();
  QTest::keyClicks(box, text);
  QTest::keyClick(box, Qt::Key_Return);
}
}  // namespace

class TstUserGuide : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { uitest::isolate(); }
  void planRenderInvertEditExport();

 private:
  QTemporaryDir m_tmp;
};

void TstUserGuide::planRenderInvertEditExport() {
  if (ns::findBuiltinModelDir().empty()) QSKIP("the shipped built-in model is not available");
  MainWindow w(nullptr, uitest::testOptions(m_tmp.path()));
  w.unsavedPrompt = [](const QString&) { return SaveAnswer::Discard; };
  w.resize(1280, 820);
  w.show();
  QVERIFY(QTest::qWaitForWindowExposed(&w));
  w.activateWindow();  // xvfb has no window manager: ask for the focus ourselves
  QVERIFY(QTest::qWaitForWindowActive(&w));

  // 1. The start screen: the empty canvas says how to begin.
  QVERIFY(w.emptyPlanHint()->isVisible());
  shot(w, "01_start.png");

  // 2. Plan: "Draw a box", a box at frame 1, a keyframe at the last frame, the prompt.
  QTest::mouseClick(w.emptyPlanHint()->drawBoxButton(), Qt::LeftButton);
  QCOMPARE(w.canvasScene()->tool(), CanvasTool::Box);
  drag(w, {4, 30}, {22, 48});
  QCOMPARE(int(w.document()->project().objects.size()), 1);
  QVERIFY(!w.emptyPlanHint()->isVisible());
  const int frames = w.document()->project().frames;
  w.timeline()->setCurrentFrame(frames - 1);
  w.canvasView()->setFocus();
  QTest::keyClick(w.canvasView(), Qt::Key_T);  // the Keyframe tool: click where the object goes
  QCOMPARE(w.canvasScene()->tool(), CanvasTool::Trajectory);
  QTest::mouseClick(w.canvasView()->viewport(), Qt::LeftButton, Qt::NoModifier, uitest::viewPos(w, {50, 22}));
  const ns::ProjectObject& ball = w.document()->project().objects.front();
  QCOMPARE(int(ball.trajectory.keys().size()), 2);
  QCOMPARE(ball.trajectory.keys().back().frame, frames - 1);
  QPlainTextEdit* prompt = w.propertiesDock()->promptEdit();
  prompt->setFocus();
  QTest::keyClicks(prompt, "on grass");
  QCOMPARE(QString::fromStdString(w.document()->project().prompt), QString("on grass"));
  QCOMPARE(QString::fromStdString(ns::fullPrompt(w.document()->project())), QString("a red ball on grass"));
  auto* steps = w.propertiesDock()->findChild<QSpinBox*>(QStringLiteral("renderSteps"));
  QVERIFY(steps);
  typeInto(steps, "10");  // a quick render for the test; the guide's default is 30
  QCOMPARE(w.document()->project().render.steps, 10);
  w.timeline()->setCurrentFrame(frames / 2);
  shot(w, "02_plan.png");

  // 3. Render (Ctrl+R) with the built-in model: every frame, the ball where the plan puts it.
  w.modelDock()->loadButton()->click();
  QTRY_VERIFY_WITH_TIMEOUT(w.modelDock()->status().startsWith("Loaded"), 120000);
  w.canvasView()->setFocus();
  QTest::keyClick(w.canvasView(), Qt::Key_R, Qt::ControlModifier);
  QTRY_VERIFY_WITH_TIMEOUT(w.resultFrames().count == frames, 400000);
  QVERIFY2(w.errorBanner()->isHidden(), qPrintable(w.errorBanner()->message()));
  const ns::LayoutScore score = ns::scoreLayout(w.document()->project(), ns::framesToImages(w.resultFrames()));
  const double iou = score.samples ? score.iouSum / score.samples : 0.0;
  qInfo("user guide render: mean IoU %.3f to the plan, ball found in %d of %d frames", iou, score.found, score.samples);
  QVERIFY2(score.found >= score.samples / 2 && iou > 0.2,
           qPrintable(QString("mean IoU %1, found %2 of %3").arg(iou).arg(score.found).arg(score.samples)));
  w.timeline()->setCurrentFrame(frames / 2);
  shot(w, "03_render.png");

  // 4. Invert and edit with a mask: a new plan, a photo, Invert, a stroke of the mask brush down
  // the left, a red colour shift, Re-render: the red goes up inside the stroke, not outside.
  QVERIFY(w.newDocument());
  QVERIFY(w.openFile(QString::fromStdString(nstest::dataDir()) + "/astronaut_64.png"));
  QSignalSpy idle(w.jobs(), &ns::ui::JobController::idle);
  w.inversionDock()->invertButton()->click();
  QTRY_VERIFY_WITH_TIMEOUT(w.inversionDock()->rerenderButton()->isEnabled(), 300000);
  QTRY_VERIFY_WITH_TIMEOUT(idle.count() >= 1, 10000);
  w.canvasView()->setFocus();
  QTest::keyClick(w.canvasView(), Qt::Key_M);
  QCOMPARE(w.canvasScene()->tool(), CanvasTool::MaskBrush);
  auto* size = w.inversionDock()->maskPanel()->findChild<QDoubleSpinBox*>(QStringLiteral("maskSize"));
  QVERIFY(size);
  size->setValue(12.0);
  drag(w, {10, -4}, {10, 68}, 10);
  QVERIFY(w.document()->project().inversion.mask.active());
  QDoubleSpinBox* red = nullptr;
  for (QDoubleSpinBox* s : w.inversionDock()->findChildren<QDoubleSpinBox*>())
    if (s->prefix() == QLatin1String("R ")) red = s;
  QVERIFY(red);
  typeInto(red, "0.8");
  QCOMPARE(red->value(), 0.8);
  shot(w, "04_mask.png");
  idle.clear();
  w.inversionDock()->rerenderButton()->click();
  QTRY_VERIFY_WITH_TIMEOUT(idle.count() >= 1, 300000);
  QVERIFY2(w.errorBanner()->isHidden(), qPrintable(w.errorBanner()->message()));
  const ns::FrameBuffer edited = w.resultFrames();
  QCOMPARE(edited.width, 64);
  const std::vector<uint8_t> mask = w.document()->project().inversion.mask.rasterize(64, 64, 0);
  double redIn = 0, redOut = 0;
  int in = 0, out = 0;
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x) {
      const double red = edited.at(0, 0, y, x) - 0.5 * (edited.at(0, 1, y, x) + edited.at(0, 2, y, x));
      if (mask[size_t(y) * 64 + x] == 255) redIn += red, ++in;
      else if (mask[size_t(y) * 64 + x] == 0) redOut += red, ++out;
    }
  redIn /= std::max(in, 1);
  redOut /= std::max(out, 1);
  qInfo("user guide edit: redness inside the mask %+.3f (%d px), outside %+.3f (%d px)", redIn, in, redOut, out);
  QVERIFY2(in > 200 && out > 64 * 30, qPrintable(QString("%1 px inside, %2 outside").arg(in).arg(out)));
  QVERIFY2(redIn > redOut + 0.1, qPrintable(QString("redness inside %1, outside %2").arg(redIn).arg(redOut)));
  shot(w, "05_edit.png");

  // 5. Export: the dialog (format, range, size), then a PNG sequence read back equal to the result.
  {
    ns::ui::ExportDialog dialog(edited.count, edited.width, edited.height, m_tmp.path(), QStringLiteral("edit"), &w);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    shot(dialog, "06_export.png");
  }
  ns::ui::ExportSettings s;
  s.path = QDir(m_tmp.path()).filePath("guide_export");
  idle.clear();
  QVERIFY(w.exportWith(s));
  QTRY_VERIFY_WITH_TIMEOUT(idle.count() >= 1, 60000);
  QVERIFY2(w.errorBanner()->isHidden(), qPrintable(w.errorBanner()->message()));
  const QStringList pngs = QDir(s.path).entryList({"*.png"}, QDir::Files, QDir::Name);
  QCOMPARE(pngs.size(), edited.count);
  const QImage back = QImage(QDir(s.path).filePath(pngs.front())).convertToFormat(QImage::Format_RGB888);
  QCOMPARE(back.size(), QSize(64, 64));
  int worst = 0;
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x) {
      const QColor c = back.pixelColor(x, y);
      const int rgb[3] = {c.red(), c.green(), c.blue()};
      for (int ch = 0; ch < 3; ++ch)
        worst = std::max(worst, std::abs(rgb[ch] - int(std::lround(std::clamp(edited.at(0, ch, y, x), 0.f, 1.f) * 255))));
    }
  QVERIFY2(worst <= 1, qPrintable(QString("exported PNG differs from the result by %1 levels").arg(worst)));
}

NS_REGISTER_TEST(TstUserGuide, initTestCase, planRenderInvertEditExport)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_user_guide.moc"
#endif
