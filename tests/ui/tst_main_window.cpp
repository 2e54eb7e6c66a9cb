// Tests ui/main_window.h as a whole: dropping an image loads it as the source, save + reopen give
// the same JSON, a corrupt project shows an error and leaves the open document untouched,
// recovery after a simulated crash restores the autosave, the unsaved-changes prompt guards
// New/Open, job progress/cancel/failure reach the status bar and the banner; with the shipped
// model, Render follows the plan and invert + re-render reproduce a dropped photo. Writes
// docs/screenshots/*.png when NS_WRITE_SCREENSHOTS=1.
#include "tests/support/ns_test.h"

#include <QAction>
#include <QDir>
#include <QDropEvent>
#include <QFile>
#include <QIcon>
#include <QImage>
#include <QMimeData>
#include <QUndoStack>
#include <QUrl>

#include <c10/core/InferenceMode.h>

#include <chrono>
#include <cmath>
#include <thread>

#include "core/engine/layout_eval.h"
#include "core/jobs/job_context.h"
#include "core/model/builtin_model.h"
#include "core/model/codec.h"
#include "core/util/frame_tensors.h"
#include "tests/ui/ui_test_util.h"
#include "ui/canvas/canvas_scene.h"
#include "ui/commands/add_object_command.h"
#include "ui/commands/edit_project_command.h"
#include "ui/docks/inversion_dock.h"
#include "ui/docks/model_dock.h"
#include "ui/docks/noise_dock.h"
#include "ui/jobs/job_controller.h"
#include "ui/project_document.h"
#include "ui/widgets/error_banner.h"
#include "ui/widgets/job_progress_bar.h"
#include "ui/widgets/timeline_widget.h"

#include <QCheckBox>
#include <QPushButton>

using ns::ui::MainWindow;
using ns::ui::SaveAnswer;

namespace {
// Adds an object moving left to right through `keys` keyframes, through the undo stack.
void addMovingObject(MainWindow& w, const std::string& shape, const std::string& colour, float y, int keys = 2) {
  ns::ProjectObject o;
  o.id = w.document()->newObjectId();
  o.source.shape = shape;
  o.source.colour = colour;
  const int frames = w.document()->project().frames;
  for (int k = 0; k < keys; ++k) {
    ns::Keyframe key;
    key.frame = k * (frames - 1) / std::max(1, keys - 1);
    const float x = 0.1f + 0.6f * k / std::max(1, keys - 1);
    key.box = {x, y, x + 0.2f, y + 0.2f};
    o.trajectory.setKey(key);
  }
  w.document()->undoStack()->push(new ns::ui::AddObjectCommand(w.document(), o));
}

void setPrompt(MainWindow& w, const std::string& prompt) {
  w.document()->undoStack()->push(new ns::ui::EditProjectCommand(w.document(), "prompt", [prompt](ns::Project& p) { p.prompt = prompt; }));
}

QString writeFile(const QString& path, const QByteArray& bytes) {
  QFile f(path);
  f.open(QIODevice::WriteOnly);
  f.write(bytes);
  return path;
}
}  // namespace

class TstMainWindow : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { uitest::isolate(); }
  void windowHasItsIcon();
  void dropImageLoadsSource();
  void saveAndReopenGiveSameJson();
  void corruptProjectLeavesDocumentUntouched();
  void recoveryAfterCrashRestoresAutosave();
  void unsavedPromptGuardsNewDocument();
  void jobProgressCancelAndFailureInWindow();
  void renderAndInvertWithTheShippedModel();
  void screenshot();

 private:
  QTemporaryDir m_tmp;
};

void TstMainWindow::windowHasItsIcon() {
  // The icon comes from ns_ui's compiled resources (a static library: registered explicitly) as
  // PNGs, so it shows without Qt's optional SVG plugin and nothing logs "Cannot open file".
  MainWindow w(nullptr, uitest::testOptions(m_tmp.path()));
  QVERIFY(QFile::exists(QStringLiteral(":/icons/noisestudio-256.png")));
  const QIcon icon = w.windowIcon();
  QVERIFY(!icon.isNull());
  const QImage big = icon.pixmap(QSize(256, 256)).toImage();
  QCOMPARE(big.size(), QSize(256, 256));
  QVERIFY2(big.pixelColor(128, 128).alpha() > 0, "the icon's centre is transparent: not the NoiseStudio icon");
}

