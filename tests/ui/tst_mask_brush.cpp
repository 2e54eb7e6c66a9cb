// Tests the mask brush on the real window, driven with QTest mouse and key events: the M
// shortcut picks the brush (and the Mask menu shows it and the invert / clear shortcuts); one
// drag is one stroke and one undo step, undo restores the previous mask and redo the new one;
// invert and clear act on the overlay; a stroke with "Whole clip" off belongs to its frame; the
// mask survives save and reopen exactly. With the shipped model: with a strip painted, a colour
// edit changes the strip and leaves the pixels away from it as the re-render without the colour
// had them (< 1/255 through the decoder).
#include "tests/support/ns_test.h"

#include <QCheckBox>
#include <QDir>
#include <QFileInfo>
#include <QDoubleSpinBox>
#include <QMenu>
#include <QMenuBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QUndoStack>

#include <c10/core/InferenceMode.h>

#include <cmath>

#include "core/model/builtin_model.h"
#include "core/plan/edit_mask.h"
#include "core/util/frame_tensors.h"
#include "tests/ui/ui_test_util.h"
#include "ui/canvas/canvas_scene.h"
#include "ui/canvas/mask_overlay_item.h"
#include "ui/docks/inversion_dock.h"
#include "ui/docks/mask_brush_panel.h"
#include "ui/docks/model_dock.h"
#include "ui/jobs/job_controller.h"
#include "ui/project_document.h"
#include "ui/widgets/error_banner.h"
#include "ui/widgets/timeline_widget.h"

using ns::ui::MainWindow;

namespace {

// One brush stroke: press at a, move through `steps` points to b, release (canvas pixels).
void stroke(MainWindow& w, QPointF a, QPointF b, int steps = 8) {
  QWidget* vp = w.canvasView()->viewport();
  QTest::mousePress(vp, Qt::LeftButton, Qt::NoModifier, uitest::viewPos(w, a));
  for (int i = 1; i <= steps; ++i) QTest::mouseMove(vp, uitest::viewPos(w, a + (b - a) * (double(i) / steps)));
  QTest::mouseRelease(vp, Qt::LeftButton, Qt::NoModifier, uitest::viewPos(w, b));
}

// The overlay's mask level at a canvas pixel (its alpha is level·120/255).
int overlayLevel(MainWindow& w, int x, int y) {
  const QImage& img = w.canvasScene()->maskOverlay()->overlayImage();
  if (img.isNull()) return 0;
  return qAlpha(img.pixel(x, y)) * 255 / 120;
}

QDoubleSpinBox* spin(QWidget* parent, const char* name) { return parent->findChild<QDoubleSpinBox*>(QLatin1String(name)); }

// docs/screenshots/<name> when NS_WRITE_SCREENSHOTS=1 (the user guide's pictures).
void writeScreenshot(QWidget& w, const char* name) {
  if (qgetenv("NS_WRITE_SCREENSHOTS") != "1") return;
  const QString out = QStringLiteral(NS_SOURCE_DIR "/docs/screenshots/") + name;
  QDir().mkpath(QFileInfo(out).path());
  if (!w.grab().save(out)) qWarning("could not write %s", qPrintable(out));
}

QAction* menuAction(MainWindow& w, const QString& menuTitle, const QString& text) {
  for (QAction* m : w.menuBar()->actions()) {
    if (m->text() != menuTitle || !m->menu()) continue;
    for (QAction* a : m->menu()->actions())
      if (a->text() == text) return a;
  }
  return nullptr;
}

}  // namespace

class TstMaskBrush : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { uitest::isolate(); }
  void strokesUndoInvertClearAndSave();
  void paintedMaskLimitsAColourEdit();

 private:
  QTemporaryDir m_tmp;
};

