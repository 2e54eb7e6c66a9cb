// Tests ui/canvas/empty_plan_hint.h in the window: the hint shows on an empty canvas, hides when
// the plan gets a box (and when a photo is shown), comes back on undo and File → New; its buttons
// choose the Box tool, open a photo and open an example; a drag that starts on the hint's text
// still draws a box (the panel does not block the canvas under it).
#include "tests/support/ns_test.h"

#include <QAction>
#include <QDir>
#include <QImage>
#include <QMenu>
#include <QPushButton>
#include <QToolButton>
#include <QUndoStack>

#include "tests/ui/ui_test_util.h"
#include "ui/canvas/canvas_scene.h"
#include "ui/canvas/empty_plan_hint.h"
#include "ui/project_document.h"

using ns::ui::CanvasTool;
using ns::ui::MainWindow;
using ns::ui::SaveAnswer;

namespace {
void dragOnViewport(MainWindow& w, QPointF a, QPointF b) {
  QWidget* vp = w.canvasView()->viewport();
  QTest::mousePress(vp, Qt::LeftButton, Qt::NoModifier, uitest::viewPos(w, a));
  for (int i = 1; i <= 4; ++i) QTest::mouseMove(vp, uitest::viewPos(w, a + (b - a) * (i / 4.0)));
  QTest::mouseRelease(vp, Qt::LeftButton, Qt::NoModifier, uitest::viewPos(w, b));
}
}  // namespace

class TstEmptyPlanHint : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { uitest::isolate(); }
  void showsOnEmptyCanvasAndFollowsContent();
  void buttonsStartEachWay();
  void dragStartingOnTheHintDrawsABox();

 private:
  QTemporaryDir m_tmp;
};

void TstEmptyPlanHint::showsOnEmptyCanvasAndFollowsContent() {
  MainWindow w(nullptr, uitest::testOptions(m_tmp.path()));
  w.unsavedPrompt = [](const QString&) { return SaveAnswer::Discard; };
  w.show();
  QVERIFY(QTest::qWaitForWindowExposed(&w));
  ns::ui::EmptyPlanHint* hint = w.emptyPlanHint();
  QVERIFY(hint->isVisible());
  // Centred in the canvas view, and wholly inside it.
  const QRect vp = w.canvasView()->viewport()->rect();
  QVERIFY2(vp.contains(hint->geometry()), "the hint sticks out of the canvas view");
  QVERIFY(std::abs(hint->geometry().center().x() - vp.center().x()) <= 1);
  QVERIFY(std::abs(hint->geometry().center().y() - vp.center().y()) <= 1);

  // A box: the plan has content, the hint goes.
  w.setTool(CanvasTool::Box);
  dragOnViewport(w, {4, 4}, {20, 20});
  QCOMPARE(int(w.document()->project().objects.size()), 1);
  QVERIFY(!hint->isVisible());
  // Undo the box: empty again, the hint is back; redo hides it.
  w.undoStack()->undo();
  QCOMPARE(int(w.document()->project().objects.size()), 0);
  QVERIFY(hint->isVisible());
  w.undoStack()->redo();
  QVERIFY(!hint->isVisible());
  // File → New: an empty plan, the hint is back.
  QVERIFY(w.newDocument());
  QVERIFY(hint->isVisible());
  // A photo on the canvas is content too (it is what gets inverted and edited).
  QImage img(48, 32, QImage::Format_RGB888);
  img.fill(QColor(30, 140, 200));
  const QString photo = QDir(m_tmp.path()).filePath("photo.png");
  QVERIFY(img.save(photo));
  QVERIFY(w.openFile(photo));
  QVERIFY(!hint->isVisible());
}

void TstEmptyPlanHint::buttonsStartEachWay() {
  MainWindow w(nullptr, uitest::testOptions(m_tmp.path()));
  w.unsavedPrompt = [](const QString&) { return SaveAnswer::Discard; };
  w.show();
  QVERIFY(QTest::qWaitForWindowExposed(&w));
  ns::ui::EmptyPlanHint* hint = w.emptyPlanHint();

  // "Draw a box": the Box tool, checked in the tool bar and the Tools menu.
  QCOMPARE(w.canvasScene()->tool(), CanvasTool::Select);
  QTest::mouseClick(hint->drawBoxButton(), Qt::LeftButton);
  QCOMPARE(w.canvasScene()->tool(), CanvasTool::Box);
  QVERIFY(hint->isVisible());  // still empty: nothing drawn yet

  // "Open a photo or clip…": the open dialog (answered here), then the photo is the source.
  QImage img(40, 40, QImage::Format_RGB888);
  img.fill(QColor(200, 60, 60));
  const QString photo = QDir(m_tmp.path()).filePath("hint_photo.png");
  QVERIFY(img.save(photo));
  QString askedFilter;
  w.openFileDialog = [&](const QString&, const QString& filter) {
    askedFilter = filter;
    return photo;
  };
  QTest::mouseClick(hint->openMediaButton(), Qt::LeftButton);
  QVERIFY2(askedFilter.contains("*.png") && askedFilter.contains("*.mp4"), qPrintable(askedFilter));
  QVERIFY(!w.sourceFrames().empty());
  QCOMPARE(w.sourceFrames().width, 40);
  QVERIFY(!hint->isVisible());

  // "Open an example": its menu is File → Open Example; choosing one opens the plan.
  MainWindow fresh(nullptr, uitest::testOptions(m_tmp.path()));
  fresh.show();
  QVERIFY(QTest::qWaitForWindowExposed(&fresh));
  QToolButton* examples = fresh.emptyPlanHint()->examplesButton();
  QCOMPARE(examples->menu(), fresh.examplesMenu());
  QVERIFY(examples->isEnabled());
  QAction* first = examples->menu()->actions().value(0);
  QVERIFY(first && first->isEnabled());
  first->trigger();
  QVERIFY(!fresh.document()->project().objects.empty());
  QVERIFY(!fresh.emptyPlanHint()->isVisible());
}

void TstEmptyPlanHint::dragStartingOnTheHintDrawsABox() {
  MainWindow w(nullptr, uitest::testOptions(m_tmp.path()));
  w.show();
  QVERIFY(QTest::qWaitForWindowExposed(&w));
  ns::ui::EmptyPlanHint* hint = w.emptyPlanHint();
  w.setTool(CanvasTool::Box);
  // Through the window (as the windowing system delivers it), so the widget under the pointer is
  // found by position: a press on the hint's bottom text line, below its buttons.
  QWindow* win = w.windowHandle();
  const QPoint start = hint->mapTo(&w, QPoint(hint->width() / 2, hint->height() - 12));
  QVERIFY2(w.childAt(start) != hint->drawBoxButton() && w.childAt(start) != hint->examplesButton(), "the press lands on a button");
  const QPoint end = start + QPoint(60, 50);
  QTest::mousePress(win, Qt::LeftButton, Qt::NoModifier, start);
  for (int i = 1; i <= 4; ++i) QTest::mouseMove(win, start + (end - start) * i / 4);
  QTest::mouseRelease(win, Qt::LeftButton, Qt::NoModifier, end);
  QCOMPARE(int(w.document()->project().objects.size()), 1);
  QVERIFY(!hint->isVisible());
}

NS_REGISTER_TEST(TstEmptyPlanHint, initTestCase, showsOnEmptyCanvasAndFollowsContent, buttonsStartEachWay,
                 dragStartingOnTheHintDrawsABox)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_empty_plan_hint.moc"
#endif