void TstMainWindow::dropImageLoadsSource() {
  MainWindow w(nullptr, uitest::testOptions(m_tmp.path()));
  w.show();
  QVERIFY(QTest::qWaitForWindowExposed(&w));
  QImage img(32, 24, QImage::Format_RGB888);
  img.fill(QColor(255, 0, 0));
  img.setPixelColor(31, 23, QColor(0, 0, 255));
  const QString path = QDir(m_tmp.path()).filePath("photo.png");
  QVERIFY(img.save(path));
  QMimeData mime;
  mime.setUrls({QUrl::fromLocalFile(path)});
  QDragEnterEvent enter(QPoint(100, 100), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
  QApplication::sendEvent(&w, &enter);
  QVERIFY2(enter.isAccepted(), "the window must accept an image drag");
  QDropEvent drop(QPointF(100, 100), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
  QApplication::sendEvent(&w, &drop);
  const ns::FrameBuffer& src = w.sourceFrames();
  QCOMPARE(src.width, 32);
  QCOMPARE(src.height, 24);
  QCOMPARE(src.count, 1);
  QVERIFY2(src.at(0, 0, 0, 0) == 1.0f && src.at(0, 1, 0, 0) == 0.0f && src.at(0, 2, 23, 31) == 1.0f,
           qPrintable(QString("pixels %1 %2 %3").arg(src.at(0, 0, 0, 0)).arg(src.at(0, 1, 0, 0)).arg(src.at(0, 2, 23, 31))));
  QVERIFY(w.inversionDock()->hasSource());
  QVERIFY(!w.canvasScene()->backgroundImage().isNull());
  QVERIFY(w.errorBanner()->isHidden());
  // An unknown file type is refused with a message, not silently.
  const QString junk = writeFile(QDir(m_tmp.path()).filePath("notes.xyz"), "hello");
  QVERIFY(!w.openFile(junk));
  QVERIFY(!w.errorBanner()->isHidden());
  QVERIFY2(w.errorBanner()->message().contains("notes.xyz"), qPrintable(w.errorBanner()->message()));
}

void TstMainWindow::saveAndReopenGiveSameJson() {
  const QString path = QDir(m_tmp.path()).filePath("roundtrip.nsproj");
  std::string saved;
  {
    MainWindow w(nullptr, uitest::testOptions(m_tmp.path()));
    addMovingObject(w, "ball", "red", 0.5f, 3);
    addMovingObject(w, "star", "yellow", 0.1f);
    setPrompt(w, "on grass");
    QVERIFY(w.document()->isModified());
    QVERIFY(w.saveAs(path));
    QVERIFY(!w.document()->isModified());
    QCOMPARE(w.document()->filePath(), path);
    saved = w.document()->jsonText();
  }
  MainWindow w2(nullptr, uitest::testOptions(m_tmp.path()));
  QVERIFY(w2.openProject(path));
  QCOMPARE(w2.document()->jsonText(), saved);
  QCOMPARE(int(w2.document()->project().objects.size()), 2);
  QCOMPARE(w2.canvasScene()->objectCount(), 2);
  QVERIFY(!w2.document()->isModified());
  QVERIFY(w2.windowTitle().startsWith("roundtrip.nsproj"));
}

void TstMainWindow::corruptProjectLeavesDocumentUntouched() {
  MainWindow w(nullptr, uitest::testOptions(m_tmp.path()));
  int prompts = 0;
  w.unsavedPrompt = [&prompts](const QString&) {
    ++prompts;
    return SaveAnswer::Discard;
  };
  addMovingObject(w, "ball", "red", 0.3f);
  const std::string before = w.document()->jsonText();
  const int undoSteps = w.undoStack()->count();
  const QString bad = writeFile(QDir(m_tmp.path()).filePath("corrupt.nsproj"), "{ \"schema_version\": 1, \"canvas\": ");
  QVERIFY(!w.openProject(bad));
  QCOMPARE(prompts, 1);
  QVERIFY(!w.errorBanner()->isHidden());
  QVERIFY2(w.errorBanner()->message().contains("corrupt.nsproj"), qPrintable(w.errorBanner()->message()));
  QCOMPARE(w.document()->jsonText(), before);
  QCOMPARE(w.undoStack()->count(), undoSteps);
  QVERIFY(w.document()->isModified());
  // A well-formed file with an invalid field names the field.
  ns::Project p;
  ns::ProjectObject o;
  o.id = "late";
  ns::Keyframe k;
  k.frame = 3;
  k.box = {0.1f, 0.1f, 0.3f, 0.3f};
  o.trajectory.setKey(k);
  p.objects.push_back(o);
  std::string text = p.toJsonText();
  const auto at = text.find("\"frame\": 3");
  QVERIFY2(at != std::string::npos, text);
  text.replace(at, 10, "\"frame\": 99");
  const QString invalid = writeFile(QDir(m_tmp.path()).filePath("invalid.nsproj"), QByteArray::fromStdString(text));
  w.errorBanner()->dismiss();
  QVERIFY(!w.openProject(invalid));
  QVERIFY2(w.errorBanner()->message().contains("frame"), qPrintable(w.errorBanner()->message()));
  QCOMPARE(w.document()->jsonText(), before);
}

void TstMainWindow::recoveryAfterCrashRestoresAutosave() {
  QTemporaryDir recovery;
  std::string edited;
  auto* crashed = new MainWindow(nullptr, uitest::testOptions(recovery.path()));
  addMovingObject(*crashed, "ring", "blue", 0.4f, 3);
  setPrompt(*crashed, "in the night sky");
  QVERIFY(crashed->autosaveNow());
  edited = crashed->document()->jsonText();
  QVERIFY(QFile::exists(QDir(recovery.path()).filePath("recovery.nsproj")));
  // A crash: the window goes away without closeEvent (which would clear the recovery file).
  delete crashed;
  QVERIFY(QFile::exists(QDir(recovery.path()).filePath("recovery.nsproj")));

  MainWindow w(nullptr, uitest::testOptions(recovery.path()));
  int offered = 0;
  w.recoveryPrompt = [&offered](const QString& original, const QDateTime& when) {
    ++offered;
    return original.isEmpty() && when.isValid();
  };
  QVERIFY(w.checkRecovery());
  QCOMPARE(offered, 1);
  QCOMPARE(w.document()->jsonText(), edited);
  QVERIFY2(w.document()->isModified(), "a recovered document is unsaved");
  QCOMPARE(w.canvasScene()->objectCount(), 1);
  // A clean close clears it: the next start offers nothing.
  w.unsavedPrompt = [](const QString&) { return SaveAnswer::Discard; };
  QVERIFY(w.close());
  MainWindow w3(nullptr, uitest::testOptions(recovery.path()));
  w3.recoveryPrompt = [&offered](const QString&, const QDateTime&) {
    ++offered;
    return true;
  };
  QVERIFY(!w3.checkRecovery());
  QCOMPARE(offered, 1);
  // Nothing unsaved: autosave writes nothing.
  QVERIFY(!w3.autosaveNow());
}

void TstMainWindow::unsavedPromptGuardsNewDocument() {
  MainWindow w(nullptr, uitest::testOptions(m_tmp.path()));
  SaveAnswer answer = SaveAnswer::Cancel;
  int prompts = 0;
  QString promptedFor;
  w.unsavedPrompt = [&](const QString& name) -> SaveAnswer {
    ++prompts;
    promptedFor = name;
    return answer;
  };
  QVERIFY(w.newDocument());  // nothing to lose: no prompt
  QCOMPARE(prompts, 0);
  addMovingObject(w, "box", "green", 0.2f);
  const std::string edited = w.document()->jsonText();
  QVERIFY(!w.newDocument());
  QCOMPARE(prompts, 1);
  QCOMPARE(promptedFor, QString("Untitled"));
  QCOMPARE(w.document()->jsonText(), edited);
  answer = SaveAnswer::Save;  // Save with no path asks for one; the dialog is cancelled -> stay
  w.saveFileDialog = [](const QString&, const QString&) { return QString(); };
  QVERIFY(!w.newDocument());
  QCOMPARE(w.document()->jsonText(), edited);
  answer = SaveAnswer::Discard;
  QVERIFY(w.newDocument());
  QCOMPARE(w.document()->jsonText(), ns::Project::untitled().toJsonText());
  QVERIFY(!w.document()->isModified());
  QCOMPARE(w.undoStack()->count(), 0);
}

void TstMainWindow::jobProgressCancelAndFailureInWindow() {
  MainWindow w(nullptr, uitest::testOptions(m_tmp.path()));
  w.show();
  QVERIFY(QTest::qWaitForWindowExposed(&w));
  std::atomic<int> steps{0};
  const auto id = w.jobs()->submit(
      ns::ui::JobKind::Render,
      [&steps](ns::ModelBundle&, ns::JobContext& ctx) -> ns::Result<ns::ui::JobOutcome> {
        for (int i = 1; i <= 200; ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          steps = i;
          if (!ctx.report(i, 200, "denoise")) return ns::makeError(ns::ErrorKind::Cancelled, "cancelled");
        }
        return ns::ui::JobOutcome{};
      },
      ns::ui::ModelNeed::None);
  QTRY_VERIFY_WITH_TIMEOUT(w.progressBar()->isVisible() && w.progressBar()->value() > 2, 3000);
  QVERIFY2(w.progressBar()->text().contains("denoise") && w.progressBar()->text().contains("/200") &&
               w.progressBar()->text().contains("ETA"),
           qPrintable(w.progressBar()->text()));
  QCOMPARE(w.progressBar()->maximum(), 200);
  QSignalSpy cancelled(w.jobs(), &ns::ui::JobController::cancelled);
  const int atCancel = steps.load();
  // Esc is bound to the cancel action (Xvfb has no window manager to activate the window for
  // shortcuts, so trigger it), and the status bar's Cancel button does the same.
  QAction* esc = nullptr;
  for (QAction* a : w.findChildren<QAction*>())
    if (a->shortcut() == QKeySequence(Qt::Key_Escape)) esc = a;
  QVERIFY(esc);
  esc->trigger();
  QVERIFY(cancelled.wait(2000));
  QCOMPARE(cancelled.at(0).at(0).value<ns::ui::RequestId>(), id);
  QVERIFY2(steps.load() - atCancel <= 2, qPrintable(QString("%1 steps ran after Esc").arg(steps.load() - atCancel)));
  QTRY_VERIFY_WITH_TIMEOUT(!w.progressBar()->isVisible(), 1000);
  // A failing job lands in the banner.
  w.jobs()->submit(
      ns::ui::JobKind::Render,
      [](ns::ModelBundle&, ns::JobContext&) -> ns::Result<ns::ui::JobOutcome> {
        return ns::makeError(ns::ErrorKind::Model, "denoiser.pt: unexpected input shape");
      },
      ns::ui::ModelNeed::None);
  QTRY_VERIFY_WITH_TIMEOUT(!w.errorBanner()->isHidden(), 2000);
  QCOMPARE(w.errorBanner()->message(), QString("denoiser.pt: unexpected input shape"));
  // Rendering without a model says so (no model is loaded in tests).
  w.errorBanner()->dismiss();
  w.render();
  QTRY_VERIFY_WITH_TIMEOUT(!w.errorBanner()->isHidden(), 2000);
  QVERIFY2(w.errorBanner()->message().contains("No model"), qPrintable(w.errorBanner()->message()));
}

void TstMainWindow::screenshot() {
  if (qgetenv("NS_WRITE_SCREENSHOTS") != "1") QSKIP("set NS_WRITE_SCREENSHOTS=1 to write docs/screenshots/main_window.png");
  MainWindow w(nullptr, uitest::testOptions(m_tmp.path()));
  w.resize(1400, 860);
  w.show();
  QVERIFY(QTest::qWaitForWindowExposed(&w));
  const QString example = QStringLiteral(NS_SOURCE_DIR "/examples/box_and_star_on_the_sea.nsproj");
  if (QFile::exists(example)) QVERIFY(w.openProject(example));
  else {
    addMovingObject(w, "box", "blue", 0.5f, 3);
    addMovingObject(w, "star", "yellow", 0.15f, 2);
    setPrompt(w, "on the sea");
  }
  const QString photo = QString::fromStdString(nstest::dataDir()) + "/astronaut_128.png";
  if (QFile::exists(photo)) QVERIFY(w.openFile(photo));
  w.canvasScene()->selectObject(QString::fromStdString(w.document()->project().objects.front().id));
  w.timeline()->setCurrentFrame(5);
  QTest::qWait(200);
  const QString out = QStringLiteral(NS_SOURCE_DIR "/docs/screenshots/main_window.png");
  QDir().mkpath(QFileInfo(out).path());
  QVERIFY(w.grab().save(out));
}

namespace {
void writeScreenshot(QWidget& w, const char* name) {
  if (qgetenv("NS_WRITE_SCREENSHOTS") != "1") return;
  const QString out = QStringLiteral(NS_SOURCE_DIR "/docs/screenshots/") + name;
  QDir().mkpath(QFileInfo(out).path());
  if (!w.grab().save(out)) qWarning("could not write %s", qPrintable(out));
}
}  // namespace

void TstMainWindow::renderAndInvertWithTheShippedModel() {
  if (ns::findBuiltinModelDir().empty()) QSKIP("the shipped built-in model is not available");
  // The example plan with few steps, so the whole render runs in seconds on a CPU.
  auto plan = ns::Project::open(NS_SOURCE_DIR "/examples/red_ball_on_grass.nsproj");
  QVERIFY2(plan.ok(), plan.ok() ? "" : plan.error().message.c_str());
  plan->render.steps = 8;
  // Re-render with the inversion's own guidance and no skip: the reconstruction setting.
  plan->inversion.skip = 0;
  plan->inversion.cfgTarget = plan->inversion.cfgSource;
  const QString path = QDir(m_tmp.path()).filePath("quick_render.nsproj");
  QVERIFY(plan->save(path.toStdString()).ok());

  MainWindow w(nullptr, uitest::testOptions(m_tmp.path()));
  w.resize(1400, 860);
  w.show();
  QVERIFY(QTest::qWaitForWindowExposed(&w));
  QVERIFY(w.openProject(path));
  w.modelDock()->loadButton()->click();
  QTRY_VERIFY_WITH_TIMEOUT(w.modelDock()->status().startsWith("Loaded"), 60000);

  // Render: the sketch of the plan, structured init, every frame; the red ball is where the plan
  // puts it (colour segmentation vs the planned boxes, as `eval layout` scores it).
  w.render();
  QTRY_VERIFY_WITH_TIMEOUT(w.resultFrames().count == plan->frames, 120000);
  QVERIFY2(w.errorBanner()->isHidden(), qPrintable(w.errorBanner()->message()));
  const ns::Project& project = w.document()->project();
  const ns::LayoutScore score = ns::scoreLayout(project, ns::framesToImages(w.resultFrames()));
  const double iou = score.samples ? score.iouSum / score.samples : 0.0;
  qInfo("window render: mean IoU %.3f to the plan, found %d of %d", iou, score.found, score.samples);
  QVERIFY2(iou > 0.3 && score.found >= score.samples * 3 / 4, qPrintable(QString("mean IoU %1, found %2 of %3")
                                                                           .arg(iou).arg(score.found).arg(score.samples)));
  w.timeline()->setCurrentFrame(8);
  QTest::qWait(200);
  writeScreenshot(w, "render.png");

  // Invert a dropped photo, then re-render with no edits: the photo comes back (A/B compare on).
  QVERIFY(w.openFile(QString::fromStdString(nstest::dataDir()) + "/astronaut_64.png"));
  QVERIFY(w.inversionDock()->hasSource());
  w.inversionDock()->invertButton()->click();
  QTRY_VERIFY_WITH_TIMEOUT(w.inversionDock()->rerenderButton()->isEnabled(), 120000);
  w.inversionDock()->rerenderButton()->click();
  QTRY_VERIFY_WITH_TIMEOUT(w.resultFrames().count == 1, 120000);
  QVERIFY2(w.errorBanner()->isHidden(), qPrintable(w.errorBanner()->message()));
  // The reference is the fitted photo through the model's autoencoder (what exact inversion of
  // its latent gives back), computed here with a second copy of the model.
  const ns::FrameBuffer& src = w.sourceFrames();
  const ns::FrameBuffer& out = w.resultFrames();
  QCOMPARE(out.width, src.width);
  auto model = ns::loadBuiltinModel(ns::findBuiltinModelDir());
  QVERIFY(model.ok());
  double psnr = 0;
  {
    c10::InferenceMode guard;
    const at::Tensor ref = model->codec->decode(model->codec->encode(ns::framesToImages(src)));
    const double mse = ((ns::framesToImages(out) - ref) / 2).pow(2).mean().item<double>();
    psnr = 10 * std::log10(1.0 / std::max(mse, 1e-12));
  }
  qInfo("window invert + re-render: PSNR %.1f dB to the photo through the autoencoder", psnr);
  QVERIFY2(psnr >= 45, qPrintable(QString("PSNR %1 dB").arg(psnr)));
  auto* ab = w.inversionDock()->findChild<QCheckBox*>();
  QVERIFY(ab);
  ab->setChecked(true);  // the A/B split: source | result
  QTest::qWait(200);
  writeScreenshot(w, "invert_edit.png");
}

NS_REGISTER_TEST(TstMainWindow, windowHasItsIcon, dropImageLoadsSource, saveAndReopenGiveSameJson, corruptProjectLeavesDocumentUntouched,
                 recoveryAfterCrashRestoresAutosave, unsavedPromptGuardsNewDocument, jobProgressCancelAndFailureInWindow,
                 renderAndInvertWithTheShippedModel, screenshot)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_main_window.moc"
#endif