void TstMaskBrush::strokesUndoInvertClearAndSave() {
  MainWindow w(nullptr, uitest::testOptions(m_tmp.path()));
  w.resize(1200, 800);
  w.show();
  QVERIFY(QTest::qWaitForWindowExposed(&w));
  w.activateWindow();  // xvfb has no window manager: ask for the focus ourselves
  QVERIFY(QTest::qWaitForWindowActive(&w));
  ns::ui::MaskBrushPanel* panel = w.inversionDock()->maskPanel();
  QVERIFY(panel);

  // The shortcuts are in the Mask menu, and M picks the brush.
  QAction* tool = menuAction(w, QStringLiteral("&Mask"), QStringLiteral("Mask brush"));
  QVERIFY(tool);
  QCOMPARE(tool->shortcut(), QKeySequence(QStringLiteral("M")));
  QCOMPARE(menuAction(w, "&Mask", "&Invert mask")->shortcut(), QKeySequence(QStringLiteral("Ctrl+I")));
  QCOMPARE(menuAction(w, "&Mask", "&Clear mask")->shortcut(), QKeySequence(QStringLiteral("Ctrl+Shift+M")));
  w.canvasView()->setFocus();
  QTest::keyClick(w.canvasView(), Qt::Key_M);
  QCOMPARE(w.canvasScene()->tool(), ns::ui::CanvasTool::MaskBrush);

  spin(panel, "maskSize")->setValue(12.0);  // 12% of 64 px: radius 7.68 px
  spin(panel, "maskHardness")->setValue(1.0);
  QUndoStack* undo = w.undoStack();
  const int before = undo->count();
  stroke(w, {8, 6}, {8, 58});
  QCOMPARE(undo->count(), before + 1);  // one drag, one undo step
  const ns::EditMask first = w.document()->project().inversion.mask;
  QCOMPARE(int(first.ops.size()), 1);
  QCOMPARE(first.ops[0].kind, ns::MaskOpKind::Paint);
  QCOMPARE(first.ops[0].frame, -1);
  QVERIFY(first.ops[0].points.size() >= 2);
  QVERIFY(std::abs(first.ops[0].radius - 0.12f) < 1e-6f);
  QCOMPARE(overlayLevel(w, 8, 32), 255);
  QCOMPARE(overlayLevel(w, 40, 32), 0);

  // A second stroke, then undo: back to exactly the first mask; redo: the second again.
  stroke(w, {30, 20}, {50, 20});
  QCOMPARE(undo->count(), before + 2);
  QCOMPARE(overlayLevel(w, 40, 20), 255);
  const ns::EditMask second = w.document()->project().inversion.mask;
  undo->undo();
  QVERIFY(w.document()->project().inversion.mask == first);
  QCOMPARE(overlayLevel(w, 40, 20), 0);
  undo->redo();
  QVERIFY(w.document()->project().inversion.mask == second);

  // Erase (X toggles the brush) takes a bite out of the strip.
  QTest::keyClick(w.canvasView(), Qt::Key_X);
  QVERIFY(panel->brush().erase);
  stroke(w, {8, 32}, {8, 32}, 1);
  QCOMPARE(overlayLevel(w, 8, 32), 0);
  QCOMPARE(overlayLevel(w, 8, 10), 255);
  QTest::keyClick(w.canvasView(), Qt::Key_X);
  QVERIFY(!panel->brush().erase);

  // Invert (Ctrl+I), then Clear (the panel's button): each one undo step.
  const int beforeInvert = undo->count();
  QTest::keyClick(w.canvasView(), Qt::Key_I, Qt::ControlModifier);
  QCOMPARE(undo->count(), beforeInvert + 1);
  QCOMPARE(overlayLevel(w, 8, 10), 0);
  QCOMPARE(overlayLevel(w, 60, 60), 255);
  panel->clearButton()->click();
  QCOMPARE(undo->count(), beforeInvert + 2);
  QVERIFY(!w.document()->project().inversion.mask.active());
  QVERIFY(w.canvasScene()->maskOverlay()->overlayImage().isNull());
  undo->undo();  // the inverted mask comes back
  QCOMPARE(overlayLevel(w, 60, 60), 255);

  // "Whole clip" off: the stroke belongs to the current frame only.
  panel->findChild<QCheckBox*>(QStringLiteral("maskWholeClip"))->setChecked(false);
  w.timeline()->setCurrentFrame(3);
  QCOMPARE(overlayLevel(w, 8, 45), 0);  // the strip, kept after the invert
  stroke(w, {8, 40}, {8, 50});
  const ns::EditMask perFrame = w.document()->project().inversion.mask;
  QCOMPARE(perFrame.ops.back().frame, 3);
  QVERIFY(perFrame.perFrame());
  QCOMPARE(overlayLevel(w, 8, 45), 255);
  w.timeline()->setCurrentFrame(0);
  QCOMPARE(overlayLevel(w, 8, 45), 0);  // frame 0 does not have it
  w.timeline()->setCurrentFrame(3);
  QCOMPARE(overlayLevel(w, 8, 45), 255);
  w.timeline()->setCurrentFrame(0);  // the reopened window starts at frame 0

  // Feather is part of the mask too (one undo step per edit of the field).
  spin(panel, "maskFeather")->setValue(2.0);
  QVERIFY(std::abs(w.document()->project().inversion.mask.feather - 0.02f) < 1e-6f);

  // Save and reopen: the same mask, the same overlay.
  const ns::EditMask saved = w.document()->project().inversion.mask;
  const QImage overlay = w.canvasScene()->maskOverlay()->overlayImage();
  const QString path = QDir(m_tmp.path()).filePath("masked.nsproj");
  QVERIFY(w.saveAs(path));
  MainWindow w2(nullptr, uitest::testOptions(m_tmp.path()));
  QVERIFY(w2.openProject(path));
  QVERIFY(w2.document()->project().inversion.mask == saved);
  QCOMPARE(w2.canvasScene()->maskOverlay()->overlayImage(), overlay);
  QVERIFY(std::abs(spin(w2.inversionDock()->maskPanel(), "maskFeather")->value() - 2.0) < 1e-6);
  QCOMPARE(w2.document()->jsonText(), w.document()->jsonText());
}

