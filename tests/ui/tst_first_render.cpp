// Issue 19's first try, in the real window: a new document, a prompt typed into the prompt box,
// nothing drawn, Render. The model plans the background from the prompt (model_planning.h), so
// the result's background is the prompt's as the built-in shapes verifier classifies it — not the
// white sketch's snow.
#include "tests/support/ns_test.h"

#include <QAction>
#include <QPlainTextEdit>
#include <QUndoStack>
#include <QPushButton>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include "core/model/builtin_model.h"
#include "core/model/shapes_verifier.h"
#include "core/model/vocabulary.h"
#include "core/util/frame_tensors.h"
#include "tests/ui/ui_test_util.h"
#include "ui/commands/edit_project_command.h"
#include "ui/docks/model_dock.h"
#include "ui/docks/properties_dock.h"
#include "ui/project_document.h"
#include "ui/widgets/error_banner.h"

using ns::ui::MainWindow;

class TstFirstRender : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { uitest::isolate(); }
  void emptyPlanRenderFollowsThePromptsBackground();

 private:
  QTemporaryDir m_tmp;
};

void TstFirstRender::emptyPlanRenderFollowsThePromptsBackground() {
  if (ns::findBuiltinModelDir().empty()) QSKIP("the shipped built-in model is not available");
  auto verifierModel = ns::loadBuiltinModel(ns::findBuiltinModelDir());
  QVERIFY(verifierModel.ok());
  auto* verifier = dynamic_cast<ns::ShapesVerifier*>(verifierModel->verifier.get());
  if (!verifier) QSKIP("the built-in model has no shapes verifier");

  MainWindow w(nullptr, uitest::testOptions(m_tmp.path()));
  w.resize(1400, 860);
  w.show();
  QVERIFY(QTest::qWaitForWindowExposed(&w));
  QVERIFY(w.document()->project().objects.empty());
  QCOMPARE(w.document()->project().background.kind, ns::BackgroundKind::Generate);
  // Fewer frames and steps than a new document's defaults, so the test runs in seconds on a CPU;
  // the plan stays empty.
  w.document()->undoStack()->push(new ns::ui::EditProjectCommand(w.document(), "length", [](ns::Project& p) {
    p.frames = 4;
    p.render.steps = 10;
  }));
  w.modelDock()->loadButton()->click();
  QTRY_VERIFY_WITH_TIMEOUT(w.modelDock()->status().startsWith("Loaded"), 60000);

  const std::string prompt = "a red ball on grass";
  QPlainTextEdit* edit = w.propertiesDock()->promptEdit();
  edit->setFocus();
  QTest::keyClicks(edit, QString::fromStdString(prompt));
  QTRY_COMPARE(w.document()->project().prompt, prompt);

  w.render();
  QTRY_VERIFY_WITH_TIMEOUT(w.resultFrames().count == 4, 120000);
  QVERIFY2(w.errorBanner()->isHidden(), qPrintable(w.errorBanner()->message()));
  c10::InferenceMode guard;
  const ns::ShapesPrediction pred = verifier->classify(ns::framesToImages(w.resultFrames()));
  const int grass = ns::Vocabulary::indexOf(ns::Vocabulary::backgrounds(), "grass");
  const int64_t right = pred.background.eq(grass).sum().item<int64_t>();
  qInfo("first render from a prompt alone: %lld of 4 frames classified as grass", static_cast<long long>(right));
  QVERIFY2(right >= 4, "frames classified as grass: " + std::to_string(right) + " of 4");

  // Plan → Re-roll background: a new seed for the background only (one undo step); the next
  // render plans a new background, still grass, and other pixels.
  const at::Tensor first = ns::framesToImages(w.resultFrames());
  auto* reroll = w.findChild<QAction*>(QStringLiteral("rerollBackgroundAction"));
  QVERIFY(reroll);
  const int steps = w.document()->undoStack()->count();
  reroll->trigger();
  QCOMPARE(w.document()->undoStack()->count(), steps + 1);
  QVERIFY(w.document()->project().background.seed.has_value());
  QCOMPARE(w.document()->project().seed, uint64_t(0));  // the render's own seed is untouched
  w.render();
  QTRY_VERIFY_WITH_TIMEOUT(w.resultFrames().count == 4 && !at::equal(ns::framesToImages(w.resultFrames()), first), 120000);
  const ns::ShapesPrediction again = verifier->classify(ns::framesToImages(w.resultFrames()));
  QVERIFY2(again.background.eq(grass).sum().item<int64_t>() >= 3, "re-rolled background is not grass");
  w.document()->undoStack()->undo();
  QVERIFY(!w.document()->project().background.seed.has_value());
}

NS_REGISTER_TEST(TstFirstRender, initTestCase, emptyPlanRenderFollowsThePromptsBackground)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_first_render.moc"
#endif
