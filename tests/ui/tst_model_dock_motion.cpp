// Issue 16 in the window: the Model dock's Motion row turns the loaded model into a video model
// (the built-in motion modules with the built-in model, or a file the user chose), and a render
// with it denoises the plan's frames jointly — its frames are not the image model's.
#include "tests/support/ns_test.h"

#include <QComboBox>
#include <QPushButton>
#include <QSettings>
#include <QUndoStack>

#include <ATen/ATen.h>

#include "core/util/frame_tensors.h"
#include "tests/ui/ui_test_util.h"
#include "ui/commands/edit_project_command.h"
#include "ui/docks/model_dock.h"
#include "ui/jobs/model_loader.h"
#include "ui/project_document.h"
#include "ui/widgets/error_banner.h"

using ns::ui::MainWindow;
using ns::ui::ModelDock;

class TstModelDockMotion : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() {
    uitest::isolate();
    QSettings().remove(QStringLiteral("model/recentMotionModules"));
  }
  void motionRowOffersBuiltinAndRemembersFiles();
  void windowRendersThePlanWithTheBuiltinVideoModel();

 private:
  QTemporaryDir m_tmp;
};

void TstModelDockMotion::motionRowOffersBuiltinAndRemembersFiles() {
  const QString builtin = ns::ui::builtinMotionModulePath();
  if (builtin.isEmpty()) QSKIP("the built-in motion modules are not installed");
  ModelDock dock;
  QComboBox* motion = dock.motionModules();
  QVERIFY(motion);
  QCOMPARE(motion->itemData(0).toString(), QString());  // none: the image model
  QVERIFY(motion->findData(builtin) > 0);
  QVERIFY(dock.choice().motionModule.isEmpty());
  QVERIFY(!motion->toolTip().isEmpty());

  motion->setCurrentIndex(motion->findData(builtin));
  QCOMPARE(dock.choice().motionModule, builtin);

  // A chosen file is offered, selected, and remembered by the next dock (not the built-in one).
  const QString file = QFileInfo(QStringLiteral(NS_TEST_DATA_DIR "/motion/mm_tiny_v3.safetensors")).absoluteFilePath();
  dock.addMotionModuleFile(file);
  QCOMPARE(dock.choice().motionModule, file);
  QCOMPARE(QSettings().value(QStringLiteral("model/recentMotionModules")).toStringList(), QStringList{file});
  ModelDock next;
  QVERIFY(next.motionModules()->findData(file) > 0);
  QVERIFY(next.choice().motionModule.isEmpty());  // offered, not chosen

  // setChoice round trip, and back to none.
  ns::ui::ModelChoice c = dock.choice();
  c.motionModule = builtin;
  next.setChoice(c);
  QCOMPARE(next.choice().motionModule, builtin);
  c.motionModule.clear();
  next.setChoice(c);
  QVERIFY(next.choice().motionModule.isEmpty());
}

void TstModelDockMotion::windowRendersThePlanWithTheBuiltinVideoModel() {
  const QString builtin = ns::ui::builtinMotionModulePath();
  if (builtin.isEmpty()) QSKIP("the built-in motion modules are not installed");
  MainWindow w(nullptr, uitest::testOptions(m_tmp.path()));
  w.resize(1400, 860);
  w.show();
  QVERIFY(QTest::qWaitForWindowExposed(&w));
  // A small plan: 4 frames, few steps, the prompt's background planned by the model.
  w.document()->undoStack()->push(new ns::ui::EditProjectCommand(w.document(), "length", [](ns::Project& p) {
    p.frames = 4;
    p.render.steps = 8;
    p.prompt = "a red ball on grass";
  }));

  // The image model first.
  ModelDock* dock = w.modelDock();
  w.modelDock()->loadButton()->click();
  QTRY_VERIFY_WITH_TIMEOUT(dock->status().startsWith("Loaded"), 60000);
  QVERIFY(!dock->currentText().contains("motion"));
  w.render();
  QTRY_VERIFY_WITH_TIMEOUT(w.resultFrames().count == 4, 120000);
  QVERIFY2(w.errorBanner()->isHidden(), qPrintable(w.errorBanner()->message()));
  const at::Tensor image = ns::framesToImages(w.resultFrames()).clone();

  // Then the same model with the built-in motion modules: a video model.
  dock->motionModules()->setCurrentIndex(dock->motionModules()->findData(builtin));
  dock->setStatus(QString());
  dock->loadButton()->click();
  QTRY_VERIFY_WITH_TIMEOUT(dock->status().startsWith("Loaded"), 60000);
  QVERIFY2(dock->currentText().contains("motion"), qPrintable(dock->currentText()));
  w.render();
  QTRY_VERIFY_WITH_TIMEOUT(w.resultFrames().count == 4 && !at::equal(ns::framesToImages(w.resultFrames()), image),
                           180000);
  QVERIFY2(w.errorBanner()->isHidden(), qPrintable(w.errorBanner()->message()));
  const at::Tensor video = ns::framesToImages(w.resultFrames());
  QCOMPARE(video.sizes(), image.sizes());
  // Same plan, seed and sampler: the frames differ only through the motion modules' attention
  // across frames, and stay close to the image model's (the modules refine, they do not repaint).
  const double diff = (video - image).abs().mean().item<double>();
  qInfo("video vs image model, mean |difference| over 4 frames: %.4f", diff);
  QVERIFY(diff > 0.0);
  QVERIFY2(diff < 0.25, "the video model's frames are unrelated to the image model's");
}

NS_REGISTER_TEST(TstModelDockMotion, initTestCase, motionRowOffersBuiltinAndRemembersFiles,
                 windowRendersThePlanWithTheBuiltinVideoModel)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_model_dock_motion.moc"
#endif