void TstMaskBrush::paintedMaskLimitsAColourEdit() {
  if (ns::findBuiltinModelDir().empty()) QSKIP("the shipped built-in model is not available");
  // A 64² project with reconstruction settings (skip 0, target guidance = source guidance), so
  // the re-render without an edit gives the photo back.
  ns::Project plan;
  plan.render.steps = 8;
  plan.inversion.skip = 0;
  plan.inversion.cfgTarget = plan.inversion.cfgSource;
  const QString path = QDir(m_tmp.path()).filePath("photo_edit.nsproj");
  QVERIFY(plan.save(path.toStdString()).ok());

  MainWindow w(nullptr, uitest::testOptions(m_tmp.path()));
  w.resize(1200, 800);
  w.show();
  QVERIFY(QTest::qWaitForWindowExposed(&w));
  w.activateWindow();  // xvfb has no window manager: ask for the focus ourselves
  QVERIFY(QTest::qWaitForWindowActive(&w));
  QVERIFY(w.openProject(path));
  w.modelDock()->loadButton()->click();
  QTRY_VERIFY_WITH_TIMEOUT(w.modelDock()->status().startsWith("Loaded"), 60000);
  QVERIFY(w.openFile(QString::fromStdString(nstest::dataDir()) + "/astronaut_64.png"));
  QSignalSpy idle(w.jobs(), &ns::ui::JobController::idle);
  w.inversionDock()->invertButton()->click();
  QTRY_VERIFY_WITH_TIMEOUT(w.inversionDock()->rerenderButton()->isEnabled(), 120000);
  QTRY_VERIFY_WITH_TIMEOUT(idle.count() >= 1, 10000);

  // Paint a strip down the left (x within 0.3..15.7 px).
  w.canvasView()->setFocus();
  QTest::keyClick(w.canvasView(), Qt::Key_M);
  spin(w.inversionDock()->maskPanel(), "maskSize")->setValue(12.0);
  spin(w.inversionDock()->maskPanel(), "maskHardness")->setValue(1.0);
  stroke(w, {8, -4}, {8, 68});
  QVERIFY(w.document()->project().inversion.mask.active());

  // Re-render without an edit (outside the mask every state is the source's own path), then
  // with a red colour edit: only the painted strip may change.
  idle.clear();
  w.inversionDock()->rerenderButton()->click();
  QTRY_VERIFY_WITH_TIMEOUT(idle.count() >= 1, 120000);
  QVERIFY2(w.errorBanner()->isHidden(), qPrintable(w.errorBanner()->message()));
  const ns::FrameBuffer plain = w.resultFrames();
  QCOMPARE(plain.width, 64);
  for (QDoubleSpinBox* s : w.inversionDock()->findChildren<QDoubleSpinBox*>())
    if (s->prefix() == QLatin1String("R ")) s->setValue(0.8);
  idle.clear();
  w.inversionDock()->rerenderButton()->click();
  QTRY_VERIFY_WITH_TIMEOUT(idle.count() >= 1, 120000);
  QVERIFY2(w.errorBanner()->isHidden(), qPrintable(w.errorBanner()->message()));
  const ns::FrameBuffer edited = w.resultFrames();
  QCOMPARE(edited.width, 64);
  QTest::qWait(200);
  writeScreenshot(w, "mask_brush.png");  // the red strip over the edited photo, the Edit mask group

  // Per column: the largest change of any channel (values in [0,1], as decoded).
  std::vector<double> colMax(64, 0.0);
  double insideRed = 0;
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x) {
      for (int c = 0; c < 3; ++c) colMax[size_t(x)] = std::max(colMax[size_t(x)], double(std::abs(edited.at(0, c, y, x) - plain.at(0, c, y, x))));
      if (x >= 2 && x < 14) insideRed += edited.at(0, 0, y, x) - plain.at(0, 0, y, x);
    }
  insideRed /= 64 * 12;
  QString cols;
  for (int x = 0; x < 64; x += 4) cols += QString::asprintf("%d:%.4f ", x, colMax[size_t(x)]);
  qInfo("masked colour edit: mean red change inside the strip %+.3f; per-column max change %s", insideRed, qPrintable(cols));
  QVERIFY2(insideRed > 0.05, qPrintable(QString("inside the strip red changed by %1").arg(insideRed)));
  // Every pixel the mask leaves at 0 (as the overlay shows it) keeps its value: < 1/255.
  const std::vector<uint8_t> levels = w.document()->project().inversion.mask.rasterize(64, 64, 0);
  double outsideMax = 0;
  int outside = 0;
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x) {
      if (levels[size_t(y) * 64 + x] != 0) continue;
      ++outside;
      for (int c = 0; c < 3; ++c) outsideMax = std::max(outsideMax, double(std::abs(edited.at(0, c, y, x) - plain.at(0, c, y, x))));
    }
  qInfo("%d unpainted pixels: largest change %.6f", outside, outsideMax);
  QVERIFY2(outside > 64 * 40, qPrintable(QString("only %1 unpainted pixels").arg(outside)));
  QVERIFY2(outsideMax < 1.0 / 255, qPrintable(QString("an unpainted pixel changed by %1 (>= 1/255)").arg(outsideMax)));
}

NS_REGISTER_TEST(TstMaskBrush, initTestCase, strokesUndoInvertClearAndSave, paintedMaskLimitsAColourEdit)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_mask_brush.moc"
#endif
